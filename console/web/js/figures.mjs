// The supervisor's (and inspector's) figures: supervision's GET
// /statistics/district (the district's households, person-times and
// money, and the seed's sentences) and GET /statistics grouped by
// programme, category, township and month, as bar charts, over a range
// of district days (absent: from the first fact up to now).
import { useEffect, useState } from '../vendor/hooks.mjs';
import { call } from './api.mjs';
import { html } from './html.mjs';
import { addWords, t } from './i18n.mjs';
import { fenToYuan } from './money.mjs';
import { Bars, word } from './ovkit.mjs';
import { qs } from './paged.mjs';
import { ErrorNote } from './problems.mjs';

addWords({
  ov_figures: ['统计分析', 'Figures'],
  ov_figures_h: ['全区救助统计', 'The district\u2019s figures'],
  ov_from: ['起始日期', 'From'],
  ov_to: ['截止日期', 'To'],
  ov_show: ['查询', 'Show'],
  ov_households: ['户数', 'Households'],
  ov_person_times: ['人次', 'Person-times'],
  ov_amount: ['金额（元）', 'Amount (yuan)'],
  ov_measure: ['图表显示', 'Chart'],
  ov_emergency_line: ['临时救助', 'Emergency aid'],
  ov_by_programme: ['按救助项目', 'By programme'],
  ov_by_category: ['按救助类别', 'By category'],
  ov_by_township: ['按乡镇（街道）', 'By township'],
  ov_by_month: ['按月份', 'By month'],
  ov_no_category: ['未分类', 'None'],
  ov_range_all: ['全部期间', 'All time'],
  ov_p_dibao: ['最低生活保障', 'Minimum living allowance'],
  ov_p_tekun: ['特困人员供养', 'Extreme poverty support'],
  ov_p_low_income: ['低收入家庭', 'Low-income households'],
  ov_p_expenditure: ['支出型困难家庭', 'Expenditure hardship'],
  ov_p_emergency: ['临时救助', 'Emergency aid'],
  ov_p_price_subsidy: ['价格临时补贴', 'Price subsidy'],
  ov_p_special_assistance: ['专项救助', 'Special assistance'],
  ov_p_service_projects: ['服务类救助', 'Service projects'],
});

const MEASURES = [['person_times', 'ov_person_times'], ['households', 'ov_households'], ['amount_fen', 'ov_amount']];
const GROUPS = [['programme', 'ov_by_programme'], ['category', 'ov_by_category'], ['township', 'ov_by_township'], ['month', 'ov_by_month']];

function valueText(row, measure) {
  return measure === 'amount_fen' ? fenToYuan(row.amount_fen) : String(row[measure]);
}

function labelOf(dim, row) {
  const v = row[dim];
  if (dim === 'programme' || dim === 'category') return v ? word('ov_p_', v) : t('ov_no_category');
  return v || t('ov_no_category');
}

export function FiguresScreen() {
  const [range, setRange] = useState({ from: '', to: '' });
  const [asked, setAsked] = useState({ from: '', to: '' });
  const [measure, setMeasure] = useState('person_times');
  const [district, setDistrict] = useState(null);
  const [groups, setGroups] = useState({});
  const [err, setErr] = useState(null);

  useEffect(() => {
    let live = true;
    setErr(null);
    const q = qs(asked);
    Promise.all([
      call('GET', 'supervision', `statistics/district${q ? '?' + q : ''}`),
      ...GROUPS.map(([dim]) => call('GET', 'supervision', `statistics?${qs({ ...asked, by: dim })}`)),
    ]).then(([d, ...rest]) => {
      if (!live) return;
      setDistrict(d);
      const g = {};
      GROUPS.forEach(([dim], i) => {
        const rows = rest[i].rows.slice();
        if (dim === 'month' || dim === 'township') rows.sort((a, b) => (a[dim] < b[dim] ? -1 : a[dim] > b[dim] ? 1 : 0));
        g[dim] = rows;
      });
      setGroups(g);
    }).catch((p) => { if (live) setErr(p); });
    return () => { live = false; };
  }, [asked.from, asked.to]);

  function submit(e) {
    e.preventDefault();
    setAsked({ ...range });
  }

  return html`
    <section class="ov">
      <h1>${t('ov_figures_h')}</h1>
      <form class="card ov-filter" onSubmit=${submit}>
        <div class="field"><label for="ov-from">${t('ov_from')}</label>
          <input id="ov-from" type="date" value=${range.from} onInput=${(e) => setRange({ ...range, from: e.target.value })} /></div>
        <div class="field"><label for="ov-to">${t('ov_to')}</label>
          <input id="ov-to" type="date" value=${range.to} onInput=${(e) => setRange({ ...range, to: e.target.value })} /></div>
        <button type="submit" id="ov-show">${t('ov_show')}</button>
      </form>
      <${ErrorNote} err=${err} id="figures-error" />
      ${district && html`
        <div class="ov-totals" id="ov-totals">
          <p class="ov-sentence" id="ov-sentence">${district.sentence}</p>
          <dl class="ov-tiles">
            <div><dt>${t('ov_households')}</dt><dd id="ov-households">${district.households}</dd></div>
            <div><dt>${t('ov_person_times')}</dt><dd id="ov-person-times">${district.person_times}</dd></div>
            <div><dt>${t('ov_amount')}</dt><dd id="ov-amount">${district.amount_yuan}</dd></div>
            <div><dt>${t('ov_emergency_line')}</dt><dd id="ov-emergency">${district.emergency.sentence}</dd></div>
          </dl>
          <p class="note">${asked.from || asked.to ? `${asked.from || '…'} — ${asked.to || '…'}` : t('ov_range_all')}</p>
        </div>`}
      <fieldset class="ov-measure">
        <legend>${t('ov_measure')}</legend>
        ${MEASURES.map(([m, key]) => html`
          <label class="ov-radio"><input type="radio" name="ov-measure" value=${m} checked=${measure === m} onChange=${() => setMeasure(m)} /> ${t(key)}</label>`)}
      </fieldset>
      <div class="ov-charts">
        ${GROUPS.map(([dim, key]) => html`
          <${Bars} id=${`ov-chart-${dim}`} caption=${`${t(key)} · ${t(MEASURES.find((x) => x[0] === measure)[1])}`}
            rows=${(groups[dim] || []).map((r) => ({ label: labelOf(dim, r), value: r[measure], text: valueText(r, measure) }))} />`)}
      </div>
    </section>`;
}
