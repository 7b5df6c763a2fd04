// The emergency officer's screens (issue 17, money): help at once within
// the township's reserve fund and the per-grant limit (emergency's
// POST /grants with an Idempotency-Key), the fund balances and a fund's
// ledger (GET /funds, GET /funds/{township}/ledger; finance also
// allocates into a fund there), and the chain of a person (GET
// /people/{id_number}/chain: grants, payments, referrals, applications,
// decisions). Money is integer fen; the forms take yuan (money.mjs).
import { useEffect, useState } from '../vendor/hooks.mjs';
import { call, newKey } from './api.mjs';
import { IdField, Input } from './apply.mjs';
import { html } from './html.mjs';
import { addWords, t } from './i18n.mjs';
import { idnumState } from './idnum.mjs';
import { fenToYuan, yuanToFen } from './money.mjs';
import { dt } from './ovkit.mjs';
import { allPages, usePaged } from './paged.mjs';
import { ErrorNote } from './problems.mjs';

addWords({
  em_grant: ['临时救助', 'Emergency help'],
  em_grant_title: ['临时救助：即时发放', 'Emergency help: grant at once'],
  em_funds: ['备用金余额', 'Fund balances'],
  em_chain: ['救助链条', 'A person\u2019s chain'],
  em_fund_of: ['乡镇备用金 {code}', 'Township fund {code}'],
  em_balance: ['可用余额', 'Balance'],
  em_allocated: ['累计拨入', 'Allocated'],
  em_granted: ['累计发放', 'Granted'],
  em_reversed: ['退回', 'Credited back'],
  em_limit: ['单笔限额', 'Limit per grant'],
  em_window: ['累计计算期（天）', 'Window (days)'],
  em_waiting: ['待审批', 'Awaiting approval'],
  em_no_fund: ['该乡镇尚无备用金，请联系财务拨付。', 'This township has no fund yet; ask finance to allocate.'],
  em_person: ['受助人', 'Person helped'],
  em_cause: ['致困原因', 'Cause'],
  em_c_accident: ['意外事故', 'Accident'],
  em_c_major_illness: ['重大疾病', 'Major illness'],
  em_c_disaster: ['自然灾害', 'Disaster'],
  em_c_fire: ['火灾', 'Fire'],
  em_c_other: ['其他', 'Other'],
  em_description: ['情况说明', 'What happened'],
  em_household_size: ['家庭人口', 'Household size'],
  em_amount: ['救助金额（元）', 'Amount (yuan)'],
  em_submit: ['发放', 'Grant'],
  em_granted_msg: ['已发放 {amount} 元。备用金余额 {before} 元 → {after} 元。', 'Granted {amount} yuan. Fund balance {before} → {after} yuan.'],
  em_awaiting_msg: ['超出限额（或 {days} 天内累计超出限额），已提交区县审批，尚未扣款。', 'Above the limit (or the {days}-day sum is): sent to the district for approval, nothing debited.'],
  em_over_limit: ['金额超过单笔限额 {limit} 元，将提交区县审批。', 'Above the {limit}-yuan limit: the district will have to approve it.'],
  em_over_balance: ['金额超过备用金余额 {balance} 元。', 'More than the fund\u2019s balance of {balance} yuan.'],
  em_open_chain: ['查看此人的救助链条', 'Open this person\u2019s chain'],
  em_find: ['查询', 'Look up'],
  em_chain_empty: ['您的管辖范围内没有此人的临时救助记录。', 'No emergency help for this person within your jurisdiction.'],
  em_grant_n: ['临时救助 {date}', 'Emergency help of {date}'],
  em_status: ['状态', 'Status'],
  em_s_awaiting_approval: ['待审批', 'Awaiting approval'],
  em_s_granted: ['已发放，待到账', 'Granted, being paid'],
  em_s_rejected: ['未批准', 'Refused'],
  em_s_paid: ['已到账', 'Paid'],
  em_s_payment_failed: ['支付失败，已退回备用金', 'Payment failed, credited back'],
  em_payment: ['支付', 'Payment'],
  em_paid_at: ['到账时间', 'Paid at'],
  em_referrals: ['转介', 'Referrals'],
  em_no_referrals: ['尚未转介。', 'Not referred yet.'],
  em_k_medical: ['医疗救助', 'Medical'],
  em_k_housing: ['住房救助', 'Housing'],
  em_k_education: ['教育救助', 'Education'],
  em_k_employment: ['就业救助', 'Employment'],
  em_k_dibao: ['低保', 'Dibao'],
  em_k_tekun: ['特困', 'Tekun'],
  em_application: ['申请 {id}（受理 {date}）', 'Application {id} (taken in {date})'],
  em_decision_yes: ['已批准：{category}，每月 {amount} 元，自 {month} 起', 'Approved: {category}, {amount} yuan a month from {month}'],
  em_decision_no: ['未批准：{reason}', 'Refused: {reason}'],
  em_decision_none: ['尚未决定', 'Not decided yet'],
  em_ledger: ['收支明细', 'Ledger'],
  em_movement: ['类型', 'Movement'],
  em_mv_allocation: ['拨入', 'Allocation'],
  em_mv_grant: ['发放', 'Grant'],
  em_mv_reversal: ['退回', 'Credit back'],
  em_mv_settlement: ['年终结算', 'Year-end settlement'],
  em_amount_col: ['金额（元）', 'Amount (yuan)'],
  em_balance_after: ['余额（元）', 'Balance (yuan)'],
  em_when: ['时间', 'When'],
  em_by: ['经办人', 'By'],
  em_allocate: ['拨入备用金', 'Allocate to a fund'],
  em_allocate_done: ['已拨入，余额 {balance} 元。', 'Allocated; the balance is {balance} yuan.'],
  em_township: ['乡镇（街道）代码', 'Township code'],
  em_note: ['备注', 'Note'],
  em_grants: ['救助记录', 'Grants'],
  em_refer: ['转介', 'Refer'],
  em_refer_kind: ['转介事项', 'Refer to'],
  em_department: ['承接部门', 'Department'],
  em_referred: ['已转介：{kind}', 'Referred: {kind}'],
  em_approve: ['批准', 'Approve'],
  em_reject: ['不批准', 'Refuse'],
  em_reason: ['理由', 'Reason'],
  em_decided: ['已处理。', 'Decided.'],
  em_all: ['全部', 'All'],
});

const CAUSES = ['accident', 'major_illness', 'disaster', 'fire', 'other'];
const REFERRALS = ['dibao', 'tekun', 'medical', 'housing', 'education', 'employment'];
const STATUSES = ['awaiting_approval', 'granted', 'paid', 'payment_failed', 'rejected'];

// The funds the user's token shows.
const allFunds = (township) => allPages('emergency', township ? `funds?township=${township}` : 'funds');

function FundCard({ fund }) {
  return html`
    <dl class="figures fund" id=${`fund-${fund.township_code}`}>
      <div class="big"><dt>${t('em_balance')}</dt><dd class="balance">${fenToYuan(fund.balance_fen)}</dd></div>
      <div><dt>${t('em_limit')}</dt><dd>${fenToYuan(fund.grant_limit_fen)}</dd></div>
      <div><dt>${t('em_granted')}</dt><dd>${fenToYuan(fund.granted_fen)}</dd></div>
      <div><dt>${t('em_waiting')}</dt><dd>${fund.awaiting_approval}</dd></div>
    </dl>`;
}

export function GrantScreen({ user }) {
  const j = user.juris || '';
  const empty = () => ({
    township_code: j.length >= 9 ? j.slice(0, 9) : '', village_code: j.length >= 12 ? j : '',
    id_number: '', name: '', cause: 'accident', description: '', household_size: '1', amount: '',
    bank_code: '', account_number: '', account_name: '',
  });
  const [f, setF] = useState(empty);
  const [fund, setFund] = useState(undefined);
  const [key, setKey] = useState(newKey);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState(null);
  const [done, setDone] = useState(null);
  const [tried, setTried] = useState(false);
  const set = (k, v) => setF((o) => ({ ...o, [k]: v }));

  async function loadFund(code) {
    if (!/^[0-9]{9}$/.test(code)) { setFund(undefined); return; }
    try {
      const items = await allFunds(code);
      setFund(items.find((x) => x.township_code === code) || null);
    } catch (p) {
      setFund(undefined);
    }
  }
  useEffect(() => { loadFund(f.township_code); }, [f.township_code]);

  const amount = yuanToFen(f.amount);
  const size = Number(f.household_size);
  const bad = {
    village_code: !/^[0-9]{12}$/.test(f.village_code) || !f.village_code.startsWith(f.township_code),
    township_code: !/^[0-9]{9}$/.test(f.township_code),
    name: !f.name.trim(), description: !f.description.trim(),
    amount: amount === null || amount < 1,
    household_size: !(Number.isInteger(size) && size >= 1 && size <= 20),
    bank_code: !/^[A-Za-z0-9]{1,16}$/.test(f.bank_code),
    account_number: !/^[0-9]{8,32}$/.test(f.account_number),
    account_name: !f.account_name.trim(),
  };
  const invalid = idnumState(f.id_number) !== 'ok' || Object.values(bad).some(Boolean);

  async function submit(e) {
    e.preventDefault();
    setTried(true);
    setErr(null);
    if (invalid) { setErr({ code: 'fix_errors' }); return; }
    const before = fund ? fund.balance_fen : null;
    setBusy(true);
    try {
      const g = await call('POST', 'emergency', 'grants', {
        township_code: f.township_code, village_code: f.village_code,
        person: { id_number: f.id_number, name: f.name.trim() },
        cause: f.cause, description: f.description.trim(), household_size: size, amount_fen: amount,
        payee: { bank_code: f.bank_code, account_number: f.account_number, account_name: f.account_name.trim() },
      }, key);
      setDone({ grant: g, before });
      setKey(newKey());
      setF(empty());
      setTried(false);
      loadFund(g.township_code);
    } catch (p) {
      setErr(p);
    }
    setBusy(false);
  }

  const field = (k, label, input) => html`
    <div class=${`field${tried && bad[k] ? ' invalid' : ''}`}>
      <label for=${`em-${k}`}>${label}</label>
      ${input}
      ${tried && bad[k] && html`<small class="note error">${t(k === 'amount' ? 'invalid_money_input' : 'invalid_value')}</small>`}
    </div>`;
  const input = (k, extra = {}) => html`<input id=${`em-${k}`} value=${f[k]} onInput=${(e) => set(k, e.target.value)} ...${extra} />`;
  const warn = fund && amount !== null && amount > 0
    ? (amount > fund.balance_fen ? t('em_over_balance', { balance: fenToYuan(fund.balance_fen) })
      : amount > fund.grant_limit_fen ? t('em_over_limit', { limit: fenToYuan(fund.grant_limit_fen) }) : null)
    : null;
  const g = done && done.grant;

  return html`
    <section>
      <h1>${t('em_grant_title')}</h1>
      ${fund && html`<div class="card"><h2>${t('em_fund_of', { code: fund.township_code })}</h2><${FundCard} fund=${fund} /></div>`}
      ${fund === null && html`<p class="error" role="status">${t('em_no_fund')}</p>`}
      ${g && g.status === 'granted' && html`
        <p class="ok" role="status" id="granted">${t('em_granted_msg', { amount: fenToYuan(g.amount_fen), before: done.before === null ? '—' : fenToYuan(done.before), after: fenToYuan(g.balance_fen) })}
          ${' '}<a href=${`#/chain/${g.person.id_number}`}>${t('em_open_chain')}</a></p>`}
      ${g && g.status === 'awaiting_approval' && html`<p class="ok" role="status" id="granted">${t('em_awaiting_msg', { days: fund ? fund.window_days : 30 })}</p>`}
      <form onSubmit=${submit} novalidate>
        <fieldset>
          <legend>${t('em_person')}</legend>
          <div class="grid">
            <${IdField} id="em-id_number" value=${f.id_number} onChange=${(v) => set('id_number', v)} />
            ${field('name', t('name'), input('name'))}
            ${field('household_size', t('em_household_size'), input('household_size', { inputmode: 'numeric' }))}
            ${field('township_code', t('township_code'), input('township_code', { inputmode: 'numeric', maxlength: 9 }))}
            ${field('village_code', t('village_code'), input('village_code', { inputmode: 'numeric', maxlength: 12 }))}
          </div>
        </fieldset>
        <fieldset>
          <legend>${t('em_grant')}</legend>
          <div class="grid">
            <div class="field">
              <label for="em-cause">${t('em_cause')}</label>
              <select id="em-cause" value=${f.cause} onChange=${(e) => set('cause', e.target.value)}>
                ${CAUSES.map((c) => html`<option value=${c}>${t(`em_c_${c}`)}</option>`)}
              </select>
            </div>
            ${field('amount', t('em_amount'), input('amount', { inputmode: 'decimal' }))}
          </div>
          ${warn && html`<p class="note" role="status" id="em-warn">${warn}</p>`}
          ${field('description', t('em_description'), input('description', { maxlength: 500 }))}
        </fieldset>
        <fieldset>
          <legend>${t('payee')}</legend>
          <div class="grid">
            ${field('bank_code', t('bank_code'), input('bank_code'))}
            ${field('account_number', t('account_number'), input('account_number', { inputmode: 'numeric' }))}
            ${field('account_name', t('account_name'), input('account_name'))}
          </div>
        </fieldset>
        <${ErrorNote} err=${err} id="grant-error" />
        <button type="submit" id="grant-submit" disabled=${busy}>${busy ? t('submitting') : t('em_submit')}</button>
      </form>
    </section>`;
}

// The reserve funds in the user's jurisdiction; finance allocates.
export function FundsScreen({ user }) {
  const [funds, setFunds] = useState(null);
  const [err, setErr] = useState(null);
  const load = () => allFunds(null).then(setFunds, setErr);
  useEffect(() => { load(); }, []);
  return html`
    <section>
      <h1>${t('em_funds')}</h1>
      <${ErrorNote} err=${err} />
      ${funds === null && !err && html`<p>${t('loading')}</p>`}
      ${funds && funds.length === 0 && html`<p>${t('empty_list')}</p>`}
      ${funds && funds.length > 0 && html`
        <table class="list" id="funds">
          <thead><tr><th scope="col">${t('em_township')}</th><th scope="col" class="num">${t('em_balance')}</th><th scope="col" class="num">${t('em_allocated')}</th><th scope="col" class="num">${t('em_granted')}</th><th scope="col" class="num">${t('em_reversed')}</th><th scope="col" class="num">${t('em_limit')}</th><th scope="col" class="num">${t('em_waiting')}</th></tr></thead>
          <tbody>${funds.map((f) => html`
            <tr>
              <td data-label=${t('em_township')}><a href=${`#/fund/${f.township_code}`}>${f.township_code}</a></td>
              <td data-label=${t('em_balance')} class="num balance">${fenToYuan(f.balance_fen)}</td>
              <td data-label=${t('em_allocated')} class="num">${fenToYuan(f.allocated_fen)}</td>
              <td data-label=${t('em_granted')} class="num">${fenToYuan(f.granted_fen)}</td>
              <td data-label=${t('em_reversed')} class="num">${fenToYuan(f.reversed_fen)}</td>
              <td data-label=${t('em_limit')} class="num">${fenToYuan(f.grant_limit_fen)}</td>
              <td data-label=${t('em_waiting')} class="num">${f.awaiting_approval}</td>
            </tr>`)}</tbody>
        </table>`}
      ${user.role === 'finance' && html`<${Allocate} user=${user} onDone=${load} />`}
    </section>`;
}

// Finance: money into a township's fund (POST /funds/{township}/allocations).
function Allocate({ user, onDone }) {
  const j = user.juris || '';
  const [town, setTown] = useState(j.length === 9 ? j : '');
  const [amount, setAmount] = useState('');
  const [note, setNote] = useState('');
  const [key, setKey] = useState(newKey);
  const [err, setErr] = useState(null);
  const [done, setDone] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    setErr(null);
    setDone(null);
    const fen = yuanToFen(amount);
    if (!/^[0-9]{9}$/.test(town) || fen === null || fen < 1) { setErr({ code: 'fix_errors' }); return; }
    setBusy(true);
    try {
      const body = { amount_fen: fen };
      if (note.trim()) body.note = note.trim();
      const r = await call('POST', 'emergency', `funds/${town}/allocations`, body, key);
      setDone(r);
      setKey(newKey());
      setAmount('');
      onDone();
    } catch (p) {
      setErr(p);
    }
    setBusy(false);
  }
  return html`
    <form class="card noprint" onSubmit=${submit} novalidate>
      <h2>${t('em_allocate')}</h2>
      <div class="grid">
        <${Input} id="al-town" label=${t('em_township')} inputmode="numeric" maxlength="9" value=${town} onInput=${setTown} />
        <${Input} id="al-amount" label=${t('em_amount')} inputmode="decimal" value=${amount} onInput=${setAmount} />
        <${Input} id="al-note" label=${t('em_note')} maxlength="500" value=${note} onInput=${setNote} />
      </div>
      <${ErrorNote} err=${err} />
      ${done && html`<p class="ok" role="status" id="allocated">${t('em_allocate_done', { balance: fenToYuan(done.balance_fen) })}</p>`}
      <button type="submit" id="al-submit" disabled=${busy}>${t('em_allocate')}</button>
    </form>`;
}

// One fund's ledger (#/fund/<township>), every movement with the balance after it.
export function LedgerScreen({ params }) {
  const town = params[0] || '';
  const { items: rows, next, err, more } = usePaged('emergency', `funds/${encodeURIComponent(town)}/ledger`, { limit: 100 });
  return html`
    <section>
      <div class="bar"><h1>${t('em_fund_of', { code: town })} · ${t('em_ledger')}</h1><button type="button" class="noprint" onClick=${() => print()}>${t('print')}</button></div>
      <${ErrorNote} err=${err} />
      ${rows && rows.length === 0 && html`<p>${t('empty_list')}</p>`}
      ${rows && rows.length > 0 && html`
        <table class="list">
          <thead><tr><th scope="col">${t('em_when')}</th><th scope="col">${t('em_movement')}</th><th scope="col" class="num">${t('em_amount_col')}</th><th scope="col" class="num">${t('em_balance_after')}</th><th scope="col">${t('em_by')}</th><th scope="col">${t('em_note')}</th></tr></thead>
          <tbody>${rows.map((r) => html`
            <tr>
              <td data-label=${t('em_when')}>${dt(r.created_at)}</td>
              <td data-label=${t('em_movement')}>${t(`em_mv_${r.movement}`)}</td>
              <td data-label=${t('em_amount_col')} class="num">${fenToYuan(r.amount_fen)}</td>
              <td data-label=${t('em_balance_after')} class="num">${fenToYuan(r.balance_after_fen)}</td>
              <td data-label=${t('em_by')}>${r.actor || ''}</td>
              <td data-label=${t('em_note')}>${r.note || ''}</td>
            </tr>`)}</tbody>
        </table>`}
      ${next && html`<button type="button" class="noprint" onClick=${more}>${t('more')}</button>`}
    </section>`;
}

function catName(c) {
  return c === 'expenditure' ? t('expenditure_cat') : c ? t(c) : '';
}

function Decision({ d }) {
  if (!d) return html`<span>${t('em_decision_none')}</span>`;
  return d.approved
    ? html`<span class="status st-decided_approved">${t('em_decision_yes', { category: catName(d.category), amount: fenToYuan(d.monthly_amount_fen || 0), month: d.effective_month || '' })}</span>`
    : html`<span class="status st-decided_rejected">${t('em_decision_no', { reason: d.reason || '' })}</span>`;
}

// The chain of a person (#/chain or #/chain/<id_number>).
export function ChainScreen({ params }) {
  const [idn, setIdn] = useState(params[0] || '');
  const [chain, setChain] = useState(null);
  const [err, setErr] = useState(null);
  async function load(n) {
    setErr(null);
    setChain(null);
    try {
      setChain(await call('GET', 'emergency', `people/${encodeURIComponent(n)}/chain`));
    } catch (p) {
      setErr(p);
    }
  }
  useEffect(() => { if (params[0]) load(params[0]); }, [params[0]]);
  const st = idnumState(idn);
  function submit(e) {
    e.preventDefault();
    if (st !== 'ok') { setErr({ code: 'invalid_id_number' }); return; }
    location.hash = `#/chain/${idn}`;
    if (params[0] === idn) load(idn);
  }
  return html`
    <section>
      <div class="bar"><h1>${t('em_chain')}</h1>${chain && html`<button type="button" class="noprint" onClick=${() => print()}>${t('print')}</button>`}</div>
      <form class="card noprint inline" onSubmit=${submit} novalidate>
        <div class=${`field${st.startsWith('bad') ? ' invalid' : ''}`}>
          <label for="chain-id">${t('id_number')}</label>
          <input id="chain-id" value=${idn} maxlength="18" autocomplete="off" spellcheck="false" aria-describedby="chain-id-note"
            onInput=${(e) => setIdn(e.target.value.toUpperCase())} />
          <small id="chain-id-note" class=${st.startsWith('bad') ? 'note error' : 'note'} aria-live="polite">${t(`idn_${st}`, { n: idn.trim().length })}</small>
        </div>
        <button type="submit" id="chain-find">${t('em_find')}</button>
      </form>
      <${ErrorNote} err=${err} />
      ${chain && chain.grants.length === 0 && html`<p id="chain-empty">${t('em_chain_empty')}</p>`}
      ${chain && chain.grants.map(({ grant: g, referrals }) => html`
        <article class="card chain-grant">
          <h2>${t('em_grant_n', { date: dt(g.granted_at || g.created_at).slice(0, 10) })} · ${g.person && g.person.name}</h2>
          <dl class="facts">
            <dt>${t('em_amount')}</dt><dd class="amount">${fenToYuan(g.amount_fen)}</dd>
            <dt>${t('em_cause')}</dt><dd>${t(`em_c_${g.cause}`)}</dd>
            <dt>${t('em_description')}</dt><dd>${g.description}</dd>
            <dt>${t('em_township')}</dt><dd>${g.township_code} / ${g.village_code}</dd>
            <dt>${t('em_status')}</dt><dd><span class=${`status em-${g.status}`}>${t(`em_s_${g.status}`)}</span></dd>
            ${g.payment && html`<dt>${t('em_paid_at')}</dt><dd>${dt(g.payment.settled_at || g.payment.paid_at) || (g.payment.failure_reason || '')}</dd>`}
            ${g.reversed_fen > 0 && html`<dt>${t('em_reversed')}</dt><dd>${fenToYuan(g.reversed_fen)}</dd>`}
          </dl>
          <h3>${t('em_referrals')}</h3>
          ${(!referrals || referrals.length === 0) && html`<p>${t('em_no_referrals')}</p>`}
          <ul class="plain">${(referrals || []).map((r) => html`
            <li>${t(`em_k_${r.kind}`)}${r.department ? ` · ${r.department}` : ''} · ${dt(r.created_at)}
              <ul>${(r.applications || []).map((a) => html`<li>${t('em_application', { id: a.application_id.slice(0, 8), date: a.accepted_date || dt(a.submitted_at).slice(0, 10) })}: <${Decision} d=${a.decision} /></li>`)}</ul>
            </li>`)}</ul>
        </article>`)}
    </section>`;
}

// The grants in the user's jurisdiction (GET /grants, newest first once
// read), by status. The emergency officer refers a person on after the
// help (POST /grants/{id}/referrals: dibao and tekun open a draft
// application at intake); a district officer decides the grants that
// wait above the limit (POST /grants/{id}/approval).
export function GrantsScreen({ user }) {
  const [status, setStatus] = useState(user.role === 'district_officer' ? 'awaiting_approval' : 'all');
  const [items, setItems] = useState(null);
  const [err, setErr] = useState(null);
  const [msg, setMsg] = useState(null);
  const load = (st) => allPages('emergency', `grants?status=${st}`).then((g) => setItems(g.reverse()), setErr);
  useEffect(() => { load(status); }, [status]);
  const done = (m) => { setMsg(m); load(status); };
  return html`
    <section>
      <div class="bar"><h1>${t('em_grants')}</h1><button type="button" class="noprint" onClick=${() => print()}>${t('print')}</button></div>
      <div class="card noprint inline">
        <div class="field"><label for="grants-status">${t('em_status')}</label>
          <select id="grants-status" value=${status} onChange=${(e) => { setItems(null); setStatus(e.target.value); }}>
            <option value="all">${t('em_all')}</option>
            ${STATUSES.map((x) => html`<option value=${x}>${t(`em_s_${x}`)}</option>`)}
          </select></div>
      </div>
      <${ErrorNote} err=${err} id="grants-error" />
      ${msg && html`<p class="ok" role="status" id="grants-done">${msg}</p>`}
      ${items && items.length === 0 && html`<p>${t('empty_list')}</p>`}
      ${items && items.length > 0 && html`
        <table class="list" id="grants">
          <thead><tr><th scope="col">${t('em_when')}</th><th scope="col">${t('em_person')}</th><th scope="col" class="num">${t('em_amount')}</th><th scope="col">${t('em_cause')}</th><th scope="col">${t('em_status')}</th><th scope="col" class="noprint"></th></tr></thead>
          <tbody>${items.map((g) => html`
            <tr>
              <td data-label=${t('em_when')}>${dt(g.created_at)}</td>
              <td data-label=${t('em_person')}><a href=${`#/chain/${g.person.id_number}`}>${g.person.name}</a></td>
              <td data-label=${t('em_amount')} class="num">${fenToYuan(g.amount_fen)}</td>
              <td data-label=${t('em_cause')}>${t(`em_c_${g.cause}`)}</td>
              <td data-label=${t('em_status')}><span class=${`status em-${g.status}`}>${t(`em_s_${g.status}`)}</span></td>
              <td class="noprint">${user.role === 'emergency_officer' && g.status !== 'rejected' && g.status !== 'awaiting_approval' && html`<${Refer} grant=${g} onDone=${done} />`}
                ${user.role === 'district_officer' && g.status === 'awaiting_approval' && html`<${Decide} grant=${g} onDone=${done} />`}</td>
            </tr>`)}</tbody>
        </table>`}
    </section>`;
}

function Refer({ grant, onDone }) {
  const [kind, setKind] = useState('dibao');
  const [dept, setDept] = useState('');
  const [err, setErr] = useState(null);
  const [key] = useState(newKey);
  const needs = !['dibao', 'tekun'].includes(kind);
  async function submit(e) {
    e.preventDefault();
    setErr(null);
    try {
      const body = { kind };
      if (needs) body.department = dept.trim();
      await call('POST', 'emergency', `grants/${grant.id}/referrals`, body, `${key}-${kind}`);
      onDone(t('em_referred', { kind: t(`em_k_${kind}`) }));
    } catch (p) {
      setErr(p);
    }
  }
  return html`
    <form class="refer" onSubmit=${submit} novalidate>
      <label for=${`rk-${grant.id}`}>${t('em_refer_kind')}</label>
      <select id=${`rk-${grant.id}`} value=${kind} onChange=${(e) => setKind(e.target.value)}>${REFERRALS.map((k) => html`<option value=${k}>${t(`em_k_${k}`)}</option>`)}</select>
      ${needs && html`<label for=${`rd-${grant.id}`}>${t('em_department')}</label><input id=${`rd-${grant.id}`} maxlength="100" value=${dept} onInput=${(e) => setDept(e.target.value)} />`}
      <button type="submit" class="secondary">${t('em_refer')}</button>
      <${ErrorNote} err=${err} />
    </form>`;
}

function Decide({ grant, onDone }) {
  const [reason, setReason] = useState('');
  const [err, setErr] = useState(null);
  const [key] = useState(newKey);
  async function decide(decision) {
    setErr(null);
    if (decision === 'reject' && !reason.trim()) { setErr({ code: 'reason_required' }); return; }
    try {
      const body = { decision };
      if (reason.trim()) body.reason = reason.trim();
      await call('POST', 'emergency', `grants/${grant.id}/approval`, body, `${key}-${decision}`);
      onDone(t('em_decided'));
    } catch (p) {
      setErr(p);
    }
  }
  return html`
    <div class="refer">
      <label for=${`gr-${grant.id}`}>${t('em_reason')}</label>
      <input id=${`gr-${grant.id}`} maxlength="500" value=${reason} onInput=${(e) => setReason(e.target.value)} />
      <div class="actions"><button type="button" onClick=${() => decide('approve')}>${t('em_approve')}</button><button type="button" class="secondary" onClick=${() => decide('reject')}>${t('em_reject')}</button></div>
      <${ErrorNote} err=${err} />
    </div>`;
}
