// The clerk's change reports: a household on the register reports a
// change of income, rigid expenditure, members, address, a death or a
// move out of the district, and the clerk records it (intake's POST
// /households/<beneficiary id>/changes, which has approval open an
// unscheduled review). #/changes lists the register's households within
// the clerk's jurisdiction (approval's GET /beneficiaries, paged);
// #/changes/<beneficiary id> shows the household (approval's GET
// /beneficiaries/<id>), the changes recorded so far (intake's GET
// /households/<id>/changes) and the form, prefilled from the household's
// application as intake has it (GET /applications/<id>).
import { useEffect, useState } from '../vendor/hooks.mjs';
import { call, newKey } from './api.mjs';
import { EXPENSE, Field, IdField, INCOME, MoneyField, Select, today } from './apply.mjs';
import { html } from './html.mjs';
import { addWords, t } from './i18n.mjs';
import { birthDate, idnumState } from './idnum.mjs';
import { fenToYuan, yuanToFen } from './money.mjs';
import { usePaged } from './paged.mjs';
import { ErrorNote } from './problems.mjs';

addWords({
  c2_changes: ['家庭变化报告', 'Change reports'],
  c2_changes_intro: ['在保家庭报告收入、支出、成员、住址等变化时，在此登记；登记后系统将发起复核。', 'When a household on the register reports a change of income, expenditure, members or address, record it here: a review follows.'],
  c2_household_list: ['在保家庭', 'Households on the register'],
  c2_head: ['户主', 'Head'],
  c2_members_count: ['人口', 'Members'],
  c2_monthly_amount: ['月救助金额（元）', 'Monthly amount (yuan)'],
  c2_report_change: ['报告变化', 'Report a change'],
  c2_reg_ACTIVE: ['正常享受', 'Active'], c2_reg_GRADUAL_EXIT: ['渐退期', 'Gradual exit'],
  c2_reg_SUSPENDED: ['暂停', 'Suspended'], c2_reg_EXITED: ['已退出', 'Exited'],
  c2_change_kind: ['变化类型', 'Kind of change'],
  c2_kind_income: ['收入变化', 'Income'], c2_kind_expenditure: ['刚性支出变化', 'Rigid expenditure'],
  c2_kind_members: ['家庭成员增减', 'Members joined or left'], c2_kind_address: ['住址变更', 'New address'],
  c2_kind_death: ['成员死亡', 'A death'], c2_kind_moved_out: ['迁出本区', 'Moved out of the district'],
  c2_effective_date: ['变化发生日期', 'When it happened'],
  c2_note: ['情况说明', 'Note'],
  c2_new_income: ['变化后的月收入（元）', 'Monthly income now (yuan)'],
  c2_new_expense: ['变化后的刚性支出（元/月）', 'Rigid expenditure now (yuan a month)'],
  c2_who_died: ['死亡成员', 'Who died'],
  c2_members_now: ['现有成员（取消勾选表示已离开）', 'Members now (untick who left)'],
  c2_add_person: ['新增成员', 'A member who joined'],
  c2_new_address: ['新住址', 'New address'],
  c2_record_change: ['登记变化', 'Record the change'],
  c2_change_recorded: ['变化已登记（{date}），系统将发起复核。', 'Recorded on {date}; a review follows.'],
  c2_changes_so_far: ['已登记的变化', 'Changes recorded'],
  c2_reported_on: ['登记日期', 'Recorded on'],
  c2_reported_by: ['登记人', 'Recorded by'],
  c2_no_changes: ['尚无登记的变化。', 'No changes recorded yet.'],
  c2_not_at_intake: ['受理系统尚未收到该户的在保信息，请稍后刷新。', 'Intake has not yet learnt of this household; reload shortly.'],
  c2_back_households: ['返回在保家庭列表', 'Back to the households'],
});

const KINDS = ['income', 'expenditure', 'members', 'address', 'death', 'moved_out'];

export function ChangesScreen({ user, params }) {
  return params && params[0] ? html`<${Household} user=${user} id=${params[0]} />` : html`<${Households} />`;
}

function Households() {
  const { items, next, err, more } = usePaged('approval', 'beneficiaries');
  return html`
    <section>
      <h1>${t('c2_changes')}</h1>
      <p class="note">${t('c2_changes_intro')}</p>
      <h2>${t('c2_household_list')}</h2>
      <${ErrorNote} err=${err} />
      ${items === null && !err && html`<p>${t('loading')}</p>`}
      ${items && items.length === 0 && html`<p>${t('empty_list')}</p>`}
      ${items && items.length > 0 && html`
        <table class="list" id="households">
          <thead><tr><th scope="col">${t('c2_head')}</th><th scope="col">${t('c2_village')}</th><th scope="col">${t('c2_members_count')}</th><th scope="col">${t('c2_category')}</th><th scope="col">${t('c2_monthly_amount')}</th><th scope="col">${t('status')}</th><th scope="col"><span class="sr">${t('c2_report_change')}</span></th></tr></thead>
          <tbody>
            ${items.map((b) => html`
              <tr>
                <td data-label=${t('c2_head')}>${b.head_name || ''}</td>
                <td data-label=${t('c2_village')}>${b.village_code || ''}</td>
                <td data-label=${t('c2_members_count')}>${b.members}</td>
                <td data-label=${t('c2_category')}>${b.category ? t(b.category === 'expenditure' ? 'expenditure_cat' : b.category) : ''}</td>
                <td data-label=${t('c2_monthly_amount')}>${fenToYuan(b.monthly_amount_fen || 0)}</td>
                <td data-label=${t('status')}>${t(`c2_reg_${b.status}`)}</td>
                <td>${b.status !== 'EXITED' && html`<a class="button" href=${`#/changes/${encodeURIComponent(b.beneficiary_id)}`} aria-label=${`${t('c2_report_change')} ${b.head_name || ''}`}>${t('c2_report_change')}</a>`}</td>
              </tr>`)}
          </tbody>
        </table>`}
      ${next && html`<button type="button" onClick=${more}>${t('more')}</button>`}
    </section>`;
}

// Fen figures as the form's yuan strings.
const yuanOf = (obj, keys) => Object.fromEntries(keys.map((k) => [k, fenToYuan((obj && obj[k]) || 0)]));
const fenOf = (obj, keys) => Object.fromEntries(keys.map((k) => [k, yuanToFen(obj[k])]));

// The household as it stands: the application as taken in, each
// recorded change's parts laid over it in order (oldest first).
function current(app, changes) {
  const now = { income: app.declared_income, expense: app.declared_expenditure, household: app.household, members: app.members || [] };
  for (const c of Array.isArray(changes) ? changes : []) {
    if (c.income) now.income = c.income;
    if (c.expenditure) now.expense = c.expenditure;
    if (c.household) now.household = c.household;
    if (c.members && c.members.length) now.members = c.members;
    if (c.kind === 'death' && c.member_id_number) now.members = now.members.filter((m) => m.id_number !== c.member_id_number);
  }
  return now;
}

function blankForm(now) {
  const members = (now && now.members) || [];
  return {
    kind: 'income',
    effective_date: today(),
    note: '',
    income: yuanOf(now && now.income, INCOME),
    expense: yuanOf(now && now.expense, EXPENSE),
    household: { ...((now && now.household) || {}) },
    members,
    keep: members.map(() => true),
    dead: members[1] ? members[1].id_number : (members[0] && members[0].id_number) || '',
    added: { id_number: '', name: '', relation: 'child', birth_date: '', labour_capacity: 'full', disability_grade: 0, self_care: 'able' },
  };
}

// The request body of the form's kind (IntakeChangeRequest).
function changeBody(f) {
  const body = { kind: f.kind, effective_date: f.effective_date };
  if (f.note.trim()) body.note = f.note.trim();
  if (f.kind === 'income') body.income = fenOf(f.income, INCOME);
  if (f.kind === 'expenditure') body.expenditure = fenOf(f.expense, EXPENSE);
  if (f.kind === 'death') body.member_id_number = f.dead;
  if (f.kind === 'address') {
    const v = f.household.village_code || '';
    body.household = { ...f.household, township_code: v.slice(0, 9), district_code: v.slice(0, 6) };
  }
  if (f.kind === 'members') {
    const kept = f.members.filter((_, i) => f.keep[i]);
    const left = f.members.filter((_, i) => !f.keep[i]);
    const joined = f.added.id_number ? [{ ...f.added, name: f.added.name.trim() }] : [];
    body.members = kept.concat(joined);
    const moved = left.concat(joined);
    if (moved.length === 1) body.member_id_number = moved[0].id_number;
  }
  return body;
}

function formInvalid(f) {
  if (!f.effective_date) return true;
  if (f.kind === 'income') return INCOME.some((k) => yuanToFen(f.income[k]) === null);
  if (f.kind === 'expenditure') return EXPENSE.some((k) => yuanToFen(f.expense[k]) === null);
  if (f.kind === 'address') return !(f.household.address || '').trim() || !/^[0-9]{12}$/.test(f.household.village_code || '');
  if (f.kind === 'members') return !f.keep[0] || (f.added.id_number !== '' && (idnumState(f.added.id_number) !== 'ok' || !f.added.name.trim()));
  if (f.kind === 'death') return !f.dead;
  return false;
}

function Household({ id }) {
  const [b, setB] = useState(null);
  const [app, setApp] = useState(null);
  const [changes, setChanges] = useState(null);
  const [err, setErr] = useState(null);
  const [f, setF] = useState(() => blankForm(null));
  const [key, setKey] = useState(newKey);
  const [busy, setBusy] = useState(false);
  const [sendErr, setSendErr] = useState(null);
  const [done, setDone] = useState(null);

  // The recorded changes (the first 100, oldest first); 'unknown' when
  // intake does not know the household yet.
  async function loadChanges() {
    try {
      const items = (await call('GET', 'intake', `households/${encodeURIComponent(id)}/changes?limit=100`)).items;
      setChanges(items);
      return items;
    } catch (p) {
      setChanges(p.status === 404 ? 'unknown' : null);
      return [];
    }
  }
  useEffect(() => {
    (async () => {
      try {
        const ben = await call('GET', 'approval', `beneficiaries/${encodeURIComponent(id)}`);
        setB(ben);
        const [a, items] = await Promise.all([call('GET', 'intake', `applications/${encodeURIComponent(ben.application_id)}`), loadChanges()]);
        setApp(a);
        setF(blankForm(current(a, items)));
      } catch (p) {
        setErr(p);
      }
    })();
  }, [id]);

  const set = (k, v) => setF((o) => ({ ...o, [k]: v }));
  const setIn = (group, k, v) => setF((o) => ({ ...o, [group]: { ...o[group], [k]: v } }));

  async function submit(e) {
    e.preventDefault();
    setSendErr(null);
    setDone(null);
    if (formInvalid(f)) {
      setSendErr({ code: 'fix_errors' });
      return;
    }
    setBusy(true);
    try {
      const r = await call('POST', 'intake', `households/${encodeURIComponent(id)}/changes`, changeBody(f), key);
      setDone(r);
      setKey(newKey());
      setF(blankForm(current(app, await loadChanges())));
    } catch (p) {
      setSendErr(p);
    }
    setBusy(false);
  }

  if (err) return html`<section><h1>${t('c2_changes')}</h1><${ErrorNote} err=${err} /><p><a href="#/changes">${t('c2_back_households')}</a></p></section>`;
  if (!b || !app) return html`<section><h1>${t('c2_changes')}</h1><p>${t('loading')}</p></section>`;

  const money = (group, k) => html`<${MoneyField} id=${`ch-${k}`} label=${t(k)} value=${f[group][k]} check=${true} onChange=${(v) => setIn(group, k, v)} />`;
  const members = f.members;

  return html`
    <section>
      <p class="noprint"><a href="#/changes">${t('c2_back_households')}</a></p>
      <h1>${t('c2_report_change')}：${b.head_name || ''}</h1>
      <dl class="facts">
        <dt>${t('c2_village')}</dt><dd>${b.village_code}</dd>
        <dt>${t('c2_members_count')}</dt><dd>${b.members}</dd>
        <dt>${t('c2_category')}</dt><dd>${b.category ? t(b.category === 'expenditure' ? 'expenditure_cat' : b.category) : ''}</dd>
        <dt>${t('c2_monthly_amount')}</dt><dd>${fenToYuan(b.monthly_amount_fen || 0)}</dd>
        <dt>${t('status')}</dt><dd>${t(`c2_reg_${b.status}`)}</dd>
      </dl>
      ${done && html`<p class="ok" role="status" id="change-recorded">${t('c2_change_recorded', { date: done.reported_on })}</p>`}
      ${changes === 'unknown' && html`<p class="error" role="alert">${t('c2_not_at_intake')}</p>`}
      <form onSubmit=${submit} novalidate>
        <fieldset>
          <legend>${t('c2_report_change')}</legend>
          <div class="grid">
            <${Field} id="ch-kind" label=${t('c2_change_kind')}>
              <${Select} id="ch-kind" value=${f.kind} onChange=${(v) => set('kind', v)} options=${KINDS.map((k) => [k, t(`c2_kind_${k}`)])} />
            </${Field}>
            <${Field} id="ch-date" label=${t('c2_effective_date')}>
              <input id="ch-date" type="date" max=${today()} value=${f.effective_date} onInput=${(e) => set('effective_date', e.target.value)} />
            </${Field}>
          </div>
          ${f.kind === 'income' && html`<h2>${t('c2_new_income')}</h2><div class="grid">${INCOME.map((k) => money('income', k))}</div>`}
          ${f.kind === 'expenditure' && html`<h2>${t('c2_new_expense')}</h2><div class="grid">${EXPENSE.map((k) => money('expense', k))}</div>`}
          ${f.kind === 'death' && html`
            <${Field} id="ch-dead" label=${t('c2_who_died')}>
              <${Select} id="ch-dead" value=${f.dead} onChange=${(v) => set('dead', v)} options=${members.map((m) => [m.id_number, `${m.name}（${m.id_number}）`])} />
            </${Field}>`}
          ${f.kind === 'address' && html`
            <div class="grid">
              <${Field} id="ch-village" label=${t('village_code')}>
                <input id="ch-village" inputmode="numeric" maxlength="12" value=${f.household.village_code || ''} onInput=${(e) => setIn('household', 'village_code', e.target.value)} />
              </${Field}>
              <${Field} id="ch-address" label=${t('c2_new_address')}>
                <input id="ch-address" value=${f.household.address || ''} onInput=${(e) => setIn('household', 'address', e.target.value)} />
              </${Field}>
            </div>`}
          ${f.kind === 'members' && html`
            <h2>${t('c2_members_now')}</h2>
            ${members.map((m, i) => html`
              <div class="check">
                <input type="checkbox" id=${`ch-keep-${i}`} checked=${f.keep[i]} disabled=${i === 0} onChange=${(e) => setF((o) => ({ ...o, keep: o.keep.map((x, j) => (j === i ? e.target.checked : x)) }))} />
                <label for=${`ch-keep-${i}`}>${m.name}（${t(m.relation)}，<code>${m.id_number}</code>）</label>
              </div>`)}
            <h2>${t('c2_add_person')}</h2>
            <div class="grid">
              <${IdField} id="ch-add-id" value=${f.added.id_number} onChange=${(v) => setF((o) => ({ ...o, added: { ...o.added, id_number: v, birth_date: idnumState(v) === 'ok' ? birthDate(v) : o.added.birth_date } }))} />
              <${Field} id="ch-add-name" label=${t('name')}>
                <input id="ch-add-name" value=${f.added.name} onInput=${(e) => setIn('added', 'name', e.target.value)} />
              </${Field}>
              <${Field} id="ch-add-relation" label=${t('relation')}>
                <${Select} id="ch-add-relation" value=${f.added.relation} onChange=${(v) => setIn('added', 'relation', v)} options=${['spouse', 'child', 'parent', 'other'].map((r) => [r, t(r)])} />
              </${Field}>
            </div>`}
          <${Field} id="ch-note" label=${t('c2_note')}>
            <textarea id="ch-note" rows="3" maxlength="2000" value=${f.note} onInput=${(e) => set('note', e.target.value)}></textarea>
          </${Field}>
        </fieldset>
        <${ErrorNote} err=${sendErr} id="change-error" />
        <button type="submit" id="record-change" disabled=${busy}>${busy ? t('submitting') : t('c2_record_change')}</button>
      </form>
      <h2>${t('c2_changes_so_far')}</h2>
      ${Array.isArray(changes) && changes.length === 0 && html`<p>${t('c2_no_changes')}</p>`}
      ${Array.isArray(changes) && changes.length > 0 && html`
        <table class="list" id="changes">
          <thead><tr><th scope="col">${t('c2_change_kind')}</th><th scope="col">${t('c2_effective_date')}</th><th scope="col">${t('c2_reported_on')}</th><th scope="col">${t('c2_reported_by')}</th><th scope="col">${t('c2_note')}</th></tr></thead>
          <tbody>
            ${changes.map((c) => html`
              <tr>
                <td data-label=${t('c2_change_kind')}>${t(`c2_kind_${c.kind}`)}</td>
                <td data-label=${t('c2_effective_date')}>${c.effective_date}</td>
                <td data-label=${t('c2_reported_on')}>${c.reported_on}</td>
                <td data-label=${t('c2_reported_by')}>${c.agency ? c.agency : c.reported_by}</td>
                <td data-label=${t('c2_note')}>${c.note || ''}</td>
              </tr>`)}
          </tbody>
        </table>`}
    </section>`;
}
