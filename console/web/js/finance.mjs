// Finance and the finance approver (issue 17, money): budgets
// (disbursement's GET/POST /budgets), payment runs (GET/POST /runs; a
// run's page: GET /runs/{id}, its plan GET /runs/{id}/plan, the
// approval POST /runs/{id}/approval, the reconciliation GET
// /runs/{id}/reconciliation), the bank's reconciliation of a day
// (bank-gateway's GET/POST /reconciliations and its items), and the
// rejected payments (GET /payments?status=rejected; finance confirms or
// rejects an account change a township officer proposed). Money is
// integer fen, shown in yuan.
import { useEffect, useState } from '../vendor/hooks.mjs';
import { call, newKey } from './api.mjs';
import { Input } from './apply.mjs';
import { html } from './html.mjs';
import { addWords, getLang, t } from './i18n.mjs';
import { fenToYuan, yuanToFen } from './money.mjs';
import { dt } from './ovkit.mjs';
import { allPages } from './paged.mjs';
import { ErrorNote } from './problems.mjs';

addWords({
  fi_budgets: ['预算', 'Budgets'],
  fi_runs: ['发放批次', 'Payment runs'],
  fi_recon: ['银行对账', 'Bank reconciliation'],
  fi_rejected: ['退回款项', 'Rejected payments'],
  fi_fund: ['资金', 'Fund'],
  fi_f_dibao: ['最低生活保障金', 'Dibao'],
  fi_f_tekun: ['特困人员供养金', 'Tekun'],
  fi_f_emergency: ['临时救助金', 'Emergency'],
  fi_f_price_subsidy: ['物价补贴', 'Price subsidy'],
  fi_year: ['年度', 'Year'],
  fi_allocated: ['已拨付', 'Allocated'],
  fi_drawn: ['已支用', 'Drawn'],
  fi_left: ['余额', 'Left'],
  fi_allocate: ['追加预算', 'Allocate'],
  fi_amount: ['金额（元）', 'Amount (yuan)'],
  fi_allocated_msg: ['已追加。{fund} {year} 年预算 {allocated} 元，余额 {left} 元。', 'Allocated: {fund} {year}, {allocated} yuan, {left} left.'],
  fi_period: ['发放月份', 'Period'],
  fi_build: ['生成本月发放批次', 'Build the run'],
  fi_status: ['状态', 'Status'],
  fi_s_building: ['生成中', 'Building'],
  fi_s_awaiting_approval: ['待审批', 'Awaiting approval'],
  fi_s_approved: ['已审批', 'Approved'],
  fi_s_rejected: ['已驳回', 'Rejected'],
  fi_s_sending: ['发送银行中', 'Sending'],
  fi_s_completed: ['已完成', 'Completed'],
  fi_payments: ['笔数', 'Payments'],
  fi_total: ['金额（元）', 'Total (yuan)'],
  fi_created_by: ['制单', 'Built by'],
  fi_decided_by: ['审批', 'Decided by'],
  fi_open: ['查看', 'Open'],
  fi_run_of: ['{period} 发放批次', 'Payment run of {period}'],
  fi_plan: ['用款计划', 'Payment plan'],
  fi_township: ['乡镇（街道）', 'Township'],
  fi_category: ['类别', 'Category'],
  fi_back: ['其中补发', 'Of which back-pay'],
  fi_sum: ['合计', 'Total'],
  fi_short: ['预算不足未列入：{n} 户，{amount} 元', 'Not paid for lack of budget: {n} payees, {amount} yuan'],
  fi_corrections: ['更正往月：补发 {back} 笔 {back_fen} 元；追回 {rec} 笔 {rec_fen} 元（本批抵扣 {netted} 元）', 'Corrections: {back} back-payments, {back_fen} yuan; {rec} recoveries, {rec_fen} yuan ({netted} netted here)'],
  fi_approve: ['批准发放', 'Approve'],
  fi_reject: ['驳回', 'Reject'],
  fi_reason: ['驳回理由', 'Reason'],
  fi_reason_needed: ['驳回须写明理由。', 'A rejection needs a reason.'],
  fi_approved_msg: ['已批准，正在发送银行。', 'Approved; being sent to the bank.'],
  fi_rejected_msg: ['已驳回，款项已退回预算。', 'Rejected; the budget was given back.'],
  fi_wait: ['批次正在生成，请稍候…', 'The run is being built…'],
  fi_reconciliation: ['批次对账', 'Run reconciliation'],
  fi_balanced: ['账实相符', 'Balanced'],
  fi_unbalanced: ['存在差异', 'Differences found'],
  fi_i_sent: ['已发送', 'Sent'],
  fi_i_settled: ['已到账', 'Settled'],
  fi_i_rejected: ['被退回', 'Rejected'],
  fi_i_unknown: ['未知', 'Unknown'],
  fi_i_not_sent: ['未发送', 'Not sent'],
  fi_settled_of: ['已到账 {settled} 笔，共 {all} 笔', '{settled} of {all} settled'],
  fi_findings: ['差异', 'Findings'],
  fi_date: ['对账日期', 'Day'],
  fi_show: ['查看', 'Show'],
  fi_reconcile_now: ['立即对账', 'Reconcile now'],
  fi_not_reconciled: ['该日尚未对账。', 'That day was not reconciled yet.'],
  fi_expected: ['应付（元）', 'Expected (yuan)'],
  fi_booked: ['银行记账（元）', 'Booked (yuan)'],
  fi_difference: ['差额（元）', 'Difference (yuan)'],
  fi_kind: ['结果', 'Result'],
  fi_k_matched: ['相符', 'Matched'],
  fi_k_missing_entry: ['银行无记账', 'No bank entry'],
  fi_k_unmatched_entry: ['银行有账、系统无款', 'Entry without payment'],
  fi_k_amount_mismatch: ['金额不符', 'Amount differs'],
  fi_k_duplicate: ['重复记账', 'Booked twice'],
  fi_k_reversed: ['已冲正', 'Reversed'],
  fi_count: ['笔数', 'Count'],
  fi_run: ['批次', 'Run'],
  fi_outside_run: ['批次外（临时救助等）', 'Outside runs (emergency…)'],
  fi_items: ['差异明细', 'Items with differences'],
  fi_e2e: ['端到端编号', 'End-to-end id'],
  fi_payee: ['收款人', 'Payee'],
  fi_account: ['账号', 'Account'],
  fi_reason_col: ['退回原因', 'Why refused'],
  fi_attempt: ['次数', 'Attempt'],
  fi_change: ['账户更正', 'Account change'],
  fi_change_pending: ['待复核：{name} {bank} {number}（{by} 提出）', 'To check: {name} {bank} {number} (proposed by {by})'],
  fi_change_none: ['待乡镇提出新账户', 'Waiting for the township to propose an account'],
  fi_confirm: ['复核通过并重发', 'Confirm and pay again'],
  fi_discard: ['退回更正', 'Reject the change'],
  fi_confirmed_msg: ['已复核，款项将重新发送。', 'Confirmed; the payment goes out again.'],
  fi_discarded_msg: ['已退回该更正。', 'The change was rejected.'],
  fi_payment_status: ['款项状态', 'Payment status'],
  fi_ps_planned: ['计划', 'Planned'],
  fi_ps_ready: ['待发送', 'Ready'],
  fi_ps_sent: ['已发送', 'Sent'],
  fi_ps_accepted: ['银行已受理', 'Accepted'],
  fi_ps_settled: ['已到账', 'Settled'],
  fi_ps_rejected: ['被退回', 'Rejected'],
  fi_settlement: ['年度结算', 'Year-end'],
  fi_paid: ['已到账', 'Paid'],
  fi_in_flight: ['在途', 'In flight'],
  fi_returned: ['退回', 'Returned'],
});

const FUNDS = ['dibao', 'tekun', 'emergency', 'price_subsidy'];
const KINDS = ['matched', 'missing_entry', 'unmatched_entry', 'amount_mismatch', 'duplicate', 'reversed'];

// The district's day and month (UTC+8), as the services count them.
export function districtToday() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}
function districtNextMonth() {
  const d = new Date(Date.now() + 8 * 3600 * 1000);
  const n = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
  return n.toISOString().slice(0, 7);
}

const fundName = (f) => (FUNDS.includes(f) ? t(`fi_f_${f}`) : f);
const catName = (c) => (c === 'expenditure' ? t('expenditure_cat') : c ? t(c) : '');

// ---- budgets ---------------------------------------------------------------

export function BudgetsScreen({ user }) {
  const [rows, setRows] = useState(null);
  const [err, setErr] = useState(null);
  const [f, setF] = useState({ fund: 'dibao', year: districtNextMonth().slice(0, 4), amount: '' });
  const [key, setKey] = useState(newKey);
  const [ferr, setFerr] = useState(null);
  const [done, setDone] = useState(null);
  const [busy, setBusy] = useState(false);
  const load = () => allPages('disbursement', 'budgets').then(setRows, setErr);
  useEffect(() => { load(); }, []);
  async function submit(e) {
    e.preventDefault();
    setFerr(null);
    setDone(null);
    const fen = yuanToFen(f.amount);
    if (fen === null || fen < 1 || !/^[0-9]{4}$/.test(f.year)) { setFerr({ code: 'fix_errors' }); return; }
    setBusy(true);
    try {
      const b = await call('POST', 'disbursement', 'budgets', { fund: f.fund, year: Number(f.year), amount_fen: fen }, key);
      setDone(b);
      setKey(newKey());
      setF((o) => ({ ...o, amount: '' }));
      load();
    } catch (p) {
      setFerr(p);
    }
    setBusy(false);
  }
  return html`
    <section>
      <div class="bar"><h1>${t('fi_budgets')}</h1><button type="button" class="noprint" onClick=${() => print()}>${t('print')}</button></div>
      <${ErrorNote} err=${err} />
      ${rows && rows.length === 0 && html`<p>${t('empty_list')}</p>`}
      ${rows && rows.length > 0 && html`
        <table class="list" id="budgets">
          <thead><tr><th scope="col">${t('fi_fund')}</th><th scope="col">${t('fi_year')}</th><th scope="col" class="num">${t('fi_allocated')}</th><th scope="col" class="num">${t('fi_drawn')}</th><th scope="col" class="num">${t('fi_left')}</th></tr></thead>
          <tbody>${rows.map((b) => html`
            <tr>
              <td data-label=${t('fi_fund')}>${fundName(b.fund)}</td>
              <td data-label=${t('fi_year')}>${b.year}</td>
              <td data-label=${t('fi_allocated')} class="num">${fenToYuan(b.allocated_fen)}</td>
              <td data-label=${t('fi_drawn')} class="num">${fenToYuan(b.drawn_fen)}</td>
              <td data-label=${t('fi_left')} class="num">${fenToYuan(b.left_fen)}</td>
            </tr>`)}</tbody>
        </table>`}
      ${user.role === 'finance' && html`
        <form class="card noprint" onSubmit=${submit} novalidate>
          <h2>${t('fi_allocate')}</h2>
          <div class="grid">
            <div class="field"><label for="bu-fund">${t('fi_fund')}</label>
              <select id="bu-fund" value=${f.fund} onChange=${(e) => setF((o) => ({ ...o, fund: e.target.value }))}>${FUNDS.map((x) => html`<option value=${x}>${fundName(x)}</option>`)}</select></div>
            <${Input} id="bu-year" label=${t('fi_year')} inputmode="numeric" maxlength="4" value=${f.year} onInput=${(v) => setF((o) => ({ ...o, year: v }))} />
            <${Input} id="bu-amount" label=${t('fi_amount')} inputmode="decimal" value=${f.amount} onInput=${(v) => setF((o) => ({ ...o, amount: v }))} />
          </div>
          <${ErrorNote} err=${ferr} id="budget-error" />
          ${done && html`<p class="ok" role="status" id="budget-done">${t('fi_allocated_msg', { fund: fundName(done.fund), year: done.year, allocated: fenToYuan(done.allocated_fen), left: fenToYuan(done.left_fen) })}</p>`}
          <button type="submit" id="bu-submit" disabled=${busy}>${t('fi_allocate')}</button>
        </form>`}
    </section>`;
}

// ---- runs ------------------------------------------------------------------

function RunStatus({ s }) {
  return html`<span class=${`status run-${s}`}>${t(`fi_s_${s}`)}</span>`;
}

export function RunsScreen({ user }) {
  const [runs, setRuns] = useState(null);
  const [err, setErr] = useState(null);
  const [period, setPeriod] = useState(districtNextMonth());
  const [key, setKey] = useState(newKey);
  const [ferr, setFerr] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => { allPages('disbursement', 'runs').then((r) => setRuns(r.reverse()), setErr); }, []);
  async function build(e) {
    e.preventDefault();
    setFerr(null);
    if (!/^[0-9]{4}-(0[1-9]|1[0-2])$/.test(period)) { setFerr({ code: 'fix_errors' }); return; }
    setBusy(true);
    try {
      const r = await call('POST', 'disbursement', 'runs', { period }, key);
      setKey(newKey());
      location.hash = `#/run/${r.id}`;
    } catch (p) {
      setFerr(p);
      setBusy(false);
    }
  }
  return html`
    <section>
      <h1>${t('fi_runs')}</h1>
      ${user.role === 'finance' && html`
        <form class="card noprint inline" onSubmit=${build} novalidate>
          <${Input} id="run-period" label=${t('fi_period')} type="month" value=${period} onInput=${setPeriod} />
          <button type="submit" id="run-build" disabled=${busy}>${t('fi_build')}</button>
          <${ErrorNote} err=${ferr} id="run-error" />
          ${ferr && ferr.code === 'run_exists' && ferr.run_id && html`<a href=${`#/run/${ferr.run_id}`}>${t('fi_open')}</a>`}
        </form>`}
      <${ErrorNote} err=${err} />
      ${runs && runs.length === 0 && html`<p>${t('empty_list')}</p>`}
      ${runs && runs.length > 0 && html`
        <table class="list" id="runs">
          <thead><tr><th scope="col">${t('fi_period')}</th><th scope="col">${t('fi_status')}</th><th scope="col" class="num">${t('fi_payments')}</th><th scope="col" class="num">${t('fi_total')}</th><th scope="col">${t('fi_created_by')}</th><th scope="col">${t('fi_decided_by')}</th></tr></thead>
          <tbody>${runs.map((r) => html`
            <tr>
              <td data-label=${t('fi_period')}><a href=${`#/run/${r.id}`}>${r.period}</a></td>
              <td data-label=${t('fi_status')}><${RunStatus} s=${r.status} /></td>
              <td data-label=${t('fi_payments')} class="num">${r.payments}</td>
              <td data-label=${t('fi_total')} class="num">${fenToYuan(r.total_fen || 0)}</td>
              <td data-label=${t('fi_created_by')}>${r.created_by || ''}</td>
              <td data-label=${t('fi_decided_by')}>${r.decided_by || ''}</td>
            </tr>`)}</tbody>
        </table>`}
    </section>`;
}

// One run (#/run/<id>): its state (polled while it moves), the plan, the
// approver's decision, the reconciliation once it is sent.
export function RunScreen({ user, params }) {
  const id = params[0] || '';
  const [run, setRun] = useState(null);
  const [plan, setPlan] = useState(null);
  const [rec, setRec] = useState(null);
  const [err, setErr] = useState(null);
  const [tick, setTick] = useState(0);
  const [reason, setReason] = useState('');
  const [key, setKey] = useState(newKey);
  const [aerr, setAerr] = useState(null);
  const [amsg, setAmsg] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let stop = false;
    let timer = null;
    (async () => {
      try {
        const r = await call('GET', 'disbursement', `runs/${encodeURIComponent(id)}`);
        if (stop) return;
        setRun(r);
        if (r.status !== 'building') setPlan(await call('GET', 'disbursement', `runs/${encodeURIComponent(id)}/plan`));
        let got = null;
        if (['approved', 'sending', 'completed'].includes(r.status)) {
          got = await call('GET', 'disbursement', `runs/${encodeURIComponent(id)}/reconciliation`);
          setRec(got);
        }
        // A completed run's answers may still be on their way to the
        // reconciliation (instructions sent or unknown): read it again for
        // a while, once a second.
        const ins = (got && got.instructions) || {};
        const settling = r.status === 'completed' && (ins.sent || 0) + (ins.unknown || 0) > 0 && tick < 120;
        if (!stop && (['building', 'approved', 'sending'].includes(r.status) || settling)) timer = setTimeout(() => setTick((n) => n + 1), 1000);
      } catch (p) {
        if (!stop) setErr(p);
      }
    })();
    return () => { stop = true; if (timer) clearTimeout(timer); };
  }, [id, tick]);

  async function decide(decision) {
    setAerr(null);
    setAmsg(null);
    if (decision === 'reject' && !reason.trim()) { setAerr({ code: 'fi_reason_needed' }); return; }
    setBusy(true);
    try {
      const body = { decision };
      if (reason.trim()) body.reason = reason.trim();
      await call('POST', 'disbursement', `runs/${encodeURIComponent(id)}/approval`, body, key);
      setKey(newKey());
      setAmsg(decision === 'approve' ? 'fi_approved_msg' : 'fi_rejected_msg');
      setTick((n) => n + 1);
    } catch (p) {
      setAerr(p);
    }
    setBusy(false);
  }

  if (err) return html`<section><h1>${t('fi_runs')}</h1><${ErrorNote} err=${err} /></section>`;
  if (!run) return html`<section><p>${t('loading')}</p></section>`;
  const ins = rec && rec.instructions;
  return html`
    <section>
      <div class="bar"><h1>${t('fi_run_of', { period: run.period })}</h1><button type="button" class="noprint" onClick=${() => print()}>${t('print')}</button></div>
      <dl class="figures" id="run-figures">
        <div><dt>${t('fi_status')}</dt><dd id="run-status"><${RunStatus} s=${run.status} /></dd></div>
        <div><dt>${t('fi_payments')}</dt><dd>${run.payments}</dd></div>
        <div class="big"><dt>${t('fi_total')}</dt><dd>${fenToYuan(run.total_fen || 0)}</dd></div>
        <div><dt>${t('fi_created_by')}</dt><dd>${run.created_by || ''}</dd></div>
        ${run.decided_by && html`<div><dt>${t('fi_decided_by')}</dt><dd>${run.decided_by} ${dt(run.decided_at)}</dd></div>`}
      </dl>
      ${run.status === 'building' && html`<p role="status">${t('fi_wait')}</p>`}
      ${run.decision_reason && html`<p>${t('fi_reason')}：${run.decision_reason}</p>`}
      ${run.short_count > 0 && html`<p class="error" role="status">${t('fi_short', { n: run.short_count, amount: fenToYuan(run.short_fen) })}</p>`}
      ${plan && html`<${Plan} plan=${plan} />`}
      ${user.role === 'finance_approver' && run.status === 'awaiting_approval' && html`
        <div class="card noprint" id="approval">
          <${Input} id="run-reason" label=${t('fi_reason')} maxlength="500" value=${reason} onInput=${setReason} />
          <div class="actions">
            <button type="button" id="run-approve" disabled=${busy} onClick=${() => decide('approve')}>${t('fi_approve')}</button>
            <button type="button" id="run-reject" class="secondary" disabled=${busy} onClick=${() => decide('reject')}>${t('fi_reject')}</button>
          </div>
        </div>`}
      <${ErrorNote} err=${aerr} id="approval-error" own="fi_reason_needed" />
      ${amsg && html`<p class="ok" role="status" id="approval-done">${t(amsg)}</p>`}
      ${rec && html`
        <div class="card" id="run-reconciliation">
          <h2>${t('fi_reconciliation')} · <span class=${rec.balanced ? 'status st-decided_approved' : 'status st-decided_rejected'}>${rec.balanced ? t('fi_balanced') : t('fi_unbalanced')}</span></h2>
          <p id="run-settled">${t('fi_settled_of', { settled: ins.settled, all: (ins.sent || 0) + (ins.settled || 0) + (ins.rejected || 0) + (ins.unknown || 0) + (ins.not_sent || 0) })}</p>
          <dl class="figures">
            ${['not_sent', 'sent', 'settled', 'rejected', 'unknown'].map((k) => html`<div><dt>${t(`fi_i_${k}`)}</dt><dd>${ins[k] || 0}</dd></div>`)}
          </dl>
          ${rec.findings && rec.findings.length > 0 && html`<h3>${t('fi_findings')}</h3><ul>${rec.findings.map((x) => html`<li>${x.message}</li>`)}</ul>`}
        </div>`}
    </section>`;
}

function Plan({ plan }) {
  const c = plan.corrections;
  return html`
    <div class="card" id="plan">
      <h2>${t('fi_plan')}</h2>
      ${plan.rows.length === 0 ? html`<p>${t('empty_list')}</p>` : html`
        <table class="list">
          <thead><tr><th scope="col">${t('fi_fund')}</th><th scope="col">${t('fi_township')}</th><th scope="col" class="num">${t('fi_payments')}</th><th scope="col" class="num">${t('fi_total')}</th><th scope="col" class="num">${t('fi_back')}</th></tr></thead>
          <tbody>${plan.rows.map((r) => html`
            <tr>
              <td data-label=${t('fi_fund')}>${fundName(r.fund)}${r.category ? ` · ${catName(r.category)}` : ''}</td>
              <td data-label=${t('fi_township')}>${r.township_code}</td>
              <td data-label=${t('fi_payments')} class="num">${r.payments}</td>
              <td data-label=${t('fi_total')} class="num">${fenToYuan(r.total_fen)}</td>
              <td data-label=${t('fi_back')} class="num">${r.back_payments ? `${r.back_payments} · ${fenToYuan(r.back_fen)}` : ''}</td>
            </tr>`)}</tbody>
          <tfoot><tr><th scope="row" colspan="2">${t('fi_sum')}</th><td class="num" data-label=${t('fi_payments')}>${plan.payments}</td><td class="num" data-label=${t('fi_total')} id="plan-total">${fenToYuan(plan.total_fen)}</td><td></td></tr></tfoot>
        </table>`}
      ${c && (c.back_payments > 0 || c.recoveries > 0) && html`<p>${t('fi_corrections', { back: c.back_payments, back_fen: fenToYuan(c.back_fen), rec: c.recoveries, rec_fen: fenToYuan(c.recovery_fen), netted: fenToYuan(c.netted_fen) })}</p>`}
    </div>`;
}

// ---- the bank's reconciliation of a day ---------------------------------------

export function ReconScreen({ user }) {
  const [date, setDate] = useState(districtToday());
  const [rec, setRec] = useState(undefined);
  const [items, setItems] = useState([]);
  const [err, setErr] = useState(null);
  const [key, setKey] = useState(newKey);
  const [busy, setBusy] = useState(false);
  async function show(d) {
    setErr(null);
    setRec(undefined);
    setItems([]);
    try {
      const r = await call('GET', 'bank-gateway', `reconciliations?date=${encodeURIComponent(d)}`);
      setRec(r);
      if (!r.balanced) {
        const all = await allPages('bank-gateway', `reconciliations/${encodeURIComponent(d)}/items`);
        setItems(all.filter((i) => i.kind !== 'matched'));
      }
    } catch (p) {
      if (p.code === 'not_found') setRec(null);
      else setErr(p);
    }
  }
  useEffect(() => { show(date); }, []);
  async function now() {
    setErr(null);
    setBusy(true);
    try {
      await call('POST', 'bank-gateway', 'reconciliations', { date }, key);
      setKey(newKey());
      await show(date);
    } catch (p) {
      setErr(p);
    }
    setBusy(false);
  }
  const k = rec && rec.kinds;
  return html`
    <section>
      <div class="bar"><h1>${t('fi_recon')}</h1><button type="button" class="noprint" onClick=${() => print()}>${t('print')}</button></div>
      <form class="card noprint inline" onSubmit=${(e) => { e.preventDefault(); show(date); }} novalidate>
        <${Input} id="recon-date" label=${t('fi_date')} type="date" value=${date} onInput=${setDate} />
        <button type="submit" id="recon-show">${t('fi_show')}</button>
        ${user.role === 'finance' && html`<button type="button" id="recon-now" class="secondary" disabled=${busy} onClick=${now}>${t('fi_reconcile_now')}</button>`}
      </form>
      <${ErrorNote} err=${err} id="recon-error" />
      ${rec === null && html`<p id="recon-none">${t('fi_not_reconciled')}</p>`}
      ${rec && html`
        <div class="card" id="recon">
          <h2>${rec.date} · <span class=${rec.balanced ? 'status st-decided_approved' : 'status st-decided_rejected'} id="recon-balanced">${rec.balanced ? t('fi_balanced') : t('fi_unbalanced')}</span></h2>
          <dl class="figures">
            <div><dt>${t('fi_payments')}</dt><dd id="recon-payments">${rec.payments}</dd></div>
            <div class="big"><dt>${t('fi_expected')}</dt><dd>${fenToYuan(rec.expected_fen)}</dd></div>
            <div><dt>${t('fi_booked')}</dt><dd>${fenToYuan(rec.booked_fen)}</dd></div>
            <div><dt>${t('fi_difference')}</dt><dd>${fenToYuan(rec.difference_fen)}</dd></div>
          </dl>
          <table class="list">
            <thead><tr><th scope="col">${t('fi_kind')}</th><th scope="col" class="num">${t('fi_count')}</th></tr></thead>
            <tbody>${KINDS.map((x) => html`<tr><td data-label=${t('fi_kind')}>${t(`fi_k_${x}`)}</td><td data-label=${t('fi_count')} class="num">${(k && k[x] && k[x].count) || 0}</td></tr>`)}</tbody>
          </table>
          ${rec.runs && rec.runs.length > 0 && html`
            <h3>${t('fi_runs')}</h3>
            <table class="list">
              <thead><tr><th scope="col">${t('fi_run')}</th><th scope="col" class="num">${t('fi_expected')}</th><th scope="col" class="num">${t('fi_booked')}</th><th scope="col">${t('fi_kind')}</th></tr></thead>
              <tbody>${rec.runs.map((r) => html`<tr>
                <td data-label=${t('fi_run')}>${r.run_id ? html`<a href=${`#/run/${r.run_id}`}>${r.run_id.slice(0, 8)}</a>` : t('fi_outside_run')}</td>
                <td data-label=${t('fi_expected')} class="num">${fenToYuan(r.expected_fen)}</td>
                <td data-label=${t('fi_booked')} class="num">${fenToYuan(r.booked_fen)}</td>
                <td data-label=${t('fi_kind')}>${r.balanced ? t('fi_balanced') : t('fi_unbalanced')}</td></tr>`)}</tbody>
            </table>`}
          ${items.length > 0 && html`
            <h3>${t('fi_items')}</h3>
            <table class="list">
              <thead><tr><th scope="col">${t('fi_e2e')}</th><th scope="col">${t('fi_kind')}</th><th scope="col" class="num">${t('fi_expected')}</th><th scope="col" class="num">${t('fi_booked')}</th></tr></thead>
              <tbody>${items.map((i) => html`<tr>
                <td data-label=${t('fi_e2e')}><code>${i.end_to_end_id}</code></td>
                <td data-label=${t('fi_kind')}>${t(`fi_k_${i.kind}`)}</td>
                <td data-label=${t('fi_expected')} class="num">${fenToYuan(i.expected_fen)}</td>
                <td data-label=${t('fi_booked')} class="num">${fenToYuan(i.booked_fen)}</td></tr>`)}</tbody>
            </table>`}
        </div>`}
    </section>`;
}

// ---- rejected payments --------------------------------------------------------

export function RejectedScreen({ user }) {
  const [items, setItems] = useState(null);
  const [next, setNext] = useState(null);
  const [err, setErr] = useState(null);
  const [status, setStatus] = useState('rejected');
  const [msg, setMsg] = useState(null);
  async function load(after, st = status) {
    setErr(null);
    try {
      const page = await call('GET', 'disbursement', `payments?status=${st}&limit=100${after ? `&cursor=${encodeURIComponent(after)}` : ''}`);
      setItems((old) => (after && old ? old.concat(page.items) : page.items));
      setNext(page.next);
    } catch (p) {
      setErr(p);
    }
  }
  useEffect(() => { load(null); }, []);
  async function act(p, what) {
    setErr(null);
    setMsg(null);
    try {
      await call('POST', 'disbursement', `payments/${p.id}/account/${what}`, {}, newKey());
      setMsg(what === 'confirmation' ? 'fi_confirmed_msg' : 'fi_discarded_msg');
      load(null);
    } catch (e) {
      setErr(e);
    }
  }
  return html`
    <section>
      <div class="bar"><h1>${status === 'rejected' ? t('fi_rejected') : t(`fi_ps_${status}`)}</h1><button type="button" class="noprint" onClick=${() => print()}>${t('print')}</button></div>
      <div class="card noprint inline">
        <div class="field"><label for="pay-status">${t('fi_payment_status')}</label>
          <select id="pay-status" value=${status} onChange=${(e) => { setStatus(e.target.value); setItems(null); load(null, e.target.value); }}>
            ${['rejected', 'settled', 'sent', 'accepted', 'ready', 'planned'].map((s) => html`<option value=${s}>${t(`fi_ps_${s}`)}</option>`)}
          </select></div>
      </div>
      <${ErrorNote} err=${err} id="payments-error" />
      ${msg && html`<p class="ok" role="status">${t(msg)}</p>`}
      ${items && items.length === 0 && html`<p>${t('empty_list')}</p>`}
      ${items && items.length > 0 && html`
        <table class="list payments" id="payments">
          <thead><tr><th scope="col">${t('fi_payee')}</th><th scope="col">${t('fi_account')}</th><th scope="col">${t('fi_fund')}</th><th scope="col">${t('fi_period')}</th><th scope="col">${t('fi_township')}</th><th scope="col" class="num">${t('fi_amount')}</th>
            ${status === 'rejected' && html`<th scope="col">${t('fi_reason_col')}</th><th scope="col" class="num">${t('fi_attempt')}</th><th scope="col" class="noprint">${t('fi_change')}</th>`}</tr></thead>
          <tbody>${items.map((p) => html`
            <tr>
              <td data-label=${t('fi_payee')}>${p.payee && p.payee.account_name}</td>
              <td data-label=${t('fi_account')}>${p.payee && `${p.payee.bank_code} ${p.payee.account_number}`}</td>
              <td data-label=${t('fi_fund')}>${fundName(p.fund)}</td>
              <td data-label=${t('fi_period')}>${p.period || ''}${p.corrects ? ` (${p.corrects})` : ''}</td>
              <td data-label=${t('fi_township')}>${p.township_code}</td>
              <td data-label=${t('fi_amount')} class="num">${fenToYuan(p.amount_fen)}</td>
              ${status === 'rejected' && html`
                <td data-label=${t('fi_reason_col')}>${(getLang() === 'en' && p.reason_en) || p.reason || ''}${p.reason_code ? html` <code>${p.reason_code}</code>` : ''}</td>
                <td data-label=${t('fi_attempt')} class="num">${p.attempt}</td>
                <td data-label=${t('fi_change')} class="noprint">${p.account_change && p.account_change.status === 'pending'
                  ? html`${t('fi_change_pending', { name: p.account_change.account_name, bank: p.account_change.bank_code, number: p.account_change.account_number, by: p.account_change.requested_by })}
                    ${user.role === 'finance' && html`<div class="actions"><button type="button" onClick=${() => act(p, 'confirmation')}>${t('fi_confirm')}</button><button type="button" class="secondary" onClick=${() => act(p, 'rejection')}>${t('fi_discard')}</button></div>`}`
                  : p.fund === 'emergency' ? '' : t('fi_change_none')}</td>`}
            </tr>`)}</tbody>
        </table>`}
      ${next && html`<button type="button" class="noprint" onClick=${() => load(next)}>${t('more')}</button>`}
    </section>`;
}
