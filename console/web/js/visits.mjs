// The investigator's day (issue 17), made for a phone: "my visits"
// (investigation's GET /tasks of a village, or of the township, grouped
// by village) and the home-visit report (GET /tasks/{id}, POST
// /tasks/{id}/report with an Idempotency-Key). The report is made by two
// investigators: the user (their user name and identity number from the
// token) and the colleague they visited with.
import { useEffect, useState } from '../vendor/hooks.mjs';
import { call, newKey } from './api.mjs';
import { today } from './apply.mjs';
import { html } from './html.mjs';
import { addWords, t } from './i18n.mjs';
import { idnumState } from './idnum.mjs';
import { fenToYuan } from './money.mjs';
import { ErrorNote } from './problems.mjs';

addWords({
  vis_title: ['我的入户调查', 'My visits'],
  vis_area: ['村（社区）或乡镇代码', 'Village or township code'],
  vis_area_hint: ['12 位为村（社区），9 位为乡镇（街道）', '12 digits: a village; 9: a township'],
  vis_show: ['查询', 'Show'],
  vis_status: ['任务状态', 'Task status'],
  vis_st_open: ['待调查', 'To visit'],
  vis_st_closed: ['已报告', 'Reported'],
  vis_st_cancelled: ['已取消', 'Cancelled'],
  vis_st_all: ['全部', 'All'],
  vis_village_n: ['村（社区）{code} · {n} 户', 'Village {code} · {n} households'],
  vis_members_n: ['{n} 人', '{n} people'],
  vis_kind_application: ['新申请', 'New application'],
  vis_kind_review: ['复核', 'Review'],
  vis_days_left: ['剩 {n} 天', '{n} days left'],
  vis_overdue: ['已超期 {n} 天', 'Overdue by {n} days'],
  vis_report_it: ['填写调查报告', 'Report the visit'],
  vis_see_report: ['查看报告', 'See the report'],
  vis_report_title: ['入户调查报告', 'Home-visit report'],
  vis_declared: ['申报月收入 {i} 元，刚性支出 {e} 元', 'Declared income {i} yuan, rigid expenditure {e} yuan a month'],
  vis_investigators: ['调查人员（两人）', 'Investigators (two)'],
  vis_me: ['本人', 'Me'],
  vis_my_id: ['本人身份证号码', 'My identity number'],
  vis_partner_user: ['同行调查员用户名', 'Colleague\u2019s user name'],
  vis_partner_id: ['同行调查员身份证号码', 'Colleague\u2019s identity number'],
  vis_date: ['调查日期', 'Visit date'],
  vis_presence: ['家庭成员是否在场', 'Members present'],
  vis_present: ['在场', 'present'],
  vis_living: ['生活状况', 'Living conditions'],
  vis_housing: ['住房状况', 'Housing'],
  vis_contradictions: ['发现的矛盾（每行一条，可不填）', 'Contradictions found (one a line, optional)'],
  vis_recommendation: ['调查意见', 'Recommendation'],
  vis_rec_approve: ['建议批准', 'Approve'],
  vis_rec_reject: ['建议不予批准', 'Refuse'],
  vis_rec_further_review: ['建议进一步核查', 'Look further'],
  vis_submit: ['提交调查报告', 'Submit the report'],
  vis_done: ['调查报告已提交，任务已完成。', 'The report is in; the task is closed.'],
  vis_closed: ['该任务已有调查报告。', 'This task has its report.'],
  vis_cancelled: ['申请已撤回，该任务已取消：{why}', 'The application was withdrawn; the task is cancelled: {why}'],
  vis_back: ['返回我的入户调查', 'Back to my visits'],
  vis_required: ['请填写标红的项目。', 'Fill in the fields marked.'],
});

function daysTo(date) {
  if (!date) return null;
  return Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${today()}T00:00:00Z`)) / 86400000);
}

function Due({ task }) {
  const n = daysTo(task.deadline_date);
  if (n === null || task.status !== 'open') return null;
  return n < 0
    ? html`<span class="cw-clock cw-overdue">${t('vis_overdue', { n: -n })}</span>`
    : html`<span class=${`cw-clock${n <= 3 ? ' cw-soon' : ''}`}>${t('vis_days_left', { n })}</span>`;
}

export function VisitsScreen({ user }) {
  const j = user.juris || '';
  const [area, setArea] = useState(j.length === 12 || j.length === 9 ? j : '');
  const [shown, setShown] = useState(area);
  const [status, setStatus] = useState('open');
  const [items, setItems] = useState(null);
  const [next, setNext] = useState(null);
  const [err, setErr] = useState(null);
  async function load(after) {
    setErr(null);
    if (!/^([0-9]{9}|[0-9]{12})$/.test(shown)) { setItems([]); return; }
    const q = `${shown.length === 12 ? 'village' : 'township'}=${shown}&status=${status}&limit=50${after ? `&cursor=${encodeURIComponent(after)}` : ''}`;
    try {
      const page = await call('GET', 'investigation', `tasks?${q}`);
      setItems((old) => (after && old ? old.concat(page.items) : page.items));
      setNext(page.next);
    } catch (p) {
      setErr(p);
      setItems([]);
    }
  }
  useEffect(() => { setItems(null); load(null); }, [shown, status]);
  const groups = new Map();
  for (const task of items || []) {
    const v = (task.household && task.household.village_code) || '';
    if (!groups.has(v)) groups.set(v, []);
    groups.get(v).push(task);
  }
  return html`
    <section>
      <h1>${t('vis_title')}</h1>
      <form class="vis-filter" onSubmit=${(e) => { e.preventDefault(); setShown(area.trim()); }}>
        <div class="field">
          <label for="vis-area">${t('vis_area')}</label>
          <input id="vis-area" inputmode="numeric" maxlength="12" value=${area} aria-describedby="vis-area-note" onInput=${(e) => setArea(e.target.value)} />
          <small class="note" id="vis-area-note">${t('vis_area_hint')}</small>
        </div>
        <div class="field">
          <label for="vis-status">${t('vis_status')}</label>
          <select id="vis-status" value=${status} onChange=${(e) => setStatus(e.target.value)}>
            ${['open', 'closed', 'cancelled', 'all'].map((s) => html`<option value=${s}>${t('vis_st_' + s)}</option>`)}
          </select>
        </div>
        <button type="submit">${t('vis_show')}</button>
      </form>
      <${ErrorNote} err=${err} id="visits-error" />
      ${items === null && html`<p>${t('loading')}</p>`}
      ${items && items.length === 0 && !err && html`<p id="visits-empty">${t('empty_list')}</p>`}
      ${[...groups.entries()].map(([v, tasks]) => html`
        <section class="vis-group">
          <h2>${t('vis_village_n', { code: v, n: tasks.length })}</h2>
          <ul class="vis-cards">
            ${tasks.map((task) => {
              const m = task.members || [];
              return html`<li class="card vis-card" data-task=${task.id} data-application=${task.application_id}>
                <div class="vis-line"><strong>${(m[0] && m[0].name) || ''}</strong> <span>${t('vis_members_n', { n: m.length })}</span> <span class=${`status vis-st-${task.status}`}>${t('vis_st_' + task.status)}</span></div>
                <div>${task.household && task.household.address}</div>
                <div class="vis-line"><span>${t('vis_kind_' + task.kind)}</span> <span>${t('deadline_date')} ${task.deadline_date || ''}</span> <${Due} task=${task} /></div>
                <a class="button vis-go" href=${`#/visit/${task.id}`}>${task.status === 'open' ? t('vis_report_it') : t('vis_see_report')}</a>
              </li>`;
            })}
          </ul>
        </section>`)}
      ${next && html`<button type="button" onClick=${() => load(next)}>${t('more')}</button>`}
    </section>`;
}

function Report({ r, members }) {
  const names = {};
  for (const m of members || []) names[m.id_number] = m.name;
  return html`
    <dl class="facts" id="vis-report">
      <dt>${t('vis_date')}</dt><dd>${r.visit_date}</dd>
      <dt>${t('vis_investigators')}</dt><dd>${(r.investigators || []).map((x) => x.user_id || x).join('、')}</dd>
      <dt>${t('vis_presence')}</dt><dd>${(r.members || []).map((m) => `${names[m.id_number] || m.id_number}${m.present ? '✓' : '✗'}`).join('；')}</dd>
      <dt>${t('vis_living')}</dt><dd class="cw-text">${r.living_conditions}</dd>
      <dt>${t('vis_housing')}</dt><dd class="cw-text">${r.housing_condition}</dd>
      <dt>${t('vis_recommendation')}</dt><dd>${t('vis_rec_' + r.recommendation)}</dd>
    </dl>`;
}

export function VisitReportScreen({ user, params }) {
  const id = params[0] || '';
  const [task, setTask] = useState(null);
  const [loadErr, setLoadErr] = useState(null);
  const [f, setF] = useState({ myId: user.idn || '', partner: '', partnerId: '', date: today(), present: {}, living: '', housing: '', contra: '', rec: 'approve' });
  const [key, setKey] = useState(newKey);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState(null);
  const [tried, setTried] = useState(false);
  const [done, setDone] = useState(false);
  useEffect(() => {
    call('GET', 'investigation', `tasks/${encodeURIComponent(id)}`).then((x) => {
      setTask(x);
      // The district's day may be ahead of the browser's (UTC+8): never
      // before the acceptance.
      const first = x.visit_not_before && x.visit_not_before > today() ? x.visit_not_before : today();
      setF((o) => ({ ...o, date: first, present: Object.fromEntries((x.members || []).map((m) => [m.id_number, true])) }));
    }, setLoadErr);
  }, [id]);
  const set = (k, v) => setF((o) => ({ ...o, [k]: v }));
  if (loadErr) return html`<section><h1>${t('vis_report_title')}</h1><${ErrorNote} err=${loadErr} id="visit-error" /><p><a href="#/visits">${t('vis_back')}</a></p></section>`;
  if (!task) return html`<section><h1>${t('vis_report_title')}</h1><p>${t('loading')}</p></section>`;

  const members = task.members || [];
  const inc = (task.declared && task.declared.income) || {};
  const exp = (task.declared && task.declared.expenditure) || {};
  const sum = (o) => Object.values(o).reduce((a, b) => a + (Number(b) || 0), 0);
  const bad = {
    myId: idnumState(f.myId) !== 'ok',
    partner: !f.partner.trim() || f.partner.trim() === user.sub,
    partnerId: idnumState(f.partnerId) !== 'ok',
    living: !f.living.trim(),
    housing: !f.housing.trim(),
    date: !f.date,
  };
  const mark = (k) => (tried && bad[k] ? ' invalid' : '');

  async function submit(e) {
    e.preventDefault();
    setTried(true);
    setErr(null);
    if (Object.values(bad).some(Boolean)) { setErr({ code: 'vis_required' }); return; }
    const body = {
      investigators: [{ user_id: user.sub, id_number: f.myId.trim() }, { user_id: f.partner.trim(), id_number: f.partnerId.trim() }],
      visit_date: f.date,
      members: members.map((m) => ({ id_number: m.id_number, present: Boolean(f.present[m.id_number]) })),
      living_conditions: f.living.trim(),
      housing_condition: f.housing.trim(),
      recommendation: f.rec,
    };
    const contra = f.contra.split('\n').map((s) => s.trim()).filter(Boolean);
    if (contra.length) body.contradictions = contra;
    setBusy(true);
    try {
      const r = await call('POST', 'investigation', `tasks/${encodeURIComponent(id)}/report`, body, key);
      setTask(r);
      setKey(newKey());
      setDone(true);
    } catch (p) {
      setErr(p);
    }
    setBusy(false);
  }

  return html`
    <section class="vis-report">
      <h1>${t('vis_report_title')}</h1>
      <div class="card">
        <div class="vis-line"><strong>${(members[0] && members[0].name) || ''}</strong> <span>${t('vis_kind_' + task.kind)}</span> <${Due} task=${task} /></div>
        <div>${task.household && task.household.address} · ${task.household && task.household.village_code}</div>
        ${task.declared && html`<div class="note">${t('vis_declared', { i: fenToYuan(sum(inc)), e: fenToYuan(sum(exp)) })}</div>`}
      </div>
      ${done && html`<p class="ok" role="status" id="vis-done">${t('vis_done')}</p>`}
      ${task.status === 'cancelled' && html`<p class="error" role="alert">${t('vis_cancelled', { why: task.cancel_reason || '' })}</p>`}
      ${task.status === 'closed' && html`${!done && html`<p>${t('vis_closed')}</p>`}${task.report && html`<${Report} r=${task.report} members=${members} />`}`}
      ${task.status === 'open' && html`
        <form onSubmit=${submit} novalidate id="vis-form">
          <fieldset>
            <legend>${t('vis_investigators')}</legend>
            <dl class="facts"><dt>${t('vis_me')}</dt><dd>${user.sub}</dd></dl>
            ${!user.idn && html`
              <div class=${`field${mark('myId')}`}>
                <label for="vis-my-id">${t('vis_my_id')}</label>
                <input id="vis-my-id" maxlength="18" autocomplete="off" value=${f.myId} onInput=${(e) => set('myId', e.target.value.toUpperCase())} />
              </div>`}
            <div class=${`field${mark('partner')}`}>
              <label for="vis-partner">${t('vis_partner_user')}</label>
              <input id="vis-partner" autocomplete="off" autocapitalize="none" spellcheck="false" value=${f.partner} onInput=${(e) => set('partner', e.target.value)} />
            </div>
            <div class=${`field${mark('partnerId')}`}>
              <label for="vis-partner-id">${t('vis_partner_id')}</label>
              <input id="vis-partner-id" maxlength="18" autocomplete="off" spellcheck="false" aria-describedby="vis-partner-id-note" value=${f.partnerId} onInput=${(e) => set('partnerId', e.target.value.toUpperCase())} />
              <small class="note" id="vis-partner-id-note" aria-live="polite">${t(`idn_${idnumState(f.partnerId)}`, { n: f.partnerId.trim().length })}</small>
            </div>
          </fieldset>
          <fieldset>
            <legend>${t('vis_presence')}</legend>
            <div class=${`field${mark('date')}`}>
              <label for="vis-date">${t('vis_date')}</label>
              <input id="vis-date" type="date" min=${task.visit_not_before || ''} max=${task.visit_not_before && task.visit_not_before > today() ? task.visit_not_before : today()} value=${f.date} onInput=${(e) => set('date', e.target.value)} />
            </div>
            ${members.map((m, i) => html`
              <div class="check vis-member">
                <input type="checkbox" id=${`vis-present-${i}`} checked=${Boolean(f.present[m.id_number])}
                  onChange=${(e) => setF((o) => ({ ...o, present: { ...o.present, [m.id_number]: e.target.checked } }))} />
                <label for=${`vis-present-${i}`}>${m.name}（${t(m.relation || 'other')}）${t('vis_present')}</label>
              </div>`)}
          </fieldset>
          <fieldset>
            <legend>${t('vis_living')}</legend>
            <div class=${`field${mark('living')}`}>
              <label for="vis-living">${t('vis_living')}</label>
              <textarea id="vis-living" rows="4" value=${f.living} onInput=${(e) => set('living', e.target.value)}></textarea>
            </div>
            <div class=${`field${mark('housing')}`}>
              <label for="vis-housing">${t('vis_housing')}</label>
              <textarea id="vis-housing" rows="3" value=${f.housing} onInput=${(e) => set('housing', e.target.value)}></textarea>
            </div>
            <div class="field">
              <label for="vis-contra">${t('vis_contradictions')}</label>
              <textarea id="vis-contra" rows="3" value=${f.contra} onInput=${(e) => set('contra', e.target.value)}></textarea>
            </div>
            <div class="field">
              <label for="vis-rec">${t('vis_recommendation')}</label>
              <select id="vis-rec" value=${f.rec} onChange=${(e) => set('rec', e.target.value)}>
                ${['approve', 'reject', 'further_review'].map((r) => html`<option value=${r}>${t('vis_rec_' + r)}</option>`)}
              </select>
            </div>
          </fieldset>
          <${ErrorNote} err=${err} id="vis-error" own="vis_required" />
          <button type="submit" id="vis-submit" disabled=${busy}>${t('vis_submit')}</button>
        </form>`}
      <p><a href="#/visits">${t('vis_back')}</a></p>
    </section>`;
}
