// The decision notice (决定书), #/notice/<case or application id>: a
// page that prints on A4 (print.css) showing a decided case: the
// household, the decision, category, tier, monthly amount in yuan
// (integer fen to yuan by money.mjs), the dates, the reasons, the office
// that decided and how to appeal. Its calls:
//   approval GET /cases/<id>: stage, decision, category, tier, amount,
//     timeline (the deciding steps' reasons), rule_reason, override;
//   intake GET /applications/<application id>: the household and its
//     members as taken in, and intake's view of the decision (roles
//     intake refuses see the case's own summary instead);
//   approval GET /beneficiaries?village=&limit= and /beneficiaries/<id>:
//     for an approval, the register's entry (the decision's amount and
//     first month, from the entry's history).
// A case not decided yet shows that, not a notice. noticeHref(id) is
// the link other screens use (my applications, the case page).
import { useEffect, useState } from '../vendor/hooks.mjs';
import { call } from './api.mjs';
import { html } from './html.mjs';
import { addWords, getLang, t } from './i18n.mjs';
import { fenToYuan } from './money.mjs';
import { dt } from './ovkit.mjs';
import { ErrorNote } from './problems.mjs';

addWords({
  c2_notice: ['决定书', 'Decision notice'],
  c2_notice_title_app: ['社会救助审核确认决定书', 'Decision on an application for social assistance'],
  c2_notice_title_review: ['社会救助复核决定书', 'Decision on a review of social assistance'],
  c2_notice_no: ['编号', 'No.'],
  c2_office: ['乡镇人民政府（街道办事处）', 'Township government (sub-district office)'],
  c2_office_code: ['行政区划代码 {code}', 'area code {code}'],
  c2_to: ['申请人', 'To the applicant'],
  c2_members_n: ['{n} 人', '{n}'],
  c2_colon: ['：', ': '], c2_list_sep: ['、', ', '], c2_paren: ['（{x}）', '({x})'],
  c2_approved_text: ['你（户）于 {date} 提出的社会救助申请，经家庭经济状况核对、入户调查、村（居）评议和乡镇（街道）审核，符合{category}条件，决定予以批准。', 'Your application of {date} was checked (economic checks, home visit, village review, township decision): the household qualifies for {category}. It is approved.'],
  c2_rejected_text: ['你（户）于 {date} 提出的社会救助申请，经家庭经济状况核对、入户调查、村（居）评议和乡镇（街道）审核，不符合救助条件，决定不予批准。', 'Your application of {date} was checked (economic checks, home visit, village review, township decision): the household does not qualify. It is refused.'],
  c2_review_text: ['经对你户享受社会救助情况的复核，决定如下。', 'The household\u2019s assistance was reviewed; the decision follows.'],
  c2_category: ['救助类别', 'Category'],
  c2_tier: ['保障类型', 'Tier'],
  c2_tier_core: ['基本生活保障', 'Core'],
  c2_tier_edge: ['低收入（边缘）家庭救助', 'Edge (low income)'],
  c2_tier_universal: ['普惠', 'Universal'],
  c2_monthly: ['月救助金额', 'Monthly amount'],
  c2_yuan: ['{y} 元', '{y} yuan'],
  c2_first_month: ['起始发放月份', 'Paid from'],
  c2_payee: ['发放账户', 'Paid into'],
  c2_decided_on: ['决定日期', 'Decided on'],
  c2_accepted_on: ['受理日期', 'Application taken in'],
  c2_reasons: ['理由', 'Reasons'],
  c2_no_reason: ['经审核，家庭收入、财产状况符合规定标准。', 'The household\u2019s income and assets meet the standard.'],
  c2_appeal_h: ['救济途径', 'How to appeal'],
  c2_appeal: ['如对本决定不服，可以自收到本决定书之日起六十日内向区（县）人民政府（行政区划代码 {district}）申请行政复议，也可以自收到本决定书之日起六个月内依法向人民法院提起行政诉讼。', 'If you disagree with this decision you may apply for administrative reconsideration to the district government (area code {district}) within 60 days of receiving it, or bring an administrative suit before the people\u2019s court within six months.'],
  c2_seal: ['（盖章）', '(seal)'],
  c2_not_decided: ['该申请尚未作出决定，暂不能出具决定书。', 'The case is not decided yet: there is no notice to print.'],
  c2_outcome: ['复核结果', 'Outcome'],
  c2_out_unchanged: ['维持不变', 'Unchanged'], c2_out_stays: ['继续享受', 'Continues'], c2_out_returns: ['恢复享受', 'Resumes'],
  c2_out_gradual_exit: ['渐退', 'Gradual exit'], c2_out_exit: ['停止享受', 'Ends'],
  c2_rr_income_above_edge: ['家庭月人均收入高于低收入家庭认定标准。', 'The monthly income per member is above the low-income line.'],
  c2_rr_assets_financial: ['家庭金融资产超过规定标准。', 'The household\u2019s financial assets are above the limit.'],
  c2_rr_assets_homes: ['家庭住房超过规定标准。', 'The household\u2019s housing is above the limit.'],
  c2_rr_assets_vehicles: ['家庭拥有的车辆不符合规定。', 'The household\u2019s vehicles are above the limit.'],
  c2_rr_assets_business: ['家庭经营性资产超过规定标准。', 'The household\u2019s business assets are above the limit.'],
  c2_rr_unclassified: ['不符合任一救助类别的认定条件。', 'The household meets no category\u2019s conditions.'],
});

export function noticeHref(id) {
  return `#/notice/${encodeURIComponent(id)}`;
}

// The steps whose reasons are the decision's (a filing's note is not).
const DECIDING = ['township_override', 'township_approved', 'township_rejected', 'district_rejected'];
const CATEGORY_WORD = { dibao: 'dibao', tekun: 'tekun', expenditure: 'expenditure_cat', low_income: 'low_income' };

function longDate(s) {
  if (!s) return '';
  const [y, m, d] = s.split('-');
  return getLang() === 'en' ? s : `${y}年${Number(m)}月${d ? `${Number(d)}日` : ''}`;
}

function categoryText(c) {
  return c ? t(CATEGORY_WORD[c] || c) : '';
}

// The register's entry of the application, and its first (decision)
// history row; null when not found (a refusal has none).
async function registerEntry(c) {
  let cursor = null;
  for (let i = 0; i < 5; i++) {
    const page = await call('GET', 'approval', `beneficiaries?village=${c.village_code}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    const b = page.items.find((x) => x.application_id === c.application_id);
    if (b) {
      const d = await call('GET', 'approval', `beneficiaries/${encodeURIComponent(b.beneficiary_id)}`);
      return { ...d, first: (d.history || []).find((h) => h.cause === 'decision') || null };
    }
    if (!page.next) return null;
    cursor = page.next;
  }
  return null;
}

async function loadNotice(id) {
  const c = await call('GET', 'approval', `cases/${encodeURIComponent(id)}`);
  const appId = c.application_id || c.case_id;
  const app = await call('GET', 'intake', `applications/${encodeURIComponent(appId)}`).catch(() => null);
  const awaiting = c.override && c.override.district_review;
  const decision = c.kind === 'review'
    ? (c.review_status === 'closed' && c.decision ? c.decision : null)
    : (app && app.decision) || (c.decision && !awaiting && c.stage !== 'TOWNSHIP_CONFIRM' ? c.decision : null);
  const approved = decision ? (c.stage === 'REJECTED' ? false : decision.approved) : false;
  const reg = decision && approved && c.kind !== 'review' ? await registerEntry(c).catch(() => null) : null;
  return { c, app, decision, approved, reg };
}

function Facts({ rows }) {
  return html`<dl class="notice-facts">${rows.filter(([, v]) => v !== null && v !== '' && v !== undefined).map(([k, v, id]) => html`<dt>${k}</dt><dd id=${id}>${v}</dd>`)}</dl>`;
}

export function NoticeScreen({ params }) {
  const id = (params && params[0]) || '';
  const [n, setN] = useState(null);
  const [err, setErr] = useState(null);
  useEffect(() => { loadNotice(id).then(setN, setErr); }, [id]);

  if (err) return html`<section><h1>${t('c2_notice')}</h1><${ErrorNote} err=${err} /></section>`;
  if (!n) return html`<section><h1>${t('c2_notice')}</h1><p>${t('loading')}</p></section>`;
  const { c, app, decision, approved, reg } = n;
  if (!decision) return html`<section><h1>${t('c2_notice')}</h1><p class="note" id="not-decided">${t('c2_not_decided')}</p></section>`;

  const a = (app && app.household ? app : c.application) || {};
  const members = a.members || [];
  const head = members[0] || {};
  const household = a.household || {};
  const review = c.kind === 'review';
  const out = c.review_outcome || {};
  const category = review ? out.category : (decision.category || c.category);
  const tier = review ? out.tier : ((app && app.decision && app.decision.tier) || c.tier);
  const amount = review ? out.amount_fen : reg && reg.first ? reg.first.new_amount_fen : reg ? reg.monthly_amount_fen : c.monthly_amount_fen;
  const firstMonth = review ? out.first_month : reg && reg.first ? reg.first.first_month : reg ? reg.from_month : '';
  const steps = (c.timeline || []).filter((e) => DECIDING.includes(e.action) && e.reason);
  const reasons = steps.map((e) => e.reason);
  if (!approved && c.rule_reason) reasons.unshift(t(`c2_rr_${c.rule_reason}`));
  if (approved && reasons.length === 0) reasons.push(t('c2_no_reason'));
  const decidedOn = dt(decision.decided_at).slice(0, 10);
  const payee = approved && !review && (a.payee || (reg && reg.payee));
  const accountTail = payee && payee.account_number ? `${payee.bank_code || ''} ****${String(payee.account_number).slice(-4)}` : '';

  return html`
    <section>
      <div class="bar noprint">
        <a href="#/mine">${t('c2_to_mine')}</a>
        <button type="button" id="print-notice" onClick=${() => print()}>${t('print')}</button>
      </div>
      <article class="notice" id="notice" aria-labelledby="notice-title">
        <header>
          <p class="notice-office">${t('c2_office')}</p>
          <h1 id="notice-title">${t(review ? 'c2_notice_title_review' : 'c2_notice_title_app')}</h1>
          <p class="notice-no">${t('c2_notice_no')}${t('c2_colon')}<code>${c.case_id.slice(0, 8).toUpperCase()}</code></p>
        </header>
        <p><strong>${t('c2_to')}${t('c2_colon')}${head.name || ''}</strong> ${t('c2_paren', { x: `${t('id_number')} ${head.id_number || ''}` })}</p>
        <${Facts} rows=${[
          [t('address'), household.address || ''],
          [t('members'), members.length ? `${t('c2_members_n', { n: members.length })}${t('c2_colon')}${members.map((m) => m.name).join(t('c2_list_sep'))}` : ''],
          [t('c2_accepted_on'), longDate(c.accepted_date)],
        ]} />
        <p class="notice-text" id="notice-text">${review ? t('c2_review_text') : t(approved ? 'c2_approved_text' : 'c2_rejected_text', { date: longDate(c.accepted_date), category: categoryText(category) })}</p>
        ${(approved || review) && html`<${Facts} rows=${[
          review ? [t('c2_outcome'), out.outcome ? t(`c2_out_${out.outcome}`) : ''] : null,
          [t('c2_category'), categoryText(category), 'notice-category'],
          [t('c2_tier'), tier ? t(`c2_tier_${tier}`) : ''],
          [t('c2_monthly'), amount === null || amount === undefined ? '' : t('c2_yuan', { y: fenToYuan(amount) }), 'notice-amount'],
          [t('c2_first_month'), longDate(firstMonth)],
          [t('c2_payee'), accountTail],
        ].filter(Boolean)} />`}
        <h2>${t('c2_reasons')}</h2>
        <ul class="notice-reasons">${reasons.map((r) => html`<li>${r}</li>`)}</ul>
        <h2>${t('c2_appeal_h')}</h2>
        <p>${t('c2_appeal', { district: c.district_code || household.district_code || '' })}</p>
        <footer class="notice-sign">
          <p>${t('c2_office')}</p>
          <p>${t('c2_office_code', { code: c.township_code || '' })}</p>
          <p>${t('c2_decided_on')}${t('c2_colon')}<span id="notice-date">${longDate(decidedOn)}</span></p>
          <p class="notice-seal">${t('c2_seal')}</p>
        </footer>
      </article>
    </section>`;
}
