// The supervisor and the district administrator (last in STEPS, after
// the clerk). Through the API, an emergency grant to the clerk's
// applicant, so that the figures count the clerk's household. The
// supervisor (district 220103) sees the district's figures as
// supervision's GET /statistics/district gives them (the sentence and
// the households count on the screen, a chart bar for each of GET
// /statistics?by=programme's rows, the emergency bar the API's
// person-times), the alerts (as many rows as GET /alerts answers; the
// first, when there is one, closed with a note), finds the clerk's
// submission in the audit trail by the clerk's user name (POST
// /applications, subject the application), verifies the chain, follows
// the subject to the household's chain (受理申请 and 临时救助发放 on it),
// the grievances, and the figures on a 390-pixel screen. The
// administrator sees the users (the clerk among them), creates a user
// through the form, who then logs in, changes their village and disables
// them (the login then refused); and the policy screen (the versions GET
// /policy gives, a proposal of standards computed by approval), where a
// new version is added through the form (approval then has it, in fen).
// Last, an inspector sees the district's figures.
// Needs ctx.state.clerk and .applicationId; makes them through the API
// when the clerk's step has not run.
import { applicationByApi, until } from '../lib.mjs';

async function clerkApplication(ctx) {
  const made = await applicationByApi(ctx, {
    name: '李桂芳', birth: '19650412', seq: ctx.stamp % 1000, wages_fen: 50000, medical_fen: 10000, tag: 'ov', account: '6222020200199887766',
    what: '(no clerk step) an application is taken in through the API',
  });
  ctx.state.clerk = made.clerk;
  ctx.state.applicationId = made.applicationId;
  ctx.state.applicantByApi = { name: made.applicant.name, id_number: made.applicant.id_number };
}

// An emergency grant (临时救助) to the clerk's applicant through the API
// (finance funds the township's reserve, an emergency officer grants
// 1,500 yuan), so that the figures count something of the clerk's
// household: supervision joins the grant to the application's household
// by the applicant's identity number.
async function grantToApplicant(ctx) {
  const applicant = ctx.state.applicant || ctx.state.applicantByApi;
  const finance = await ctx.makeUser('finance', '220103', '财务');
  const officer = await ctx.makeUser('emergency_officer', '220103001', '临时救助经办');
  const fund = await ctx.api('POST', 'emergency/funds/220103001/allocations', { amount_fen: 100000000, note: 'console test' },
    await ctx.tokenOf(finance), `oversight-fund-${ctx.stamp}`);
  ctx.check(fund.status === 201, `finance funds the township's reserve through the API (${fund.status})`);
  const g = await ctx.api('POST', 'emergency/grants', {
    township_code: '220103001', village_code: '220103001001',
    person: { id_number: applicant.id_number, name: applicant.name }, cause: 'major_illness',
    description: '住院治疗', household_size: 1, amount_fen: 150000,
    payee: { bank_code: 'ICBC', account_number: '6222020200112233445', account_name: applicant.name },
  }, await ctx.tokenOf(officer), `oversight-grant-${ctx.stamp}`);
  ctx.check(g.status === 201, `an emergency grant of 1500.00 yuan to the applicant through the API (${g.status} ${JSON.stringify(g.body && (g.body.error || g.body.status))})`);
}

export default async function oversightStep(ctx) {
  const { page, check, shot, text } = ctx;
  if (!ctx.state.clerk || !ctx.state.applicationId) await clerkApplication(ctx);
  const { clerk, applicationId } = ctx.state;

  const sup = await ctx.makeUser('supervisor', '220103', '监督员');
  const supToken = await ctx.tokenOf(sup);
  await grantToApplicant(ctx);
  // supervision counts the grant once it has followed emergency's stream.
  const counted = await until(async () => {
    const r = await ctx.api('GET', 'supervision/statistics/district', undefined, supToken);
    return r.body && r.body.emergency && r.body.emergency.person_times > 0 ? r.body : null;
  });
  check(Boolean(counted), `supervision counts the grant (emergency: ${counted && counted.emergency.sentence})`);
  await ctx.loginAs(sup);
  const home = await text();
  check(['统计分析', '异常预警', '操作审计', '一户一链', '投诉举报'].every((w) => home.includes(w)), 'the supervisor\u2019s shell shows the oversight navigation');

  // The figures, as the API gives them.
  await page.click('nav a[href="#/figures"]');
  await page.waitForSelector('#ov-sentence, #figures-error', { timeout: 20000 });
  await page.waitForFunction(() => document.querySelectorAll('#ov-chart-programme li').length > 0, { timeout: 20000 }).catch(() => {});
  const district = await ctx.api('GET', 'supervision/statistics/district', undefined, supToken);
  const byProgramme = await ctx.api('GET', 'supervision/statistics?by=programme', undefined, supToken);
  const shown = await page.$eval('#ov-households', (e) => e.textContent).catch(() => null);
  check(district.status === 200 && shown === String(district.body.households),
    `the figures show the households supervision counts (${shown} on the screen, ${district.body && district.body.households} from the API)`);
  check(district.status === 200 && (await text()).includes(district.body.sentence), `the figures show the district's sentence (${district.body && district.body.sentence})`);
  const emergencyBar = await page.$$eval('#ov-chart-programme li', (l) => l.map((li) => li.innerText.replace(/\s+/g, ' ')).find((x) => x.startsWith('临时救助')) || '');
  const emergencyRow = byProgramme.body.rows.find((r) => r.programme === 'emergency');
  check(emergencyRow && emergencyRow.person_times > 0 && emergencyBar.endsWith(` ${emergencyRow.person_times}`),
    `the programme chart's emergency bar shows the API's person-times (${emergencyBar}; API ${emergencyRow && emergencyRow.person_times})`);
  const bars = await page.$$eval('#ov-chart-programme li', (l) => l.length);
  const charts = await page.$$eval('.ov-chart svg.ov-bar', (l) => l.length);
  check(byProgramme.status === 200 && bars === byProgramme.body.rows.length && bars === 8,
    `the programme chart has a bar for each of the API's rows (${bars} bars, ${byProgramme.body && byProgramme.body.rows.length} rows)`);
  check(charts >= bars && (await page.$$('.ov-chart')).length === 4, `four charts (programme, category, township, month), ${charts} bars in all`);
  await shot('supervisor-figures');

  // Alerts: the rows the API gives.
  await page.click('nav a[href="#/alerts"]');
  await page.waitForFunction(() => document.querySelector('#alerts') || document.body.innerText.includes('暂无记录'), { timeout: 20000 });
  const alerts = await ctx.api('GET', 'supervision/alerts?state=open&limit=50', undefined, supToken);
  const alertRows = await page.$$eval('#alerts tbody tr', (l) => l.length);
  check(alerts.status === 200 && alertRows === alerts.body.items.length, `the alerts list shows the open alerts the API gives (${alertRows} rows, ${alerts.body && alerts.body.items.length} from the API)`);
  await shot('supervisor-alerts');
  // The first open alert (when a rule raised one: fast_or_odd_hours does
  // for a step taken between 22:00 and 06:00 district time) is closed
  // through its page with a note.
  const first = alerts.body && alerts.body.items && alerts.body.items[0];
  if (first) {
    await page.click(`#alerts a[href="#/alert/${first.id}"]`);
    await page.waitForSelector('#alert-note', { timeout: 20000 });
    await page.type('#alert-note', '已核查：夜间录入系测试数据，无违规。');
    await page.click('#alert-note ~ button[type=submit]');
    await page.waitForFunction(() => (document.querySelector('#alert-state') || {}).textContent === '已关闭', { timeout: 20000 }).catch(() => {});
    const after = await ctx.api('GET', `supervision/alerts/${first.id}`, undefined, supToken);
    check(after.body && after.body.state === 'closed' && (await text()).includes('已关闭'), `an alert is closed with a note through its page (${after.body && after.body.state})`);
    await shot('supervisor-alert');
  } else {
    console.log('note no open alert to close in this run');
  }

  // The audit trail: supervision takes staff.acted from the bus, so wait
  // for the record through the API, then search for it on the screen.
  const rec = await until(async () => {
    const r = await ctx.api('GET', `supervision/audit?user=${clerk.username}`, undefined, supToken);
    return r.body && r.body.items && r.body.items.find((x) => x.route === '/applications' && x.subject === applicationId);
  });
  check(Boolean(rec), `supervision's audit trail holds the clerk's POST /applications (record ${rec && rec.n})`);
  await page.click('nav a[href="#/audit"]');
  await page.waitForSelector('#au-user');
  await page.type('#au-user', clerk.username);
  await page.click('#au-search');
  await page.waitForSelector('#audit, #audit-error', { timeout: 20000 });
  const audit = await text();
  check(audit.includes('POST /applications') && audit.includes(applicationId), 'the audit search finds the clerk\u2019s submission (POST /applications, the application\u2019s id)');
  await page.click('#au-verify');
  await page.waitForSelector('#au-verdict', { timeout: 20000 });
  check((await text()).includes('审计链完整'), 'the audit chain verifies intact from the screen');
  await shot('supervisor-audit');

  // The subject links to the household's chain.
  await page.click(`#audit a[href="#/household-chain/${applicationId}"]`);
  await page.waitForSelector('#chain, #chain-error', { timeout: 20000 });
  const chainText = await text();
  check(chainText.includes('受理申请') && chainText.includes('临时救助发放'), 'the household\u2019s chain shows the application taken in (受理申请) and the grant (临时救助发放)');
  await shot('supervisor-chain');

  await page.click('nav a[href="#/grievances"]');
  await page.waitForFunction(() => document.querySelector('#grievances') || document.body.innerText.includes('暂无记录'), { timeout: 20000 });
  await shot('supervisor-grievances');

  await ctx.phone();
  await page.click('nav a[href="#/figures"]');
  await page.waitForSelector('#ov-sentence', { timeout: 20000 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the figures fit a 390-pixel screen (overflow ${overflow}px)`);
  await shot('supervisor-figures-phone');
  await ctx.desktop();

  // The district administrator.
  const admin = { username: 'admin', password: process.env.SN_ADMIN_PASSWORD };
  await ctx.loginAs(admin);
  await page.click('nav a[href="#/users"]');
  await page.waitForSelector('#users', { timeout: 20000 });
  check((await text()).includes(clerk.username), 'the users list shows the clerk');
  await shot('admin-users');

  const made = { username: `ovclerk${ctx.stamp}`, password: 'a clerk\u2019s first password', role: 'clerk' };
  await page.type('#nu-username', made.username);
  await page.type('#nu-name', '新受理员');
  await page.select('#nu-role', 'clerk');
  await page.click('#nu-juris', { clickCount: 3 });
  await page.type('#nu-juris', '220103001');
  await page.type('#nu-idn', ctx.idnum('19920715', ctx.stamp % 1000, '220103'));
  await page.type('#nu-password', made.password);
  await page.click('#nu-submit');
  await page.waitForSelector('#nu-done, #nu-error', { timeout: 20000 });
  const createdText = await text();
  check(createdText.includes(`已创建用户 ${made.username}`), `a user is created through the screen (${(createdText.match(/已创建用户[^\n]*|[^\n]*(不正确|太弱|已有账号|未能完成)[^\n]*/) || [''])[0]})`);
  await page.waitForFunction((u) => document.querySelector('#users') && document.querySelector('#users').innerText.includes(u), { timeout: 20000 }, made.username).catch(() => {});
  check((await page.$eval('#users', (e) => e.innerText).catch(() => '')).includes(made.username), 'the new user is in the list');
  await shot('admin-user-created');

  await ctx.loginAs(made);
  check((await text()).includes('受理申请'), 'the user made through the screen logs in and sees the clerk\u2019s screens');

  // The administrator opens the user, moves them to another village and
  // disables the account: the change is recorded and the login refused.
  await ctx.loginAs(admin);
  await page.click('nav a[href="#/users"]');
  await page.waitForSelector('#users', { timeout: 20000 });
  await page.evaluate((u) => { const a = [...document.querySelectorAll('#users a')].find((x) => x.textContent === u); if (a) a.click(); }, made.username);
  await page.waitForSelector('#edit-user', { timeout: 20000 });
  await page.click('#eu-juris', { clickCount: 3 });
  await page.type('#eu-juris', '220103001002');
  await page.click('#eu-save');
  await page.waitForSelector('#eu-saved, #eu-error', { timeout: 20000 });
  await page.waitForFunction(() => (document.querySelector('#user-changes') || {}).innerText?.includes('220103001002'), { timeout: 20000 }).catch(() => {});
  check((await text()).includes('220103001002'), 'the jurisdiction is changed through the screen and shows in the user\u2019s changes');
  await page.click('#eu-disable');
  await page.waitForFunction(() => (document.querySelector('#us-state') || {}).textContent === '已停用', { timeout: 20000 }).catch(() => {});
  check((await page.$eval('#us-state', (e) => e.textContent)) === '已停用', 'the account is disabled through the screen');
  await shot('admin-user');
  const refused = await ctx.api('POST', 'identity/login', { username: made.username, password: made.password });
  check(refused.status !== 200, `the disabled user's login is refused (${refused.status} ${refused.body && refused.body.error && refused.body.error.code})`);

  await page.click('nav a[href="#/policy"]');
  await page.waitForSelector('#policy-now, .error', { timeout: 20000 });
  const policy = await ctx.api('GET', 'approval/policy', undefined, ctx.adminToken);
  const versionRows = await page.$$eval('#policy-versions tbody tr', (l) => l.length);
  check(policy.status === 200 && versionRows === (policy.body.versions || []).length,
    `the policy screen lists the versions approval gives (${versionRows} rows, ${policy.body && (policy.body.versions || []).length} from the API, in force ${policy.body && policy.body.in_force})`);
  await page.type('#sp-consumption', '2500');
  await page.type('#sp-share', '330');
  await page.click('#sp-submit');
  await page.waitForSelector('#sp-result, #sp-error', { timeout: 20000 });
  const prop = await ctx.api('POST', 'approval/standards/proposal', { consumption_fen: 250000, share_permille: 330 }, ctx.adminToken);
  const propText = await page.$eval('#sp-result, #sp-error', (e) => e.textContent);
  check(prop.status === 200 && propText.includes(`城市 ${(prop.body.urban_min_fen / 100).toFixed(2)} 元`),
    `the proposal shows approval's urban standard (${propText.trim()})`);
  await shot('admin-policy');

  // A new policy version through the form: prefilled from the version in
  // force, both minimum standards raised by 20 yuan, in force from the
  // first of the month after next (after the district's today whatever
  // the hour).
  const base = (policy.body.versions || []).find((v) => v.version === policy.body.in_force);
  const d = new Date();
  const ahead = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 2, 1));
  const from = ahead.toISOString().slice(0, 10);
  const name = `c${ctx.stamp}`;
  await page.waitForSelector('#pv-version');
  check((await page.$eval('#pv-urban_min_fen', (e) => e.value)) === (base.urban_min_fen / 100).toFixed(2),
    'the new version’s form starts from the version in force');
  const setField = async (sel, value) => page.$eval(sel, (e, v) => {
    e.value = v;
    e.dispatchEvent(new Event('input', { bubbles: true }));
  }, value);
  await setField('#pv-version', name);
  await setField('#pv-effective', from);
  await setField('#pv-urban_min_fen', ((base.urban_min_fen + 2000) / 100).toFixed(2));
  await setField('#pv-rural_min_fen', ((base.rural_min_fen + 2000) / 100).toFixed(2));
  await page.click('#pv-submit');
  await page.waitForSelector('#pv-added, #pv-error', { timeout: 20000 });
  const added = await page.$eval('#pv-added, #pv-error', (e) => e.textContent);
  const after = await ctx.api('GET', 'approval/policy', undefined, ctx.adminToken);
  const v = (after.body.versions || []).find((x) => x.version === name);
  check(Boolean(v) && v.effective_from === from && v.urban_min_fen === base.urban_min_fen + 2000 && v.rural_min_fen === base.rural_min_fen + 2000 && v.care_unable_fen === base.care_unable_fen,
    `the version added through the form is approval's, in fen (${added.trim()})`);
  const want = (after.body.versions || []).length;
  const listed = await page.waitForFunction((n, nm) => {
    const rows = [...document.querySelectorAll('#policy-versions tbody tr')];
    return rows.length === n && rows.some((r) => r.innerText.includes(nm));
  }, { timeout: 20000 }, want, name).then(() => true, () => false);
  check(listed, `the versions list shows the new version among ${want}`);
  await shot('admin-policy-version');
  // The inspector reads what the supervisor reads.
  const inspector = await ctx.makeUser('inspector', '220103', '纪检监察员');
  await ctx.loginAs(inspector);
  await page.click('nav a[href="#/figures"]');
  await page.waitForFunction(() => {
    const m = document.querySelector('main');
    return m && /救助\d+户/.test(m.innerText);
  }, { timeout: 20000 });
  const insText = await ctx.text();
  check(insText.includes('纪检监察员') && insText.includes('操作审计'), 'the inspector sees the district’s figures and the oversight navigation');
  await shot('inspector-figures');
}
