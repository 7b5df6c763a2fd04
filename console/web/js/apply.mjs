// The clerk's "new application" (intake's POST /applications): the
// household, its members with the identity number checked as it is typed
// (GB 11643, idnum.mjs), the declared income and rigid expenditure in
// yuan (sent as integer fen), the payee and the consent. #/apply/<id>
// opens a draft from an emergency referral (drafts.mjs) in the same form,
// prefilled with what the referral said, and completes it with intake's
// POST /applications/<id>/submit.
import { useEffect, useState } from '../vendor/hooks.mjs';
import { call, newKey } from './api.mjs';
import { html } from './html.mjs';
import { addWords, t } from './i18n.mjs';
import { birthDate, idnumState } from './idnum.mjs';
import { yuanToFen } from './money.mjs';
import { ErrorNote } from './problems.mjs';

export const INCOME = ['wages_fen', 'business_fen', 'pensions_fen', 'other_fen', 'agricultural_fen', 'support_fen'];
export const EXPENSE = ['medical_fen', 'education_fen', 'housing_fen', 'employment_costs_fen'];
const RELATIONS = ['self', 'spouse', 'child', 'parent', 'other'];

addWords({
  c2_draft_title: ['补录应急转介申请', 'Complete a referred application'],
  c2_referral: ['临时救助转介', 'Emergency referral'],
  c2_referral_id: ['转介编号', 'Referral'],
  c2_grant_id: ['临时救助编号', 'Grant'],
  c2_referred_by: ['转介人', 'Referred by'],
  c2_household_size: ['转介时所报家庭人口', 'Household size as referred'],
  c2_referral_note: ['转介说明', 'Referral note'],
  c2_draft_hint: ['转介信息已预先填入，请核对并补全其余项目后提交。', 'What the referral said is filled in; check it, complete the rest and submit.'],
  c2_not_draft: ['该申请已不是待补录状态（已提交或已处理）。', 'This application is no longer a draft (submitted or dealt with).'],
  c2_draft_submitted: ['转介申请已提交受理。受理编号 {id}，办结期限 {deadline}。', 'The referred application is taken in: {id}, to be decided by {deadline}.'],
  c2_to_mine: ['查看我受理的申请', 'See my applications'],
});

export function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function emptyMember(first) {
  return { id_number: '', name: '', relation: first ? 'self' : 'spouse', birth_date: '', labour_capacity: 'full', disability_grade: '0', self_care: 'able' };
}

// The form filled from a draft (intake's GET /applications/<id>): what
// the referral said (place, the referred person, payee, category); the
// rest as in a new application.
function fromDraft(user, d) {
  const f = initial(user);
  const h = d.household || {};
  for (const k of ['registration', 'district_code', 'township_code', 'village_code', 'address']) if (h[k]) f.household[k] = h[k];
  const known = (m) => Object.fromEntries(Object.entries(m).filter(([, v]) => v !== null && v !== undefined));
  f.members = (d.members || []).map((m, i) => ({ ...emptyMember(i === 0), ...known(m), disability_grade: String(m.disability_grade ?? 0) }));
  if (f.members.length === 0) f.members = [emptyMember(true)];
  for (const k of ['bank_code', 'account_number', 'account_name']) if (d.payee && d.payee[k]) f.payee[k] = d.payee[k];
  if (d.requested_category) f.category = d.requested_category;
  return f;
}

function initial(user) {
  const j = user.juris || '';
  return {
    household: { registration: 'urban', district_code: j.slice(0, 6), township_code: j.length >= 9 ? j.slice(0, 9) : '', village_code: j.length >= 12 ? j : '', address: '', has_able_supporter: false },
    members: [emptyMember(true)],
    income: Object.fromEntries(INCOME.map((k) => [k, '0'])),
    expense: Object.fromEntries(EXPENSE.map((k) => [k, '0'])),
    payee: { bank_code: '', account_number: '', account_name: '' },
    consent: { given: false, reference: '', signed_date: today() },
    category: '',
  };
}

export function Field({ id, label, hint, error, children }) {
  return html`
    <div class=${`field${error ? ' invalid' : ''}`}>
      <label for=${id}>${label}</label>
      ${children}
      ${(error || hint) && html`<small id=${`${id}-note`} class=${error ? 'note error' : 'note'} aria-live="polite">${error || hint}</small>`}
    </div>`;
}

// A text input in its field (label, hint); onInput gets the value, the
// rest are the input's own attributes.
export function Input({ id, label, hint, value, onInput, type = 'text', ...rest }) {
  return html`
    <${Field} id=${id} label=${label} hint=${hint}>
      <input id=${id} type=${type} value=${value} onInput=${(e) => onInput(e.target.value)} aria-describedby=${hint ? `${id}-note` : undefined} ...${rest} />
    </${Field}>`;
}

// An amount in yuan (at most two decimals); check: flag a bad one.
export function MoneyField({ id, label, value, check, onChange }) {
  return html`
    <${Field} id=${id} label=${label} error=${check && yuanToFen(value) === null ? t('invalid_money_input') : null}>
      <input id=${id} inputmode="decimal" value=${value} onInput=${(e) => onChange(e.target.value)} />
    </${Field}>`;
}

export function Select({ id, value, options, onChange }) {
  return html`<select id=${id} value=${value} onChange=${(e) => onChange(e.target.value)}>
    ${options.map(([v, label]) => html`<option value=${v}>${label}</option>`)}
  </select>`;
}

export function IdField({ id, value, onChange }) {
  const st = idnumState(value);
  const msg = t(`idn_${st}`, { n: value.trim().length });
  const bad = st.startsWith('bad');
  return html`
    <div class=${`field${bad ? ' invalid' : ''}${st === 'ok' ? ' valid' : ''}`}>
      <label for=${id}>${t('id_number')}</label>
      <input id=${id} value=${value} maxlength="18" inputmode="text" autocomplete="off" spellcheck="false"
        aria-invalid=${bad ? 'true' : 'false'} aria-describedby=${`${id}-note`}
        onInput=${(e) => onChange(e.target.value.toUpperCase())} />
      <small id=${`${id}-note`} class=${bad ? 'note error' : 'note'} aria-live="polite">${msg}</small>
    </div>`;
}

// A referral's facts above the form of a draft.
function Referral({ r }) {
  return html`
    <div class="card" id="referral">
      <h2>${t('c2_referral')}</h2>
      <dl class="facts">
        <dt>${t('c2_referral_id')}</dt><dd><code>${(r.referral_id || '').slice(0, 8)}</code></dd>
        <dt>${t('c2_grant_id')}</dt><dd><code>${(r.grant_id || '').slice(0, 8)}</code></dd>
        <dt>${t('c2_referred_by')}</dt><dd>${r.created_by || ''}</dd>
        ${r.household_size && html`<dt>${t('c2_household_size')}</dt><dd>${r.household_size}</dd>`}
        ${r.note && html`<dt>${t('c2_referral_note')}</dt><dd>${r.note}</dd>`}
      </dl>
      <p class="note">${t('c2_draft_hint')}</p>
    </div>`;
}

export function ApplyScreen({ user, params }) {
  const draftId = (params && params[0]) || null;
  const [draft, setDraft] = useState(null);
  const [loadErr, setLoadErr] = useState(null);
  const [f, setF] = useState(() => initial(user));
  const [key, setKey] = useState(newKey);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState(null);
  const [done, setDone] = useState(null);
  const [tried, setTried] = useState(false);

  useEffect(() => {
    if (!draftId) return;
    call('GET', 'intake', `applications/${encodeURIComponent(draftId)}`)
      .then((d) => {
        setDraft(d);
        if (d.status === 'draft') setF(fromDraft(user, d));
      })
      .catch(setLoadErr);
  }, [draftId]);

  const set = (path, v) => setF((old) => {
    const n = structuredClone(old);
    let o = n;
    for (let i = 0; i < path.length - 1; i++) o = o[path[i]];
    o[path[path.length - 1]] = v;
    return n;
  });
  const setMember = (i, k, v) => setF((old) => {
    const n = structuredClone(old);
    n.members[i][k] = v;
    if (k === 'id_number' && idnumState(v) === 'ok') n.members[i].birth_date = birthDate(v);
    return n;
  });

  const moneyBad = (s) => yuanToFen(s) === null;
  const invalid = f.members.some((m) => idnumState(m.id_number) !== 'ok' || !m.name.trim())
    || INCOME.some((k) => moneyBad(f.income[k])) || EXPENSE.some((k) => moneyBad(f.expense[k]))
    || !f.consent.given || !f.consent.reference.trim() || !f.household.address.trim()
    || !/^[0-9]{8,32}$/.test(f.payee.account_number) || !f.payee.bank_code || !f.payee.account_name.trim();

  async function submit(e) {
    e.preventDefault();
    setTried(true);
    setErr(null);
    if (invalid) {
      setErr({ code: 'fix_errors' });
      return;
    }
    const body = {
      household: f.household,
      members: f.members.map((m) => ({ ...m, name: m.name.trim(), disability_grade: Number(m.disability_grade) })),
      declared_income: Object.fromEntries(INCOME.map((k) => [k, yuanToFen(f.income[k])])),
      declared_expenditure: Object.fromEntries(EXPENSE.map((k) => [k, yuanToFen(f.expense[k])])),
      consent: { reference: f.consent.reference.trim(), signed_date: f.consent.signed_date },
      payee: { ...f.payee, account_name: f.payee.account_name.trim() },
    };
    if (f.category) body.requested_category = f.category;
    setBusy(true);
    try {
      const path = draftId ? `applications/${encodeURIComponent(draftId)}/submit` : 'applications';
      const r = await call('POST', 'intake', path, body, key);
      setDone(r);
      if (draftId) setDraft((d) => ({ ...d, status: 'open' }));
      setF(initial(user));
      setKey(newKey());
      setTried(false);
    } catch (p) {
      setErr(p);
    }
    setBusy(false);
  }

  const money = (group, k) => html`<${MoneyField} id=${k} label=${t(k)} value=${f[group][k]} check=${tried} onChange=${(v) => set([group, k], v)} />`;

  if (draftId && (loadErr || !draft || draft.status !== 'draft')) {
    return html`
      <section>
        <h1>${t('c2_draft_title')}</h1>
        ${done && html`<p class="ok" role="status" id="submitted">${t('c2_draft_submitted', { id: done.application_id.slice(0, 8), deadline: done.deadline_date })}</p>`}
        <${ErrorNote} err=${loadErr} />
        ${!loadErr && !draft && html`<p>${t('loading')}</p>`}
        ${!done && draft && html`<p class="error" role="alert">${t('c2_not_draft')}</p>`}
        <p><a href="#/mine">${t('c2_to_mine')}</a></p>
      </section>`;
  }

  return html`
    <section>
      <h1>${draftId ? t('c2_draft_title') : t('new_application')}</h1>
      ${done && html`<p class="ok" role="status" id="submitted">${t('submitted', { id: done.application_id.slice(0, 8), deadline: done.deadline_date })}</p>`}
      ${draft && draft.referral && html`<${Referral} r=${draft.referral} />`}
      <form onSubmit=${submit} novalidate>
        <fieldset>
          <legend>${t('household')}</legend>
          <div class="grid">
            <${Field} id="registration" label=${t('registration')}>
              <${Select} id="registration" value=${f.household.registration} onChange=${(v) => set(['household', 'registration'], v)}
                options=${[['urban', t('urban')], ['rural', t('rural')]]} />
            </${Field}>
            <${Field} id="district_code" label=${t('district_code')}>
              <input id="district_code" inputmode="numeric" maxlength="6" value=${f.household.district_code} onInput=${(e) => set(['household', 'district_code'], e.target.value)} />
            </${Field}>
            <${Field} id="township_code" label=${t('township_code')}>
              <input id="township_code" inputmode="numeric" maxlength="9" value=${f.household.township_code} onInput=${(e) => set(['household', 'township_code'], e.target.value)} />
            </${Field}>
            <${Field} id="village_code" label=${t('village_code')}>
              <input id="village_code" inputmode="numeric" maxlength="12" value=${f.household.village_code} onInput=${(e) => set(['household', 'village_code'], e.target.value)} />
            </${Field}>
          </div>
          <${Field} id="address" label=${t('address')} error=${tried && !f.household.address.trim() ? t('missing') : null}>
            <input id="address" value=${f.household.address} onInput=${(e) => set(['household', 'address'], e.target.value)} />
          </${Field}>
          <div class="check">
            <input type="checkbox" id="has_able_supporter" checked=${f.household.has_able_supporter} onChange=${(e) => set(['household', 'has_able_supporter'], e.target.checked)} />
            <label for="has_able_supporter">${t('has_able_supporter')}</label>
          </div>
        </fieldset>

        <fieldset>
          <legend>${t('members')}</legend>
          ${f.members.map((m, i) => html`
            <div class="member">
              <h2>${i === 0 ? t('applicant') : `${t('member_n')} ${i + 1}`}</h2>
              <div class="grid">
                <${IdField} id=${`m${i}-id`} value=${m.id_number} onChange=${(v) => setMember(i, 'id_number', v)} />
                <${Field} id=${`m${i}-name`} label=${t('name')} error=${tried && !m.name.trim() ? t('missing') : null}>
                  <input id=${`m${i}-name`} value=${m.name} onInput=${(e) => setMember(i, 'name', e.target.value)} />
                </${Field}>
                <${Field} id=${`m${i}-relation`} label=${t('relation')}>
                  <${Select} id=${`m${i}-relation`} value=${m.relation} onChange=${(v) => setMember(i, 'relation', v)}
                    options=${(i === 0 ? ['self'] : RELATIONS.slice(1)).map((r) => [r, t(r)])} />
                </${Field}>
                <${Field} id=${`m${i}-birth`} label=${t('birth_date')}>
                  <input id=${`m${i}-birth`} type="date" value=${m.birth_date} onInput=${(e) => setMember(i, 'birth_date', e.target.value)} />
                </${Field}>
                <${Field} id=${`m${i}-labour`} label=${t('labour_capacity')}>
                  <${Select} id=${`m${i}-labour`} value=${m.labour_capacity} onChange=${(v) => setMember(i, 'labour_capacity', v)}
                    options=${['full', 'partial', 'none'].map((r) => [r, t(r)])} />
                </${Field}>
                <${Field} id=${`m${i}-disability`} label=${t('disability_grade')}>
                  <${Select} id=${`m${i}-disability`} value=${m.disability_grade} onChange=${(v) => setMember(i, 'disability_grade', v)}
                    options=${['0', '1', '2', '3', '4'].map((r) => [r, r])} />
                </${Field}>
                <${Field} id=${`m${i}-care`} label=${t('self_care')}>
                  <${Select} id=${`m${i}-care`} value=${m.self_care} onChange=${(v) => setMember(i, 'self_care', v)}
                    options=${['able', 'partially_able', 'unable'].map((r) => [r, t(r)])} />
                </${Field}>
              </div>
              ${i > 0 && html`<button type="button" class="link" onClick=${() => setF((o) => ({ ...o, members: o.members.filter((_, j) => j !== i) }))}>${t('remove_member')}</button>`}
            </div>`)}
          <button type="button" onClick=${() => setF((o) => ({ ...o, members: o.members.concat([emptyMember(false)]) }))}>${t('add_member')}</button>
        </fieldset>

        <fieldset>
          <legend>${t('income')}</legend>
          <p class="note">${t('money_hint')}</p>
          <div class="grid">${INCOME.map((k) => money('income', k))}</div>
        </fieldset>

        <fieldset>
          <legend>${t('expenditure')}</legend>
          <div class="grid">${EXPENSE.map((k) => money('expense', k))}</div>
        </fieldset>

        <fieldset>
          <legend>${t('payee')}</legend>
          <div class="grid">
            <${Field} id="bank_code" label=${t('bank_code')}>
              <input id="bank_code" value=${f.payee.bank_code} onInput=${(e) => set(['payee', 'bank_code'], e.target.value)} />
            </${Field}>
            <${Field} id="account_number" label=${t('account_number')} error=${tried && !/^[0-9]{8,32}$/.test(f.payee.account_number) ? t('invalid_value') : null}>
              <input id="account_number" inputmode="numeric" value=${f.payee.account_number} onInput=${(e) => set(['payee', 'account_number'], e.target.value)} />
            </${Field}>
            <${Field} id="account_name" label=${t('account_name')}>
              <input id="account_name" value=${f.payee.account_name} onInput=${(e) => set(['payee', 'account_name'], e.target.value)} />
            </${Field}>
          </div>
        </fieldset>

        <fieldset>
          <legend>${t('consent')}</legend>
          <div class="check">
            <input type="checkbox" id="consent_given" checked=${f.consent.given} onChange=${(e) => set(['consent', 'given'], e.target.checked)} />
            <label for="consent_given">${t('consent_given')}</label>
          </div>
          <div class="grid">
            <${Field} id="consent_reference" label=${t('consent_reference')}>
              <input id="consent_reference" value=${f.consent.reference} onInput=${(e) => set(['consent', 'reference'], e.target.value)} />
            </${Field}>
            <${Field} id="signed_date" label=${t('signed_date')}>
              <input id="signed_date" type="date" value=${f.consent.signed_date} onInput=${(e) => set(['consent', 'signed_date'], e.target.value)} />
            </${Field}>
            <${Field} id="requested_category" label=${t('requested_category')}>
              <${Select} id="requested_category" value=${f.category} onChange=${(v) => set(['category'], v)}
                options=${[['', t('cat_none')], ['dibao', t('dibao')], ['tekun', t('tekun')], ['expenditure', t('expenditure_cat')], ['low_income', t('low_income')]]} />
            </${Field}>
          </div>
        </fieldset>
        <${ErrorNote} err=${err} id="submit-error" />
        <button type="submit" id="submit" disabled=${busy}>${busy ? t('submitting') : t('submit')}</button>
      </form>
    </section>`;
}
