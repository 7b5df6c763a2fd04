// Casework, after the clerk: the clerk's application (ctx.state.
// applicationId, or one taken in here through the API when the clerk's
// step did not run) is visited and decided at the console.
//  - An investigator of the village, on a 390-pixel phone: "my visits"
//    lists the task under its village; the report form fits the screen
//    (no horizontal overflow, touch targets of 44 px) and is filled and
//    submitted with a colleague as the second investigator.
//  - The village reviewer, the township officer and the district officer
//    (1280 px), each a new user: the case is in their queue with the
//    15-day clock; the case page shows the agency facts with the
//    discrepancies, the visit report, the computed category and amount
//    and the timeline; each decides with a reason (the township officer's
//    confirmation without ticking the discrepancies is refused in words
//    first). The case ends FILED and approved (checked through the API).
//  - A reviewer of another village (220103001002): the case is not in
//    their queue, and #/case/<id> shows the refusal in words.
// Leaves ctx.state.caseId and ctx.state.decided = true.
import { applicationByApi, claimsOf, until } from '../lib.mjs';

const VILLAGE = '220103001001';
const OTHER_VILLAGE = '220103001002';

// fn() until it gives something truthy, or the step stops (throws)
// after ms.
async function need(what, fn, ms = 60000) {
  const v = await until(fn, ms);
  if (!v) throw new Error(`casework: timed out waiting for ${what}`);
  return v;
}

// The precondition when the clerk's step has not run: one application
// taken in through intake's API by a clerk of the township.
async function takeIn(ctx) {
  const made = await applicationByApi(ctx, {
    name: '赵桂芝', birth: '19700305', seq: 77, wages_fen: 60050, medical_fen: 20000, tag: 'cw', account: '6222020200112233446',
    what: `casework's own application is taken in through the API`,
  });
  ctx.state.clerk = made.clerk;
  ctx.state.applicant = made.applicant;
  return made.applicationId;
}

// Whether main fits the width, and how many touch targets are smaller
// than 44 px (checkboxes aside: their labels are the targets).
async function fits(page) {
  return page.evaluate(() => {
    const small = [...document.querySelectorAll('main button, main a.button, main input:not([type=checkbox]), main select, main textarea')]
      .filter((e) => e.offsetParent !== null && e.getBoundingClientRect().height < 44).length;
    return { overflow: document.documentElement.scrollWidth - window.innerWidth, small };
  });
}

// 404s the page answers on purpose (the refused case): not script errors.
function forgetExpected404(ctx, from) {
  const rest = ctx.consoleErrors.slice(from).filter((e) => !/404/.test(e));
  ctx.consoleErrors.splice(from, ctx.consoleErrors.length - from, ...rest);
}

async function openCaseFromQueue(ctx, appId) {
  const { page } = ctx;
  await page.click('nav a[href="#/queue"]');
  await page.waitForSelector(`tr[data-case="${appId}"], #queue-empty, #queue-error`, { timeout: 20000 });
  const row = await page.$(`tr[data-case="${appId}"]`);
  return row;
}

export default async function caseworkStep(ctx) {
  const { page, check, shot, text } = ctx;
  const appId = ctx.state.applicationId || (await takeIn(ctx));
  if (!check(Boolean(appId), 'there is an application to work on')) return;

  // The investigator and the colleague who visits with them.
  const inv = await ctx.makeUser('investigator', VILLAGE, '入户调查员');
  const partner = await ctx.makeUser('investigator', VILLAGE, '入户调查员');
  const partnerClaims = claimsOf(await ctx.tokenOf(partner));
  const invToken = await ctx.tokenOf(inv);
  await need('the home-visit task', async () => {
    const r = await ctx.api('GET', `investigation/tasks?village=${VILLAGE}&status=all&limit=100`, undefined, invToken);
    return r.body && r.body.items && r.body.items.find((x) => x.application_id === appId);
  });

  await ctx.phone();
  await ctx.loginAs(inv);
  await page.click('nav a[href="#/visits"]');
  await page.waitForSelector(`li[data-application="${appId}"]`, { timeout: 20000 });
  const visits = await text();
  check(visits.includes(`村（社区）${VILLAGE}`) && visits.includes('填写调查报告'), '"my visits" lists the task under its village, to be reported');
  let f = await fits(page);
  check(f.overflow <= 0, `"my visits" fits a 390-pixel screen (overflow ${f.overflow}px)`);
  await shot('investigator-visits');

  await page.click(`li[data-application="${appId}"] a.vis-go`);
  await page.waitForSelector('#vis-form');
  await page.type('#vis-partner', partner.username);
  await page.type('#vis-partner-id', partnerClaims.idn);
  check((await page.$eval('#vis-partner-id-note', (e) => e.textContent)).includes('校验通过'), 'the colleague\u2019s identity number checks out as it is typed');
  await page.type('#vis-living', '申请人独居，患慢性病，靠零工收入维持生活。');
  await page.type('#vis-housing', '自有平房一间，约 30 平方米，家具简陋。');
  f = await fits(page);
  check(f.overflow <= 0 && f.small === 0, `the report form fits a 390-pixel screen (overflow ${f.overflow}px, ${f.small} targets under 44 px)`);
  await shot('investigator-report');
  await page.click('#vis-submit');
  await page.waitForSelector('#vis-done, #vis-error', { timeout: 20000 });
  const reported = await page.$eval('#vis-done, #vis-error', (e) => e.textContent);
  check(reported.includes('调查报告已提交'), `the visit is reported at 390 px (${reported})`);
  await shot('investigator-reported');
  await ctx.desktop();

  // The three decisions, each by a new user of the right jurisdiction.
  const deciders = [
    ['village_reviewer', VILLAGE, '村（居）评议员', 'VILLAGE_REVIEW', '经村民代表评议，情况属实，同意上报。'],
    ['township_officer', '220103001', '乡镇审核员', 'TOWNSHIP_CONFIRM', '核查差异为零工收入未入人社系统，已核实，同意。'],
    ['district_officer', '220103', '区县审批员', 'DISTRICT_FILING', '同意备案。'],
  ];
  let token = null;
  for (const [role, juris, display, stage, reason] of deciders) {
    const user = await ctx.makeUser(role, juris, display);
    token = await ctx.tokenOf(user);
    await need(`the case at ${stage}`, async () => {
      const r = await ctx.api('GET', `approval/cases/${appId}`, undefined, token);
      return r.body && r.body.stage === stage;
    });
    await ctx.loginAs(user);
    const row = await openCaseFromQueue(ctx, appId);
    check(Boolean(row), `the ${role}'s queue has the case`);
    if (!row) continue;
    // The clock runs until the township's decision; the district sees it stopped.
    const clock = await page.$eval(`tr[data-case="${appId}"] .cw-clock`, (e) => e.textContent);
    const running = role !== 'district_officer';
    check(running ? /剩 \d+ 天|今天到期|已超期/.test(clock) : clock === '已停止计时', `the ${role}'s queue shows the 15-day clock ("${clock}")`);
    if (role === 'village_reviewer') await shot('village_reviewer-queue');
    await page.click(`tr[data-case="${appId}"] a.cw-open`);
    await page.waitForSelector('#cw-submit', { timeout: 20000 });
    const pageText = await text();
    check(pageText.includes('部门核查结果') && (await page.$('#cw-discrepancies')) !== null, `the ${role}'s case page shows the agency facts with the discrepancies`);
    check(pageText.includes('申请人独居'), `the ${role}'s case page shows the visit report`);
    const category = await page.$eval('#cw-category', (e) => e.textContent);
    const amount = await page.$eval('#cw-amount', (e) => e.textContent);
    check(category.length > 0 && /\d+\.\d\d 元\/月/.test(amount), `the ${role}'s case page shows the computed category and amount (${category}, ${amount})`);
    check(pageText.includes('受理立案'), `the ${role}'s case page shows the timeline`);
    await shot(`${role}-case`);
    await page.type('#cw-reason', reason);
    if (role === 'township_officer') {
      await page.click('#cw-submit');
      await page.waitForSelector('#cw-decide-error');
      check((await page.$eval('#cw-decide-error', (e) => e.textContent)).includes('请先阅读'), 'a confirmation without the discrepancies read is refused in words');
      await page.click('#cw-seen');
      // The rules may put the household in no category (the clerk's
      // applicant has financial assets above the limit at agency-sim):
      // the officer approves it as an override (a category, a reason
      // code from the policy, a note), which the district then reviews.
      if (await page.$('#cw-override-code')) {
        await page.select('#cw-category-choice', 'dibao');
        await page.waitForSelector('#cw-override-code option:nth-child(2)');
        const code = await page.$eval('#cw-override-code option:nth-child(2)', (e) => e.value);
        await page.select('#cw-override-code', code);
        await page.type('#cw-override-note', '申请人患重病，医疗支出未计入，存款将用于治疗。');
        ctx.state.override = code;
      }
    }
    await page.click('#cw-submit');
    await page.waitForSelector('#cw-decided, #cw-decide-error', { timeout: 20000 });
    const after = await page.$eval('#cw-decided, #cw-decide-error', (e) => e.textContent);
    check(after.includes('已提交'), `the ${role} decides${role === 'township_officer' && ctx.state.override ? ' (an override: ' + ctx.state.override + ')' : ''} (${after})`);
  }
  const end = await ctx.api('GET', `approval/cases/${appId}`, undefined, token);
  const c = end.body || {};
  check(c.stage === 'FILED' && c.decision && c.decision.approved === true, `the case ends approved and filed (${c.stage}, approved ${c.decision && c.decision.approved})`);
  await shot('district_officer-filed');
  // The filed case's page links its decision notice.
  await page.goto(`${ctx.url}/#/case/${encodeURIComponent(appId)}`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#cw-notice', { timeout: 20000 });
  await page.click('#cw-notice');
  await page.waitForSelector('#notice-title', { timeout: 20000 });
  check((await page.$eval('#notice-title', (e) => e.textContent)).includes('决定书'), 'the filed case’s page opens its decision notice (决定书)');
  await page.click('nav a[href="#/reviews"]');
  await page.waitForFunction(() => {
    const m = document.querySelector('main');
    return m && m.innerText.includes('定期复核') && !m.innerText.includes('正在加载');
  }, { timeout: 20000 });
  check((await page.$('#reviews-error')) === null, 'the district officer\u2019s reviews open without a refusal');
  await shot('district_officer-reviews');
  ctx.state.caseId = appId;
  ctx.state.decided = c.stage === 'FILED';

  // Another village's reviewer sees neither the case nor its page.
  const other = await ctx.makeUser('village_reviewer', OTHER_VILLAGE, '村（居）评议员');
  await ctx.loginAs(other);
  await page.click('nav a[href="#/queue"]');
  await page.waitForSelector('#cw-filter');
  await page.select('#cw-filter', 'all');
  await page.waitForSelector('#queue, #queue-empty, #queue-error', { timeout: 20000 });
  check((await page.$(`tr[data-case="${appId}"]`)) === null && (await page.$('#queue-error')) === null, 'another village\u2019s reviewer does not find the case in their queue');
  const before = ctx.consoleErrors.length;
  await page.evaluate((id) => { location.hash = `#/case/${id}`; }, appId);
  await page.waitForSelector('#case-error', { timeout: 20000 });
  const refused = await page.$eval('#case-error', (e) => e.textContent);
  check(refused.includes('不在您的管辖范围'), `another village's reviewer opening #/case/<id> is refused in words ("${refused.slice(0, 40)}…")`);
  await shot('village_reviewer-other-village');
  forgetExpected404(ctx, before);
}
