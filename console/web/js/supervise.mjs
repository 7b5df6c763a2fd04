// The supervisor's and inspector's record screens, all supervision's:
// anomaly alerts (GET /alerts, one alert GET /alerts/{id}, closing with a
// note POST /alerts/{id}/closure), the audit trail (GET /audit, the
// chain's check GET /audit/verify), a household's assistance chain (GET
// /households/{id}/chain) and grievances (GET /grievances).
import { useEffect, useState } from '../vendor/hooks.mjs';
import { call, newKey } from './api.mjs';
import { html } from './html.mjs';
import { addWords, getLang, t } from './i18n.mjs';
import { fenToYuan } from './money.mjs';
import { ListTable, Loading, when, word } from './ovkit.mjs';
import { usePaged } from './paged.mjs';
import { ErrorNote, problemText } from './problems.mjs';

addWords({
  ov_alerts: ['异常预警', 'Alerts'],
  ov_audit: ['操作审计', 'Audit trail'],
  ov_chain: ['一户一链', 'Household chain'],
  ov_grievances: ['投诉举报', 'Grievances'],
  ov_any: ['全部', 'Any'],
  ov_rule: ['预警规则', 'Rule'],
  ov_state: ['状态', 'State'],
  ov_severity: ['等级', 'Severity'],
  ov_township: ['乡镇（街道）', 'Township'],
  ov_summary: ['摘要', 'Summary'],
  ov_opened: ['发现时间', 'Raised'],
  ov_evidence: ['依据', 'Evidence'],
  ov_note: ['核查说明', 'Note'],
  ov_close_alert: ['核查完毕，关闭预警', 'Close the alert'],
  ov_closed_by: ['关闭人', 'Closed by'],
  ov_back: ['返回', 'Back'],
  ov_rule_shared_account: ['多户共用银行账户', 'Shared bank account'],
  ov_rule_paid_after_death: ['死亡后仍在发放', 'Paid after death'],
  ov_rule_relative_conflict: ['经办人员近亲属', 'Staff relative'],
  ov_rule_grants_under_limit: ['多次贴近限额发放', 'Grants just under the limit'],
  ov_rule_fast_or_odd_hours: ['办理过快或非工作时间', 'Too fast or odd hours'],
  ov_rule_township_outlier: ['乡镇比率异常', 'Township outlier'],
  ov_rule_overdue: ['超期未办', 'Overdue'],
  ov_sev_low: ['低', 'Low'],
  ov_sev_medium: ['中', 'Medium'],
  ov_sev_high: ['高', 'High'],
  ov_st_open: ['待处理', 'Open'],
  ov_st_assigned: ['已指派', 'Assigned'],
  ov_st_closed: ['已关闭', 'Closed'],
  ov_st_resolved: ['已办结', 'Resolved'],
  ov_st_appealed: ['复核中', 'Appealed'],
  ov_user_id: ['操作人（用户名）', 'User (user name)'],
  ov_subject: ['操作对象编号', 'Subject'],
  ov_search: ['检索', 'Search'],
  ov_n: ['序号', 'No.'],
  ov_at: ['时间', 'Time'],
  ov_service: ['业务系统', 'Service'],
  ov_action: ['操作', 'Action'],
  ov_result: ['结果', 'Result'],
  ov_success: ['成功', 'Done'],
  ov_refused: ['被拒绝：', 'Refused: '],
  ov_verify: ['校验审计链', 'Verify the chain'],
  ov_verify_ok: ['审计链完整：共 {n} 条记录，未被篡改。', 'The chain is intact: {n} records, none changed.'],
  ov_verify_bad: ['审计链在第 {n} 条记录处断开（{reason}），此前 {m} 条完整。', 'The chain breaks at record {n} ({reason}); {m} before it are intact.'],
  ov_chain_id: ['申请、案件、救助对象或临时救助编号', 'An application, case, beneficiary or grant id'],
  ov_chain_h: ['一户一条救助链', 'One household, one assistance chain'],
  ov_household_id: ['家庭编号', 'Household'],
  ov_event: ['事项', 'Event'],
  ov_actor: ['经办人', 'By'],
  ov_details: ['内容', 'Details'],
  ov_ev_application_submitted: ['受理申请', 'Application taken in'],
  ov_ev_application_resubmitted: ['重新提交申请', 'Application resubmitted'],
  ov_ev_application_withdrawn: ['撤回申请', 'Application withdrawn'],
  ov_ev_household_change_reported: ['家庭情况变化', 'Change reported'],
  ov_ev_verification_completed: ['经济状况核对', 'Economic check'],
  ov_ev_investigation_completed: ['入户调查', 'Home visit'],
  ov_ev_case_stage_changed: ['审核审批环节', 'Case step'],
  ov_ev_application_decided: ['审核决定', 'Decision'],
  ov_ev_beneficiary_changed: ['救助对象变更', 'Register changed'],
  ov_ev_review_requested: ['复核', 'Review'],
  ov_ev_case_overdue: ['超期', 'Overdue'],
  ov_ev_emergency_granted: ['临时救助发放', 'Emergency grant'],
  ov_ev_referral_created: ['转介', 'Referral'],
  ov_ev_referral_routed: ['专项救助转介', 'Special assistance referral'],
  ov_ev_referral_answered: ['部门答复', 'Department answer'],
  ov_ev_payment_scheduled: ['安排发放', 'Payment planned'],
  ov_ev_payment_settled: ['发放到账', 'Payment settled'],
  ov_ev_payment_failed: ['发放失败', 'Payment failed'],
  ov_ev_grievance_changed: ['投诉举报', 'Grievance'],
  ov_ev_staff_acted: ['工作人员操作', 'Staff action'],
  ov_ev_alert_raised: ['异常预警', 'Alert'],
  ov_ev_reserve_changed: ['备用金变动', 'Reserve fund movement'],
  ov_ev_payment_run_changed: ['发放批次', 'Payment run'],
  ov_ev_payee_changed: ['收款账户更正', 'Payee corrected'],
  ov_ev_referral_overdue: ['转介超期', 'Referral overdue'],
  ov_ev_enrolment_changed: ['服务项目', 'Service project place'],
  ov_ev_price_subsidy_decided: ['价格临时补贴', 'Price subsidy'],
  ov_d_status: ['状态', 'Status'],
  ov_d_stage: ['环节', 'Step'],
  ov_d_tier: ['档次', 'Tier'],
  ov_d_monthly_amount_fen: ['月救助金（元）', 'Monthly (yuan)'],
  ov_d_amount_fen: ['金额（元）', 'Amount (yuan)'],
  ov_d_route: ['接口', 'Route'],
  ov_d_method: ['方式', 'Method'],
  ov_d_outcome_code: ['拒绝原因', 'Refusal'],
  ov_d_reason: ['原因', 'Reason'],
  ov_d_action: ['动作', 'Action'],
  ov_category: ['类别', 'Category'],
  ov_g_decision: ['对决定不服', 'A decision'],
  ov_g_amount: ['对金额不服', 'An amount'],
  ov_g_delay: ['办理拖延', 'A delay'],
  ov_g_conduct: ['工作作风', 'Conduct'],
  ov_received: ['收到日期', 'Received'],
  ov_deadline: ['办理期限', 'Deadline'],
  ov_overdue_only: ['只看超期未办', 'Overdue only'],
  ov_overdue: ['已超期', 'Overdue'],
  ov_office: ['被投诉单位', 'Office complained about'],
  ov_source: ['来源', 'Source'],
  ov_src_clerk: ['窗口登记', 'Service hall'],
  ov_src_12388: ['12388 平台', '12388 platform'],
});

const RULES = ['shared_account', 'paid_after_death', 'relative_conflict', 'grants_under_limit', 'fast_or_odd_hours', 'township_outlier', 'overdue'];

function Choice({ id, label, value, options, onChange }) {
  return html`
    <div class="field"><label for=${id}>${label}</label>
      <select id=${id} value=${value} onChange=${(e) => onChange(e.target.value)}>
        <option value="">${t('ov_any')}</option>
        ${options.map(([v, l]) => html`<option value=${v}>${l}</option>`)}
      </select></div>`;
}

function More({ list }) {
  return list.next ? html`<button type="button" class="noprint" onClick=${list.more}>${t('more')}</button>` : null;
}

export function AlertsScreen() {
  const [f, setF] = useState({ state: 'open', rule: '' });
  const list = usePaged('supervision', 'alerts', f);
  return html`
    <section class="ov">
      <h1>${t('ov_alerts')}</h1>
      <form class="card ov-filter" onSubmit=${(e) => e.preventDefault()}>
        <${Choice} id="al-state" label=${t('ov_state')} value=${f.state} onChange=${(v) => setF({ ...f, state: v })}
          options=${['open', 'assigned', 'closed'].map((s) => [s, t('ov_st_' + s)])} />
        <${Choice} id="al-rule" label=${t('ov_rule')} value=${f.rule} onChange=${(v) => setF({ ...f, rule: v })}
          options=${RULES.map((r) => [r, word('ov_rule_', r)])} />
      </form>
      <${ErrorNote} err=${list.err} />
      <${Loading} items=${list.items} err=${list.err} />
      <${ListTable} id="alerts" items=${list.items} cols=${[
        ['ov_rule', (a) => html`<a href=${`#/alert/${a.id}`}>${word('ov_rule_', a.rule)}</a>`],
        ['ov_severity', (a) => html`<span class=${`status sev-${a.severity}`}>${word('ov_sev_', a.severity)}</span>`],
        ['ov_township', (a) => a.township_code],
        ['ov_summary', (a) => a.summary],
        ['ov_opened', (a) => when(a.opened_at)],
        ['ov_state', (a) => word('ov_st_', a.state)],
      ]} />
      <${More} list=${list} />
    </section>`;
}

export function AlertScreen({ params }) {
  const id = params[0] || '';
  const [a, setA] = useState(null);
  const [err, setErr] = useState(null);
  const [note, setNote] = useState('');
  const [key] = useState(newKey);
  const [busy, setBusy] = useState(false);
  useEffect(() => { call('GET', 'supervision', `alerts/${encodeURIComponent(id)}`).then(setA, setErr); }, [id]);
  async function close(e) {
    e.preventDefault();
    setBusy(true);
    setErr(null);
    try {
      setA(await call('POST', 'supervision', `alerts/${encodeURIComponent(id)}/closure`, { note }, key));
    } catch (p) {
      setErr(p);
    }
    setBusy(false);
  }
  return html`
    <section class="ov">
      <div class="bar"><h1>${a ? word('ov_rule_', a.rule) : t('ov_alerts')}</h1><a href="#/alerts" class="noprint">${t('ov_back')}</a></div>
      ${a && html`
        <dl class="facts">
          <dt>${t('ov_summary')}</dt><dd>${a.summary}</dd>
          <dt>${t('ov_severity')}</dt><dd>${word('ov_sev_', a.severity)}</dd>
          <dt>${t('ov_state')}</dt><dd id="alert-state">${word('ov_st_', a.state)}</dd>
          <dt>${t('ov_township')}</dt><dd>${a.township_code}</dd>
          <dt>${t('ov_opened')}</dt><dd>${when(a.opened_at)}</dd>
          ${a.household_id && html`<dt>${t('ov_household_id')}</dt><dd><a href=${`#/household-chain/${a.household_id}`}>${a.household_id}</a></dd>`}
          ${a.state === 'closed' && html`<dt>${t('ov_note')}</dt><dd>${a.note}</dd><dt>${t('ov_closed_by')}</dt><dd>${a.closed_by} · ${when(a.closed_at)}</dd>`}
        </dl>
        <h2>${t('ov_evidence')}</h2>
        <dl class="facts ov-evidence">${Object.entries(a.evidence || {}).map(([k, v]) => html`<dt>${k}</dt><dd><code>${typeof v === 'string' ? v : JSON.stringify(v)}</code></dd>`)}</dl>
        ${a.state !== 'closed' && html`
          <form class="card" onSubmit=${close}>
            <label for="alert-note">${t('ov_note')}</label>
            <textarea id="alert-note" rows="3" required value=${note} onInput=${(e) => setNote(e.target.value)}></textarea>
            <button type="submit" disabled=${busy}>${t('ov_close_alert')}</button>
          </form>`}`}
      <${ErrorNote} err=${err} />
    </section>`;
}

function auditAction(r) {
  return `${r.method} ${r.route}`;
}

export function AuditScreen() {
  const [f, setF] = useState({ user: '', subject: '', from: '', to: '' });
  const [asked, setAsked] = useState(null);
  const [verdict, setVerdict] = useState(null);
  const [verr, setVerr] = useState(null);
  const list = usePaged('supervision', 'audit', asked);
  const field = (k, label, type = 'text') => html`
    <div class="field"><label for=${`au-${k}`}>${label}</label>
      <input id=${`au-${k}`} type=${type} value=${f[k]} onInput=${(e) => setF({ ...f, [k]: e.target.value.trim() })} /></div>`;
  async function verify() {
    setVerr(null);
    setVerdict(null);
    try { setVerdict(await call('GET', 'supervision', 'audit/verify')); } catch (p) { setVerr(p); }
  }
  return html`
    <section class="ov">
      <div class="bar"><h1>${t('ov_audit')}</h1><button type="button" id="au-verify" class="noprint" onClick=${verify}>${t('ov_verify')}</button></div>
      ${verdict && html`<p class=${verdict.ok ? 'ok' : 'error'} role="status" id="au-verdict">${verdict.ok
        ? t('ov_verify_ok', { n: verdict.records })
        : t('ov_verify_bad', { n: verdict.first_broken, reason: verdict.reason, m: verdict.records_checked })}</p>`}
      <${ErrorNote} err=${verr} />
      <form class="card ov-filter" onSubmit=${(e) => { e.preventDefault(); setAsked({ ...f }); }}>
        ${field('user', t('ov_user_id'))}
        ${field('subject', t('ov_subject'))}
        ${field('from', t('ov_from'), 'date')}
        ${field('to', t('ov_to'), 'date')}
        <button type="submit" id="au-search">${t('ov_search')}</button>
      </form>
      <${ErrorNote} err=${list.err} id="audit-error" />
      ${asked && html`<${Loading} items=${list.items} err=${list.err} />`}
      <${ListTable} id="audit" items=${list.items} cols=${[
        ['ov_n', (r) => r.n],
        ['ov_at', (r) => when(r.at)],
        ['ov_service', (r) => r.service],
        ['ov_actor', (r) => `${r.user_id} · ${word('r_', r.role)} · ${r.jurisdiction}`],
        ['ov_action', (r) => html`<code>${auditAction(r)}</code>`],
        ['ov_subject', (r) => (r.subject ? html`<a href=${`#/household-chain/${encodeURIComponent(r.subject)}`}><code>${r.subject}</code></a>` : '')],
        ['ov_result', (r) => (r.outcome_code
          ? html`${t('ov_refused')}${problemText({ code: r.outcome_code }, getLang())} <code>${r.outcome_code}</code>`
          : `${t('ov_success')} (${r.status})`)],
      ]} />
      <${More} list=${list} />
    </section>`;
}

// A few members of an event's body worth a line; the whole body is in
// the feed for whoever needs it.
const SHOWN = ['status', 'stage', 'category', 'tier', 'monthly_amount_fen', 'amount_fen', 'route', 'method', 'outcome_code', 'reason', 'state', 'action', 'month'];

function details(ev) {
  const d = ev.data || {};
  const label = (k) => ({ category: t('ov_category'), state: t('ov_state'), month: t('ov_month') }[k] || word('ov_d_', k));
  const value = (k) => (k.endsWith('_fen') && typeof d[k] === 'number' ? fenToYuan(d[k]) : d[k]);
  return SHOWN.filter((k) => d[k] !== undefined && d[k] !== '' && typeof d[k] !== 'object').map((k) => `${label(k)}: ${value(k)}`).join(' · ');
}

export function ChainScreen({ params }) {
  const initial = params[0] || '';
  const [id, setId] = useState(initial);
  const [chain, setChain] = useState(null);
  const [err, setErr] = useState(null);
  useEffect(() => {
    if (!initial) return;
    setErr(null);
    setChain(null);
    call('GET', 'supervision', `households/${encodeURIComponent(initial)}/chain`).then(setChain, setErr);
  }, [initial]);
  return html`
    <section class="ov">
      <h1>${t('ov_chain_h')}</h1>
      <form class="card ov-filter" onSubmit=${(e) => { e.preventDefault(); if (id.trim()) location.hash = `#/household-chain/${encodeURIComponent(id.trim())}`; }}>
        <div class="field ov-wide"><label for="ch-id">${t('ov_chain_id')}</label>
          <input id="ch-id" value=${id} autocomplete="off" spellcheck="false" onInput=${(e) => setId(e.target.value)} /></div>
        <button type="submit" id="ch-search">${t('ov_search')}</button>
      </form>
      <${ErrorNote} err=${err} id="chain-error" />
      ${chain && html`
        <p>${t('ov_household_id')}: <code id="ch-household">${chain.household_id}</code></p>
        <ol class="ov-timeline" id="chain">
          ${chain.events.map((ev) => html`
            <li>
              <span class="ov-when">${when(ev.time)}</span>
              <strong>${word('ov_ev_', ev.type.replace(/\./g, '_'))}</strong>
              <span class="note">${ev.source}${ev.actor ? ` · ${ev.actor}` : ''}</span>
              ${details(ev) && html`<span class="ov-detail">${details(ev)}</span>`}
            </li>`)}
        </ol>`}
    </section>`;
}

export function GrievancesScreen() {
  const [f, setF] = useState({ state: '', category: '', overdue: '' });
  const list = usePaged('supervision', 'grievances', f);
  return html`
    <section class="ov">
      <div class="bar"><h1>${t('ov_grievances')}</h1><button type="button" class="noprint" onClick=${() => print()}>${t('print')}</button></div>
      <form class="card ov-filter" onSubmit=${(e) => e.preventDefault()}>
        <${Choice} id="gr-state" label=${t('ov_state')} value=${f.state} onChange=${(v) => setF({ ...f, state: v })}
          options=${['open', 'assigned', 'resolved', 'appealed'].map((s) => [s, t('ov_st_' + s)])} />
        <${Choice} id="gr-category" label=${t('ov_category')} value=${f.category} onChange=${(v) => setF({ ...f, category: v })}
          options=${['decision', 'amount', 'delay', 'conduct'].map((s) => [s, t('ov_g_' + s)])} />
        <div class="check"><input type="checkbox" id="gr-overdue" checked=${f.overdue === 'true'} onChange=${(e) => setF({ ...f, overdue: e.target.checked ? 'true' : '' })} />
          <label for="gr-overdue">${t('ov_overdue_only')}</label></div>
      </form>
      <${ErrorNote} err=${list.err} />
      <${Loading} items=${list.items} err=${list.err} />
      <${ListTable} id="grievances" items=${list.items} cols=${[
        ['ov_received', (g) => g.received_on],
        ['ov_category', (g) => word('ov_g_', g.category)],
        ['ov_source', (g) => word('ov_src_', g.source)],
        ['ov_office', (g) => g.complained_office],
        ['ov_deadline', (g) => html`${g.deadline}${g.overdue ? html` <span class="status st-returned">${t('ov_overdue')}</span>` : ''}`],
        ['ov_state', (g) => word('ov_st_', g.state)],
        ['ov_details', (g) => html`${g.household_id ? html`<a href=${`#/household-chain/${g.household_id}`}>${t('ov_chain')}</a> ` : ''}${g.text || ''}`],
      ]} />
      <${More} list=${list} />
    </section>`;
}
