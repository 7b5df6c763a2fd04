// The clerk's other screens (at 1280 px unless said): an emergency
// officer grants help and refers the person on for dibao (through the
// API: finance funds the township first); the clerk finds the draft
// among the referred drafts, opens it prefilled with what the referral
// said, completes and submits it (intake then shows it open, its
// referral kept). The clerk's application ctx.state.applicationId is
// brought to an approved, filed decision through the API when no earlier
// step did (ctx.state.decided unset: lib.mjs decideByApi; then intake
// shows it decided), then the clerk
// files a change report for the household (income), which intake lists;
// the form then starts from the reported figures and fits 390 px. "My
// applications" links the decision notice, which shows the register's
// amount in yuan and category, prints on A4 (BUILD/console-screens/
// notice.pdf, one page; a screenshot in the print media) and reads in
// English after the switch. Leaves ctx.state.decided, .caseId,
// .beneficiaryId, .draftId.
import { readFileSync } from 'node:fs';
import { fenToYuan } from '../../../console/web/js/money.mjs';
import { decideByApi, until } from '../lib.mjs';

const TOWNSHIP = '220103001';
const VILLAGE = '220103001001';

const CATEGORY = { dibao: '最低生活保障', tekun: '特困人员供养', expenditure: '支出型困难', low_income: '低收入家庭' };

// finance funds the township, an emergency officer grants help to a new
// person and refers them on for dibao; returns the person.
async function referral(ctx) {
  const { api, check } = ctx;
  const fin = await ctx.tokenOf(await ctx.makeUser('finance', TOWNSHIP.slice(0, 6), '财务'));
  const alloc = await api('POST', `emergency/funds/${TOWNSHIP}/allocations`, { amount_fen: 2000000, note: '浏览器测试' }, fin, `c2-alloc-${ctx.stamp}`);
  check(alloc.status === 201, `finance funds the township (${alloc.status})`);
  const eo = await ctx.tokenOf(await ctx.makeUser('emergency_officer', TOWNSHIP, '临时救助经办员'));
  const person = { id_number: ctx.idnum('19650812', 71), name: '赵桂芬' };
  const grant = await api('POST', 'emergency/grants', {
    township_code: TOWNSHIP, village_code: VILLAGE, person, cause: 'fire',
    description: '房屋失火，生活用品损毁', household_size: 2, amount_fen: 80000,
    payee: { bank_code: 'RCB', account_number: '6217000012345678', account_name: '赵桂芬' },
  }, eo, `c2-grant-${ctx.stamp}`);
  check(grant.status === 201, `the emergency officer grants help at once (${grant.status} ${JSON.stringify(grant.body && grant.body.error)})`);
  const ref = await api('POST', `emergency/grants/${grant.body && grant.body.id}/referrals`, { kind: 'dibao', note: '火灾后家庭无收入来源，建议申请低保' }, eo, `c2-ref-${ctx.stamp}`);
  check(ref.status === 201, `and refers the person on for dibao (${ref.status})`);
  return person;
}

export default async function clerk2Step(ctx) {
  const { page, check, shot, text, url, api } = ctx;
  const clerk = ctx.state.clerk || await ctx.makeUser('clerk', TOWNSHIP, '受理员');
  const clerkToken = await ctx.tokenOf(clerk);

  // A draft from an emergency referral, opened prefilled and submitted.
  const person = await referral(ctx);
  const draft = await until(async () => {
    const r = await api('GET', 'intake/applications?status=draft&limit=1000', undefined, clerkToken);
    return r.body && r.body.items && r.body.items.find((a) => a.members && a.members[0] && a.members[0].id_number === person.id_number);
  });
  check(Boolean(draft), 'intake opened a draft from the referral');
  ctx.state.draftId = draft && draft.application_id;
  await ctx.loginAs(clerk);
  await page.click('nav a[href="#/drafts"]');
  await page.waitForSelector('#drafts, #no-drafts, .error', { timeout: 20000 });
  check((await text()).includes(person.name), 'the referred drafts list the person');
  await shot('clerk-drafts');
  await page.click(`a[href="#/apply/${ctx.state.draftId}"]`);
  await page.waitForSelector('#referral', { timeout: 20000 });
  const value = (sel) => page.$eval(sel, (e) => e.value);
  check((await value('#m0-id')) === person.id_number && (await value('#m0-name')) === person.name
    && (await value('#village_code')) === VILLAGE && (await value('#account_number')) === '6217000012345678'
    && (await value('#requested_category')) === 'dibao',
  'the form opens prefilled with the referral (person, village, payee, dibao)');
  await page.type('#address', '长春路 9 号');
  await page.click('#wages_fen', { clickCount: 3 });
  await page.type('#wages_fen', '0');
  await page.click('#consent_given');
  await page.type('#consent_reference', `ZJ-${ctx.stamp}`);
  await shot('clerk-draft');
  await page.click('#submit');
  await page.waitForSelector('#submitted, #submit-error', { timeout: 20000 });
  const sub = await text();
  check(sub.includes('转介申请已提交受理'), `the completed draft is taken in (${(sub.match(/转介申请已提交受理[^\n]*|操作未能完成[^\n]*|[^\n]*不正确[^\n]*|[^\n]*。/) || [''])[0]})`);
  const after = (await api('GET', `intake/applications/${ctx.state.draftId}`, undefined, clerkToken)).body || {};
  check(after.status === 'open' && Boolean(after.referral_id), `intake shows it open with its referral (${after.status})`);

  // A decision on the clerk's application.
  const appId = ctx.state.applicationId;
  if (!ctx.state.decided && appId) {
    ctx.state.decided = await decideByApi(ctx);
    if (ctx.state.decided) {
      const decided = await until(async () => {
        const r = await api('GET', `intake/applications/${appId}`, undefined, clerkToken);
        return r.body && r.body.status === 'decided_approved';
      });
      check(Boolean(decided), 'intake shows the application approved');
    }
  }
  ctx.state.caseId = ctx.state.caseId || appId;

  // A change report for the household on the register.
  const ben = await until(async () => {
    const r = await api('GET', `approval/beneficiaries?village=${VILLAGE}&limit=1000`, undefined, clerkToken);
    return r.body && r.body.items && r.body.items.find((b) => b.application_id === appId);
  });
  check(Boolean(ben), 'the household is on the register');
  const bid = ben && ben.beneficiary_id;
  ctx.state.beneficiaryId = bid;
  check(Boolean(await until(async () => (await api('GET', `intake/households/${bid}/changes`, undefined, clerkToken)).status === 200)), 'intake knows the household');
  await page.click('nav a[href="#/changes"]');
  await page.waitForSelector('#households, .error', { timeout: 20000 });
  check((await text()).includes(ben.head_name), 'the change reports list the household');
  await shot('clerk-changes');
  await page.click(`a[href="#/changes/${bid}"]`);
  await page.waitForSelector('#ch-kind', { timeout: 20000 });
  await page.select('#ch-kind', 'income');
  await page.click('#ch-wages_fen', { clickCount: 3 });
  await page.type('#ch-wages_fen', '900');
  await page.type('#ch-note', '申请人已在社区找到保洁工作');
  await shot('clerk-change');
  await page.click('#record-change');
  await page.waitForSelector('#change-recorded, #change-error', { timeout: 20000 });
  check(Boolean(await page.$('#change-recorded')), `the change is recorded (${await page.$eval('#change-recorded, #change-error', (e) => e.textContent)})`);
  const changes = (await api('GET', `intake/households/${bid}/changes`, undefined, clerkToken)).body;
  const ch = changes && changes.items && changes.items.find((x) => x.kind === 'income');
  check(Boolean(ch) && ch.income.wages_fen === 90000, `intake lists the income change, 900 yuan as 90000 fen (${ch && ch.income && ch.income.wages_fen})`);
  await page.waitForSelector('#changes');
  await ctx.phone();
  await page.reload({ waitUntil: 'networkidle0' });
  await page.waitForSelector('#ch-kind');
  check((await value('#ch-wages_fen')) === '900.00', `the form starts from the household as it stands now (wages ${await value('#ch-wages_fen')})`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the change form fits a 390-pixel screen (overflow ${overflow}px)`);
  await shot('clerk-change-phone');
  await ctx.desktop();

  // The decision notice, from "my applications", and its print.
  const detail = (await api('GET', `approval/beneficiaries/${bid}`, undefined, clerkToken)).body || {};
  const first = (detail.history || []).find((h) => h.cause === 'decision');
  const fen = first ? first.new_amount_fen : detail.monthly_amount_fen;
  await page.click('nav a[href="#/mine"]');
  await page.waitForSelector(`a.notice-link[href="#/notice/${appId}"]`, { timeout: 20000 });
  await page.click(`a.notice-link[href="#/notice/${appId}"]`);
  await page.waitForSelector('#notice, #not-decided, .error', { timeout: 20000 });
  const notice = await text();
  const amount = await page.$eval('#notice-amount', (e) => e.textContent).catch(() => '');
  check(amount === `${fenToYuan(fen)} 元`, `the notice shows the register's amount in yuan (${amount}; ${fen} fen)`);
  const category = await page.$eval('#notice-category', (e) => e.textContent).catch(() => '');
  check(category === CATEGORY[detail.category], `and its category (${category}; ${detail.category})`);
  check(notice.includes(ctx.state.applicant ? ctx.state.applicant.name : ben.head_name) && notice.includes('决定予以批准') && notice.includes('行政复议'),
    'the notice names the applicant, the approval and how to appeal');
  await shot('clerk-notice');
  await page.emulateMediaType('print');
  const hidden = await page.evaluate(() => getComputedStyle(document.querySelector('header.top')).display === 'none'
    && getComputedStyle(document.querySelector('#print-notice')).display === 'none');
  check(hidden, 'printed, the notice stands alone (no navigation, no buttons)');
  await shot('clerk-notice-print');
  const pdf = `${ctx.out}/notice.pdf`;
  await page.pdf({ path: pdf, format: 'A4', preferCSSPageSize: true });
  const raw = readFileSync(pdf, 'latin1');
  const pages = (raw.match(/\/Type\s*\/Page\b/g) || []).length;
  const box = (/\/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]/.exec(raw) || []).slice(1).map(Number);
  check(pages === 1 && Math.abs(box[0] - 595) < 2 && Math.abs(box[1] - 842) < 2, `the notice prints on one A4 page (${pages} page(s) of ${box.join(' x ')} pt)`);
  await page.emulateMediaType(null);
  await page.click('.who button.link');
  await page.waitForFunction(() => document.body.innerText.includes('Decision on an application'));
  check((await text()).includes('administrative reconsideration'), 'the switch makes the notice English');
  await shot('clerk-notice-en');
  await page.click('.who button.link');
}
