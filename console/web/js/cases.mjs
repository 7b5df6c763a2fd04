// Casework for the three deciding roles (village reviewer, township
// officer, district officer): the queue with the 15-day clock (approval's
// GET /cases), the case page #/case/<id> (GET /cases/{id}: the agency
// facts with their discrepancies, the visit report, the computation, the
// timeline and the refusals) with the role's decision (POST
// /cases/{id}/village-review, /township-confirmation, /district-filing,
// each with an Idempotency-Key kept until it is answered), and the
// periodic reviews (GET /reviews). What a user sees is what approval
// answers for their token: a case of another village is "not found".
import { useEffect, useState } from '../vendor/hooks.mjs';
import { call, newKey } from './api.mjs';
import { html } from './html.mjs';
import { addWords, getLang, t } from './i18n.mjs';
import { yuan } from './money.mjs';
import { noticeHref } from './notice.mjs';
import { word } from './ovkit.mjs';
import { usePaged } from './paged.mjs';
import { ErrorNote, problemText } from './problems.mjs';

addWords({
  cw_queue: ['待办案件', 'Case queue'],
  cw_reviews: ['定期复核', 'Reviews'],
  cw_filter: ['显示', 'Show'],
  cw_f_mine: ['待我审核的', 'Waiting for me'],
  cw_f_overdue: ['已超期的', 'Overdue'],
  cw_f_held: ['核查暂停的', 'Held (agencies missing)'],
  cw_f_all: ['辖区全部案件', 'All cases in my area'],
  cw_case: ['案件', 'Case'],
  cw_kind: ['类型', 'Kind'],
  cw_k_application: ['申请', 'Application'],
  cw_k_review: ['复核', 'Review'],
  cw_village: ['村（社区）', 'Village'],
  cw_clock: ['办理时限', 'Clock'],
  cw_days_left: ['剩 {n} 天', '{n} days left'],
  cw_due_today: ['今天到期', 'Due today'],
  cw_overdue_by: ['已超期 {n} 天', 'Overdue by {n} days'],
  cw_clock_stopped: ['已停止计时', 'Clock stopped'],
  cw_stage: ['办理阶段', 'Stage'],
  cw_category_amount: ['类别 · 月保障金', 'Category · monthly amount'],
  cw_discrepancies_n: ['核查差异', 'Discrepancies'],
  cw_open_case: ['办理', 'Open'],
  cw_s_GATHERING: ['核查与入户调查中', 'Checks and visit under way'],
  cw_s_HELD: ['核查暂停（部门未答复）', 'Held: agencies have not answered'],
  cw_s_VILLAGE_REVIEW: ['待村（居）审核', 'Village review'],
  cw_s_TOWNSHIP_CONFIRM: ['待乡镇审核确认', 'Township confirmation'],
  cw_s_DISTRICT_FILING: ['待区县备案', 'District filing'],
  cw_s_FILED: ['已批准并备案', 'Approved and filed'],
  cw_s_REJECTED: ['不予批准', 'Refused'],
  cw_s_RETURNED: ['已退回', 'Returned'],
  cw_s_WITHDRAWN: ['已撤回', 'Withdrawn'],
  cw_c_tekun: ['特困人员供养', 'Extreme poverty support'],
  cw_c_dibao: ['最低生活保障', 'Minimum living allowance'],
  cw_c_expenditure: ['支出型困难', 'Expenditure hardship'],
  cw_c_low_income: ['低收入家庭', 'Low-income household'],
  cw_c_emergency: ['临时救助', 'Emergency assistance'],
  cw_c_none: ['不符合保障条件', 'No category'],
  cw_t_core: ['核心保障', 'Core'],
  cw_t_edge: ['边缘保障', 'Edge'],
  cw_t_universal: ['普惠', 'Universal'],
  cw_yuan_month: ['{y} 元/月', '{y} yuan a month'],
  cw_case_title: ['案件 {id}', 'Case {id}'],
  cw_not_found: ['未找到该案件，或该案件不在您的管辖范围内：只能查看和办理本辖区的案件。', 'No such case, or it lies outside your jurisdiction: you may only see and decide your own area\u2019s cases.'],
  cw_household: ['申请家庭', 'The household'],
  cw_declared: ['申报情况（元/月）', 'Declared (yuan a month)'],
  cw_facts: ['部门核查结果', 'What the agencies report'],
  cw_verification_pending: ['部门核查尚未完成。', 'The agencies\u2019 checks are not complete yet.'],
  cw_missing_agencies: ['未答复的部门：{list}', 'Agencies that have not answered: {list}'],
  cw_discrepancies: ['申报与核查不一致', 'Declared and reported differ'],
  cw_no_discrepancies: ['申报与部门核查结果一致。', 'The declaration agrees with the agencies.'],
  cw_item: ['项目', 'Item'],
  cw_agency: ['核查部门', 'Agency'],
  cw_declared_amount: ['申报（元）', 'Declared (yuan)'],
  cw_reported_amount: ['核查（元）', 'Reported (yuan)'],
  cw_visit: ['入户调查报告', 'Home-visit report'],
  cw_visit_pending: ['入户调查尚未完成。', 'The home visit has not been reported yet.'],
  cw_visit_date: ['调查日期', 'Visit date'],
  cw_investigators: ['调查人员', 'Investigators'],
  cw_present: ['在场成员', 'Members present'],
  cw_living: ['生活状况', 'Living conditions'],
  cw_housing_cond: ['住房状况', 'Housing'],
  cw_contradictions: ['发现的矛盾', 'Contradictions found'],
  cw_recommendation: ['调查意见', 'Recommendation'],
  cw_rec_approve: ['建议批准', 'Approve'],
  cw_rec_reject: ['建议不予批准', 'Refuse'],
  cw_rec_further_review: ['建议进一步核查', 'Look further'],
  cw_computation: ['系统核算', 'Computed by the rules'],
  cw_not_computed: ['核查和入户调查都完成后由系统核算。', 'Computed once the checks and the visit are in.'],
  cw_category: ['保障类别', 'Category'],
  cw_tier: ['保障层级', 'Tier'],
  cw_amount: ['月保障金', 'Monthly amount'],
  cw_standard: ['保障标准', 'Standard'],
  cw_policy: ['政策版本', 'Policy version'],
  cw_assets: ['财产核对', 'Assets test'],
  cw_assets_pass: ['符合', 'Passed'],
  cw_assets_fail: ['不符合：{list}', 'Failed: {list}'],
  cw_referrals: ['转介', 'Referrals'],
  cw_rule_reason: ['不符合的原因', 'Why no category'],
  cw_decision_made: ['审批结果', 'Decision'],
  cw_approved: ['批准', 'Approved'],
  cw_refused: ['不予批准', 'Refused'],
  cw_by: ['经办人', 'By'],
  cw_timeline: ['办理经过', 'Timeline'],
  cw_refusals: ['被拒绝的操作', 'Refused actions'],
  cw_no_refusals: ['没有被拒绝的操作。', 'No action was refused.'],
  cw_refusal_line: ['{user}（{role}）', '{user} ({role})'],
  cw_decide: ['审核意见', 'Your decision'],
  cw_not_your_step: ['该案件目前处于“{stage}”阶段，无需您办理。', 'The case is at "{stage}": nothing for you to do.'],
  cw_decision: ['意见', 'Decision'],
  cw_d_pass: ['审核通过，报乡镇', 'Pass to the township'],
  cw_d_return: ['退回补正', 'Return to be amended'],
  cw_d_approve: ['批准', 'Approve'],
  cw_d_reject: ['不予批准', 'Refuse'],
  cw_d_file: ['同意备案', 'File'],
  cw_reason: ['理由', 'Reason'],
  cw_reason_hint: ['退回、不予批准或改变类别时必填', 'Required to return, refuse or change the category'],
  cw_note: ['备注', 'Note'],
  cw_seen: ['我已阅读上述 {n} 项申报与核查不一致的情况', 'I have read the {n} differences above'],
  cw_override_code: ['特殊情况批准的理由', 'Reason for the override'],
  cw_override_note: ['特殊情况说明', 'Override note'],
  cw_override_hint: ['系统核算不符合条件；如仍批准，须选择理由并说明，报区县复核。', 'The rules give no category; to approve anyway give a reason and a note, for the district to review.'],
  cw_override: ['乡镇特殊情况批准', 'Township override'],
  cw_district_review: ['区县复核', 'District review'],
  cw_af_financial_assets: ['金融资产超过限额', 'Financial assets above the limit'],
  cw_af_homes: ['住房超过限额', 'Too many homes'],
  cw_af_vehicle: ['车辆超过限额', 'Vehicles above the limit'],
  cw_af_business_capital: ['经营资本超过限额', 'Business capital above the limit'],
  cw_override_waiting: ['待区县复核', 'Awaiting the district'],
  cw_spot_check: ['抽查本案', 'Spot-check this case'],
  cw_submit_decision: ['提交审核意见', 'Submit the decision'],
  cw_decided: ['已提交。案件现处于“{stage}”阶段。', 'Done. The case is now at "{stage}".'],
  cw_reason_needed: ['请填写理由。', 'Give a reason.'],
  cw_seen_needed: ['请先阅读并确认申报与核查不一致的情况。', 'Read and confirm the differences first.'],
  cw_review_id: ['复核编号', 'Review'],
  cw_review_kind: ['复核类型', 'Kind'],
  cw_rk_periodic: ['定期复核', 'Periodic'],
  cw_rk_change_report: ['家庭情况变化', 'Change reported'],
  cw_rk_agency_notice: ['部门通报', 'Agency notice'],
  cw_review_status: ['状态', 'Status'],
  cw_rs_open: ['办理中', 'Open'],
  cw_rs_closed: ['已办结', 'Closed'],
  cw_beneficiary: ['在保家庭', 'Household'],
  cw_gross_income_fen: ['家庭月总收入', 'Gross monthly income'],
  cw_income_per_member_fen: ['人均月收入', 'Income per member'],
  cw_rigid_expenditure_per_member_fen: ['人均刚性支出', 'Rigid expenditure per member'],
  cw_net_per_member_fen: ['人均月净收入', 'Net income per member'],
  cw_financial_assets_fen: ['金融资产', 'Financial assets'],
  cw_financial_assets_per_member_fen: ['人均金融资产', 'Financial assets per member'],
  cw_business_capital_fen: ['经营资本', 'Business capital'],
  cw_homes: ['住房（套）', 'Homes'],
  cw_vehicles: ['车辆', 'Vehicles'],
  cw_exempt_vehicles: ['豁免车辆', 'Exempt vehicles'],
  cw_members: ['家庭人数', 'Members'],
  cw_deceased_members: ['已故成员', 'Deceased members'],
  cw_all_registered: ['户籍均已登记', 'All registered'],
  cw_yes: ['是', 'Yes'],
  cw_no: ['否', 'No'],
  cw_taxed_income_fen: ['纳税收入', 'Taxed income'],
  cw_unemployment_benefit_fen: ['失业保险金', 'Unemployment benefit'],
  cw_ag_public_security: ['公安部门', 'Public security'],
  cw_ag_human_resources: ['人社部门', 'Human resources'],
  cw_ag_housing: ['住建部门', 'Housing'],
  cw_ag_vehicles: ['车辆管理部门', 'Vehicles'],
  cw_ag_market: ['市场监管部门', 'Market regulation'],
  cw_ag_tax: ['税务部门', 'Tax'],
  cw_ag_banks: ['银行', 'Banks'],
  cw_ag_provident_fund: ['住房公积金中心', 'Provident fund'],
  cw_ref_medical: ['医疗救助', 'Medical'],
  cw_ref_housing: ['住房救助', 'Housing'],
  cw_ref_education: ['教育救助', 'Education'],
  cw_ref_employment: ['就业援助', 'Employment'],
  cw_rr_income_above_edge: ['人均收入高于低收入标准', 'Income above the low-income line'],
  cw_rr_assets_financial: ['金融资产超过限额', 'Financial assets above the limit'],
  cw_rr_assets_homes: ['住房超过限额', 'Too many homes'],
  cw_rr_assets_vehicles: ['车辆超过限额', 'Vehicles above the limit'],
  cw_rr_assets_business: ['经营资本超过限额', 'Business capital above the limit'],
  cw_rr_unclassified: ['不属于任何保障类别', 'No category applies'],
  cw_a_opened: ['受理立案', 'Opened'],
  cw_a_computed: ['系统核算', 'Computed'],
  cw_a_ready_for_review: ['核查和入户调查完成，转村（居）审核', 'Checks and visit in: to the village'],
  cw_a_held: ['部门未答复，核查暂停', 'Held: agencies did not answer'],
  cw_a_verification: ['收到部门核查结果', 'Agencies\u2019 answers in'],
  cw_a_verification_complete: ['部门核查完成', 'Checks complete'],
  cw_a_investigation: ['收到入户调查报告', 'Visit report in'],
  cw_a_investigation_in: ['收到入户调查报告', 'Visit report in'],
  cw_a_village_passed: ['村（居）审核通过', 'Village passed it'],
  cw_a_village_returned: ['村（居）退回', 'Village returned it'],
  cw_a_discrepancies_seen: ['审核人已阅核查差异', 'Differences read'],
  cw_a_township_approved: ['乡镇批准', 'Township approved'],
  cw_a_township_rejected: ['乡镇不予批准', 'Township refused'],
  cw_a_township_returned: ['乡镇退回', 'Township returned it'],
  cw_a_township_override: ['乡镇特殊情况批准，报区县复核', 'Township override, to the district'],
  cw_a_district_filed: ['区县备案', 'District filed it'],
  cw_a_district_rejected: ['区县不予批准', 'District refused'],
  cw_a_district_returned: ['区县退回', 'District returned it'],
  cw_a_overdue: ['超过办理时限', 'Past the deadline'],
  cw_a_withdrawn: ['申请人撤回', 'Withdrawn'],
  cw_a_resubmitted: ['补正后重新提交', 'Resubmitted'],
  cw_a_released: ['核查恢复', 'Released'],
  cw_a_retry: ['重新向部门核查', 'Agencies asked again'],
  cw_step_village_review: ['村（居）审核', 'village review'],
  cw_step_township_confirmation: ['乡镇审核确认', 'township confirmation'],
  cw_step_district_filing: ['区县备案', 'district filing'],
});

// The stage each deciding role acts at, and the step it posts.
export const STEP_OF_ROLE = {
  village_reviewer: { stage: 'VILLAGE_REVIEW', path: 'village-review', decisions: ['pass', 'return'] },
  township_officer: { stage: 'TOWNSHIP_CONFIRM', path: 'township-confirmation', decisions: ['approve', 'reject', 'return'] },
  district_officer: { stage: 'DISTRICT_FILING', path: 'district-filing', decisions: ['file'] },
};

const when = (s) => (s ? String(s).replace('T', ' ').slice(0, 16) : '');

// The 15-day clock of a case summary (days_left from approval; null once
// the clock stopped), marked when overdue.
export function Clock({ c }) {
  if (c.days_left === null || c.days_left === undefined) return html`<span class="cw-clock">${t('cw_clock_stopped')}</span>`;
  if (c.overdue || c.days_left < 0) return html`<span class="cw-clock cw-overdue">${t('cw_overdue_by', { n: Math.max(1, -c.days_left) })}</span>`;
  if (c.days_left === 0) return html`<span class="cw-clock cw-soon">${t('cw_due_today')}</span>`;
  return html`<span class=${`cw-clock${c.days_left <= 3 ? ' cw-soon' : ''}`}>${t('cw_days_left', { n: c.days_left })}</span>`;
}

function Stage({ s }) {
  return html`<span class=${`status cw-st-${s}`}>${t('cw_s_' + s)}</span>`;
}

export function QueueScreen({ user }) {
  const step = STEP_OF_ROLE[user.role];
  const [filter, setFilter] = useState('mine');
  const query = { mine: step ? `cases?stage=${step.stage}` : 'cases', overdue: 'cases?overdue=true', held: 'cases?held=true', all: 'cases' }[filter];
  const { items, next, err, more } = usePaged('approval', query);
  return html`
    <section>
      <div class="bar"><h1>${t('cw_queue')}</h1><button type="button" class="noprint" onClick=${() => print()}>${t('print')}</button></div>
      <div class="field cw-filter noprint">
        <label for="cw-filter">${t('cw_filter')}</label>
        <select id="cw-filter" value=${filter} onChange=${(e) => setFilter(e.target.value)}>
          ${['mine', 'overdue', 'held', 'all'].map((f) => html`<option value=${f}>${t('cw_f_' + f)}</option>`)}
        </select>
      </div>
      <${ErrorNote} err=${err} id="queue-error" />
      ${items === null && !err && html`<p>${t('loading')}</p>`}
      ${items && items.length === 0 && !err && html`<p id="queue-empty">${t('empty_list')}</p>`}
      ${items && items.length > 0 && html`
        <table class="list" id="queue">
          <thead><tr>
            <th scope="col">${t('cw_case')}</th><th scope="col">${t('cw_kind')}</th><th scope="col">${t('cw_village')}</th>
            <th scope="col">${t('accepted_date')}</th><th scope="col">${t('deadline_date')}</th><th scope="col">${t('cw_clock')}</th>
            <th scope="col">${t('cw_stage')}</th><th scope="col">${t('cw_category_amount')}</th><th scope="col">${t('cw_discrepancies_n')}</th>
          </tr></thead>
          <tbody>
            ${items.map((c) => html`
              <tr class=${c.overdue ? 'cw-row-overdue' : ''} data-case=${c.case_id}>
                <td data-label=${t('cw_case')}><a href=${`#/case/${encodeURIComponent(c.case_id)}`} class="cw-open">${t('cw_open_case')} <code>${c.case_id.slice(0, 8)}</code></a></td>
                <td data-label=${t('cw_kind')}>${t('cw_k_' + (c.kind || 'application'))}</td>
                <td data-label=${t('cw_village')}>${c.village_code}</td>
                <td data-label=${t('accepted_date')}>${c.accepted_date || ''}</td>
                <td data-label=${t('deadline_date')}>${c.deadline_date || ''}</td>
                <td data-label=${t('cw_clock')}><${Clock} c=${c} /></td>
                <td data-label=${t('cw_stage')}><${Stage} s=${c.stage} /></td>
                <td data-label=${t('cw_category_amount')}>${c.category ? `${word('cw_c_', c.category)}${c.monthly_amount_fen !== null ? ' · ' + t('cw_yuan_month', { y: yuan(c.monthly_amount_fen) }) : ''}` : ''}</td>
                <td data-label=${t('cw_discrepancies_n')}>${c.discrepancy_count || 0}</td>
              </tr>`)}
          </tbody>
        </table>`}
      ${next && html`<button type="button" class="noprint" onClick=${more}>${t('more')}</button>`}
    </section>`;
}

export function ReviewsScreen() {
  const [status, setStatus] = useState('open');
  const { items, next, err, more } = usePaged('approval', 'reviews', { status });
  return html`
    <section>
      <h1>${t('cw_reviews')}</h1>
      <div class="field cw-filter noprint">
        <label for="cw-review-status">${t('cw_review_status')}</label>
        <select id="cw-review-status" value=${status} onChange=${(e) => setStatus(e.target.value)}>
          ${['open', 'closed'].map((s) => html`<option value=${s}>${t('cw_rs_' + s)}</option>`)}
        </select>
      </div>
      <${ErrorNote} err=${err} id="reviews-error" />
      ${items === null && !err && html`<p>${t('loading')}</p>`}
      ${items && items.length === 0 && !err && html`<p>${t('empty_list')}</p>`}
      ${items && items.length > 0 && html`
        <table class="list" id="reviews">
          <thead><tr><th scope="col">${t('cw_review_id')}</th><th scope="col">${t('cw_review_kind')}</th><th scope="col">${t('cw_beneficiary')}</th><th scope="col">${t('cw_review_status')}</th></tr></thead>
          <tbody>
            ${items.map((r) => html`
              <tr>
                <td data-label=${t('cw_review_id')}><a href=${`#/case/${encodeURIComponent(r.review_id)}`}>${t('cw_open_case')} <code>${String(r.review_id).slice(0, 8)}</code></a></td>
                <td data-label=${t('cw_review_kind')}>${word('cw_rk_', r.kind)}</td>
                <td data-label=${t('cw_beneficiary')}><code>${String(r.beneficiary_id || '').slice(0, 8)}</code></td>
                <td data-label=${t('cw_review_status')}>${word('cw_rs_', r.status)}</td>
              </tr>`)}
          </tbody>
        </table>`}
      ${next && html`<button type="button" class="noprint" onClick=${more}>${t('more')}</button>`}
    </section>`;
}

const FACTS = ['members', 'gross_income_fen', 'income_per_member_fen', 'rigid_expenditure_per_member_fen', 'net_per_member_fen',
  'financial_assets_fen', 'financial_assets_per_member_fen', 'business_capital_fen', 'homes', 'vehicles', 'exempt_vehicles',
  'deceased_members', 'all_registered'];

function factValue(k, v) {
  if (typeof v === 'boolean') return v ? t('cw_yes') : t('cw_no');
  if (k.endsWith('_fen')) return `${yuan(v)} 元`;
  return String(v);
}

const fieldWord = (f) => (['wages_fen', 'pensions_fen', 'business_fen', 'other_fen', 'agricultural_fen', 'support_fen'].includes(f) ? t(f) : t('cw_' + f));
const agencyWords = (list) => (list || []).map((a) => String(a).split(/,\s*/).map((x) => t('cw_ag_' + x)).join('、')).join('、');

function Household({ c }) {
  const a = c.application || {};
  const h = a.household || {};
  const members = a.members || [];
  const inc = a.declared_income || {};
  const exp = a.declared_expenditure || {};
  return html`
    <section class="card cw-part">
      <h2>${t('cw_household')}</h2>
      <dl class="facts">
        <dt>${t('address')}</dt><dd>${h.address || ''}</dd>
        <dt>${t('cw_village')}</dt><dd>${c.village_code}</dd>
        <dt>${t('registration')}</dt><dd>${h.registration ? t(h.registration) : ''}</dd>
        <dt>${t('accepted_date')}</dt><dd>${c.accepted_date || ''}</dd>
      </dl>
      ${members.length > 0 && html`
        <table class="list cw-members">
          <thead><tr><th scope="col">${t('name')}</th><th scope="col">${t('relation')}</th><th scope="col">${t('id_number')}</th><th scope="col">${t('labour_capacity')}</th></tr></thead>
          <tbody>${members.map((m) => html`<tr>
            <td data-label=${t('name')}>${m.name}</td><td data-label=${t('relation')}>${t(m.relation || 'other')}</td>
            <td data-label=${t('id_number')}><code>${m.id_number}</code></td><td data-label=${t('labour_capacity')}>${m.labour_capacity ? t(m.labour_capacity) : ''}</td>
          </tr>`)}</tbody>
        </table>`}
      <h3>${t('cw_declared')}</h3>
      <dl class="facts">
        ${Object.keys(inc).filter((k) => inc[k]).map((k) => html`<dt>${t(k)}</dt><dd>${yuan(inc[k])}</dd>`)}
        ${Object.keys(exp).filter((k) => exp[k]).map((k) => html`<dt>${t(k)}</dt><dd>${yuan(exp[k])}</dd>`)}
      </dl>
    </section>`;
}

function Facts({ c }) {
  const v = c.verification;
  const f = c.facts;
  const d = c.discrepancies || [];
  return html`
    <section class="card cw-part" id="cw-facts">
      <h2>${t('cw_facts')}</h2>
      ${(!v || !v.complete) && html`<p>${t('cw_verification_pending')}</p>`}
      ${v && v.missing && v.missing.length > 0 && html`<p class="error">${t('cw_missing_agencies', { list: agencyWords(v.missing) })}</p>`}
      ${f && html`<dl class="facts">${FACTS.filter((k) => k in f).map((k) => html`<dt>${t('cw_' + k)}</dt><dd>${factValue(k, f[k])}</dd>`)}</dl>`}
      <h3>${t('cw_discrepancies')}</h3>
      ${d.length === 0
        ? html`<p>${t('cw_no_discrepancies')}</p>`
        : html`<table class="list cw-discrepancies" id="cw-discrepancies">
            <thead><tr><th scope="col">${t('cw_item')}</th><th scope="col">${t('cw_agency')}</th><th scope="col">${t('cw_declared_amount')}</th><th scope="col">${t('cw_reported_amount')}</th></tr></thead>
            <tbody>${d.map((x) => html`<tr class="cw-differs">
              <td data-label=${t('cw_item')}>${fieldWord(x.field)}</td><td data-label=${t('cw_agency')}>${agencyWords([x.agency])}</td>
              <td data-label=${t('cw_declared_amount')}>${yuan(x.declared_fen)}</td><td data-label=${t('cw_reported_amount')}>${yuan(x.reported_fen)}</td>
            </tr>`)}</tbody>
          </table>`}
    </section>`;
}

function Visit({ c }) {
  const r = c.investigation;
  const names = {};
  for (const m of (c.application && c.application.members) || []) names[m.id_number] = m.name;
  return html`
    <section class="card cw-part" id="cw-visit">
      <h2>${t('cw_visit')}</h2>
      ${!r ? html`<p>${t('cw_visit_pending')}</p>` : html`
        <dl class="facts">
          <dt>${t('cw_visit_date')}</dt><dd>${r.visit_date}</dd>
          <dt>${t('cw_investigators')}</dt><dd>${(r.investigators || []).map((x) => (typeof x === 'string' ? x : x.user_id)).join('、')}</dd>
          <dt>${t('cw_present')}</dt><dd>${(r.members || []).map((m) => `${names[m.id_number] || m.id_number}：${m.present ? t('cw_yes') : t('cw_no')}`).join('；')}</dd>
          <dt>${t('cw_living')}</dt><dd class="cw-text">${r.living_conditions}</dd>
          <dt>${t('cw_housing_cond')}</dt><dd class="cw-text">${r.housing_condition}</dd>
          ${r.contradictions && r.contradictions.length > 0 && html`<dt>${t('cw_contradictions')}</dt><dd><ul>${r.contradictions.map((x) => html`<li>${x}</li>`)}</ul></dd>`}
          <dt>${t('cw_recommendation')}</dt><dd>${word('cw_rec_', r.recommendation)}</dd>
        </dl>`}
    </section>`;
}

// A township's override, its reason code in the policy's words.
function Override({ o }) {
  const [label, setLabel] = useState(o.reason_code);
  useEffect(() => {
    call('GET', 'approval', 'policy').then((p) => {
      const r = (p.override_reasons || []).find((x) => x.code === o.reason_code);
      if (r) setLabel(r.label);
    }, () => {});
  }, [o.reason_code]);
  return html`
    <h3>${t('cw_override')}</h3>
    <dl class="facts" id="cw-override">
      <dt>${t('cw_override_code')}</dt><dd>${label}</dd>
      <dt>${t('cw_override_note')}</dt><dd class="cw-text">${o.note}</dd>
      <dt>${t('cw_district_review')}</dt><dd>${o.district_review ? t('cw_override_waiting') : word('cw_d_', o.district_outcome)}</dd>
    </dl>`;
}

function Computation({ c }) {
  const k = c.computation;
  return html`
    <section class="card cw-part" id="cw-computation">
      <h2>${t('cw_computation')}</h2>
      ${!k ? html`<p>${t('cw_not_computed')}</p>` : html`
        <dl class="facts">
          <dt>${t('cw_category')}</dt><dd id="cw-category">${word('cw_c_', k.category || 'none')}</dd>
          ${k.tier && html`<dt>${t('cw_tier')}</dt><dd>${word('cw_t_', k.tier)}</dd>`}
          <dt>${t('cw_amount')}</dt><dd id="cw-amount">${t('cw_yuan_month', { y: yuan(k.monthly_amount_fen || 0) })}</dd>
          <dt>${t('cw_standard')}</dt><dd>${t('cw_yuan_month', { y: yuan(k.standard_fen) })}</dd>
          <dt>${t('cw_net_per_member_fen')}</dt><dd>${yuan(k.net_per_member_fen)} 元</dd>
          <dt>${t('cw_assets')}</dt><dd>${k.assets && k.assets.pass === false ? t('cw_assets_fail', { list: (k.assets.failures || []).map((x) => (t('cw_af_' + x) === 'cw_af_' + x ? x : t('cw_af_' + x))).join('、') }) : t('cw_assets_pass')}</dd>
          ${k.rule_reason && html`<dt>${t('cw_rule_reason')}</dt><dd>${word('cw_rr_', k.rule_reason)}</dd>`}
          ${k.referrals && k.referrals.length > 0 && html`<dt>${t('cw_referrals')}</dt><dd>${k.referrals.map((r) => t('cw_ref_' + r)).join('、')}</dd>`}
          <dt>${t('cw_policy')}</dt><dd>${k.policy_version}</dd>
        </dl>`}
      ${c.override && html`<${Override} o=${c.override} />`}
      ${c.decision && html`
        <h3>${t('cw_decision_made')}</h3>
        <dl class="facts" id="cw-decision-made">
          <dt>${t('cw_decision_made')}</dt><dd>${c.decision.approved ? t('cw_approved') : t('cw_refused')}${c.decision.category ? ` · ${word('cw_c_', c.decision.category)}` : ''}</dd>
          <dt>${t('cw_by')}</dt><dd>${c.decision.decided_by} · ${when(c.decision.decided_at)}</dd>
        </dl>
        <p class="noprint"><a class="button" id="cw-notice" href=${noticeHref(c.case_id)}>${t('c2_notice')}</a></p>`}
    </section>`;
}

function Timeline({ c }) {
  return html`
    <section class="card cw-part" id="cw-timeline">
      <h2>${t('cw_timeline')}</h2>
      <ol class="cw-timeline">
        ${(c.timeline || []).map((e) => html`<li>
          <time>${when(e.at)}</time> <span>${e.actor}</span> · <strong>${t('cw_a_' + e.action)}</strong>
          ${e.to && html` → ${t('cw_s_' + e.to)}`}${e.reason && html`<span class="cw-reason">：${e.reason}</span>`}
        </li>`)}
      </ol>
      <h3>${t('cw_refusals')}</h3>
      ${(c.refusals || []).length === 0 ? html`<p>${t('cw_no_refusals')}</p>` : html`
        <ul class="cw-refusals" id="cw-refusals">
          ${c.refusals.map((r) => html`<li><time>${when(r.at)}</time> ${t('cw_refusal_line', { user: r.user, role: t('r_' + r.role) })} · ${t('cw_step_' + r.step)}：${problemText({ code: r.code }, getLang())}</li>`)}
        </ul>`}
    </section>`;
}

// The role's decision at its stage; the Idempotency-Key lives until the
// step is answered, so a retry after a lost answer is not a second act.
function Decide({ c, user, onDone }) {
  const step = STEP_OF_ROLE[user.role];
  const review = c.kind === 'review';
  const k = c.computation || {};
  const computedNone = !k.category || k.category === 'none';
  const nd = (c.discrepancies || []).length;
  const underReview = Boolean(c.override && c.override.district_review);
  const [decision, setDecision] = useState(step ? step.decisions[0] : '');
  const [reason, setReason] = useState('');
  const [category, setCategory] = useState(computedNone ? '' : k.category);
  const [seen, setSeen] = useState(false);
  const [code, setCode] = useState('');
  const [note, setNote] = useState('');
  const [spot, setSpot] = useState(false);
  const [reasons, setReasons] = useState([]);
  const [key, setKey] = useState(newKey);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState(null);
  useEffect(() => {
    if (user.role === 'township_officer' && computedNone && !review) {
      call('GET', 'approval', 'policy').then((p) => setReasons(p.override_reasons || []), () => setReasons([]));
    }
  }, []);
  if (!step) return null;
  if (c.stage !== step.stage) {
    return html`<section class="card cw-part noprint" id="cw-decide"><h2>${t('cw_decide')}</h2>
      <p id="cw-not-yours">${t('cw_not_your_step', { stage: t('cw_s_' + c.stage) })}</p></section>`;
  }
  let choices = step.decisions;
  if (user.role === 'township_officer' && review) choices = ['approve', 'reject'];
  if (user.role === 'district_officer' && underReview) choices = ['file', 'return', 'reject'];
  const override = user.role === 'township_officer' && !review && decision === 'approve' && computedNone;
  const changed = user.role === 'township_officer' && !review && !computedNone && category && category !== k.category;
  const needReason = decision === 'return' || decision === 'reject' || changed;

  async function submit(e) {
    e.preventDefault();
    setErr(null);
    if (needReason && !reason.trim()) { setErr({ code: 'reason_required' }); return; }
    if (user.role === 'township_officer' && nd > 0 && !seen) { setErr({ code: 'discrepancies_not_seen' }); return; }
    const body = { decision };
    if (reason.trim()) body.reason = reason.trim();
    if (user.role === 'township_officer') {
      if (nd > 0) body.discrepancies_seen = seen;
      if (!review && decision === 'approve' && category) body.category = category;
      if (override) { body.override_reason_code = code; body.override_note = note.trim(); }
    }
    if (user.role === 'district_officer') {
      body.spot_check = spot;
      if (note.trim()) body.note = note.trim();
    }
    setBusy(true);
    try {
      const r = await call('POST', 'approval', `cases/${encodeURIComponent(c.case_id)}/${step.path}`, body, key);
      setKey(newKey());
      onDone(r);
    } catch (p) {
      setErr(p);
    }
    setBusy(false);
  }
  return html`
    <section class="card cw-part noprint" id="cw-decide">
      <h2>${t('cw_decide')}</h2>
      <form onSubmit=${submit} novalidate>
        <div class="field">
          <label for="cw-decision">${t('cw_decision')}</label>
          <select id="cw-decision" value=${decision} onChange=${(e) => setDecision(e.target.value)}>
            ${choices.map((d) => html`<option value=${d}>${t('cw_d_' + d)}</option>`)}
          </select>
        </div>
        ${user.role === 'township_officer' && !review && decision === 'approve' && html`
          <div class="field">
            <label for="cw-category-choice">${t('cw_category')}</label>
            <select id="cw-category-choice" value=${category} onChange=${(e) => setCategory(e.target.value)}>
              ${computedNone && html`<option value="">—</option>`}
              ${['tekun', 'dibao', 'expenditure', 'low_income'].map((x) => html`<option value=${x}>${t('cw_c_' + x)}</option>`)}
            </select>
          </div>`}
        ${override && html`
          <p class="note">${t('cw_override_hint')}</p>
          <div class="field">
            <label for="cw-override-code">${t('cw_override_code')}</label>
            <select id="cw-override-code" value=${code} onChange=${(e) => setCode(e.target.value)}>
              <option value="">—</option>
              ${reasons.map((r) => html`<option value=${r.code}>${r.label}</option>`)}
            </select>
          </div>
          <div class="field">
            <label for="cw-override-note">${t('cw_override_note')}</label>
            <textarea id="cw-override-note" rows="3" value=${note} onInput=${(e) => setNote(e.target.value)}></textarea>
          </div>`}
        ${user.role === 'district_officer' && html`
          <div class="check">
            <input type="checkbox" id="cw-spot" checked=${spot} onChange=${(e) => setSpot(e.target.checked)} />
            <label for="cw-spot">${t('cw_spot_check')}</label>
          </div>
          <div class="field">
            <label for="cw-note">${t('cw_note')}</label>
            <textarea id="cw-note" rows="2" value=${note} onInput=${(e) => setNote(e.target.value)}></textarea>
          </div>`}
        ${user.role === 'township_officer' && nd > 0 && html`
          <div class="check cw-seen">
            <input type="checkbox" id="cw-seen" checked=${seen} onChange=${(e) => setSeen(e.target.checked)} />
            <label for="cw-seen">${t('cw_seen', { n: nd })}</label>
          </div>`}
        <div class="field">
          <label for="cw-reason">${t('cw_reason')}</label>
          <textarea id="cw-reason" rows="3" value=${reason} aria-describedby="cw-reason-note" onInput=${(e) => setReason(e.target.value)}></textarea>
          <small class="note" id="cw-reason-note">${t('cw_reason_hint')}</small>
        </div>
        <${ErrorNote} err=${err} id="cw-decide-error" />
        <button type="submit" id="cw-submit" disabled=${busy}>${t('cw_submit_decision')}</button>
      </form>
    </section>`;
}

export function CaseScreen({ user, params }) {
  const id = params[0] || '';
  const [c, setC] = useState(null);
  const [err, setErr] = useState(null);
  const [done, setDone] = useState(null);
  async function load() {
    try {
      setC(await call('GET', 'approval', `cases/${encodeURIComponent(id)}`));
      setErr(null);
    } catch (p) {
      setErr(p);
    }
  }
  useEffect(() => { load(); }, [id]);
  if (err) {
    const gone = err.status === 404 || err.code === 'not_found' || err.code === 'outside_jurisdiction';
    return html`<section><h1>${t('cw_case_title', { id: id.slice(0, 8) })}</h1>
      <p class="error" role="alert" id="case-error">${gone ? t('cw_not_found') : problemText(err, getLang())}</p>
      <p><a href="#/queue">${t('cw_queue')}</a></p></section>`;
  }
  if (!c) return html`<section><h1>${t('cw_case_title', { id: id.slice(0, 8) })}</h1><p>${t('loading')}</p></section>`;
  return html`
    <section class="cw-case" data-stage=${c.stage}>
      <div class="bar">
        <h1>${t('cw_case_title', { id: c.case_id.slice(0, 8) })}</h1>
        <button type="button" class="noprint" onClick=${() => print()}>${t('print')}</button>
      </div>
      <p class="cw-head">
        <${Stage} s=${c.stage} /> <span>${t('cw_k_' + (c.kind || 'application'))}</span>
        <span>${t('deadline_date')} ${c.deadline_date || ''}</span> <${Clock} c=${c} />
      </p>
      ${done && html`<p class="ok" role="status" id="cw-decided">${t('cw_decided', { stage: t('cw_s_' + done.stage) })}</p>`}
      <div class="cw-columns">
        <${Household} c=${c} />
        <${Facts} c=${c} />
        <${Visit} c=${c} />
        <${Computation} c=${c} />
      </div>
      <${Decide} c=${c} user=${user} key=${c.stage} onDone=${(r) => { setDone(r); load(); }} />
      <${Timeline} c=${c} />
    </section>`;
}
