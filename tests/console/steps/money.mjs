// The money screens (issue 17). Needs the clerk's application
// (ctx.state.applicationId, .applicant) brought to an approved, filed
// decision: by the casework step when it ran (ctx.state.decided), else
// here through the API (visit report, the three decisions).
//
// Finance (1280 px) allocates the year's budgets and a township's reserve
// fund, builds the month's payment run and sees its plan with the
// household in it; the finance approver approves the run; the payee is
// paid (the payment settled at the bank, node-side through disbursement,
// and the run's page says so); finance reconciles the day with the bank
// (bank-gateway), balanced; the rejected payments list. The emergency
// officer grants help at once and sees the fund's balance fall by the
// amount (relative: an earlier step may have used the same fund), opens
// the person's chain, refers the person on to dibao from the grants list
// and finds the referral in the chain; the grant form fits a phone.
import { decideByApi, districtDay, sleep, until } from '../lib.mjs';

const WAIT_MS = 90000;

export default async function moneyStep(ctx) {
  const { page, check, shot, text, state } = ctx;
  if (!state.decided) state.decided = await decideByApi(ctx);
  if (!state.decided) return;
  const applicant = state.applicant || {};
  const village = applicant.village_code || '220103001001';
  const township = village.slice(0, 9);
  const district = village.slice(0, 6);
  const fund = state.decided.category === 'tekun' ? 'tekun' : 'dibao';

  const fin = await ctx.makeUser('finance', district, '财务经办');
  const apr = await ctx.makeUser('finance_approver', district, '财务审批');
  const finTok = await ctx.tokenOf(fin);
  const aprTok = await ctx.tokenOf(apr);

  // Finance: the year's budgets of both funds, in the form.
  await ctx.desktop();
  await ctx.loginAs(fin);
  const nav = await text();
  check(nav.includes('预算') && nav.includes('发放批次') && nav.includes('银行对账') && nav.includes('退回款项'), 'finance sees the finance navigation');
  await page.click('nav a[href="#/budgets"]');
  await page.waitForSelector('#bu-fund');
  for (const f of ['dibao', 'tekun']) {
    await page.select('#bu-fund', f);
    await page.click('#bu-amount', { clickCount: 3 });
    await page.type('#bu-amount', '1000000');
    await page.click('#bu-submit');
    await page.waitForFunction((ff) => {
      const e = document.querySelector('#budget-done, #budget-error');
      return e && (e.id === 'budget-error' || e.textContent.includes(ff));
    }, { timeout: 20000 }, f === 'dibao' ? '最低生活保障金' : '特困人员供养金');
    check(Boolean(await page.$('#budget-done')), `a ${f} budget of 1,000,000 yuan is allocated in the form`);
  }
  await page.waitForFunction(() => document.querySelectorAll('#budgets tbody tr').length >= 2);
  await shot('finance-budgets');

  // Finance: 5,000 yuan into the township's reserve fund.
  await page.click('nav a[href="#/funds"]');
  await page.waitForSelector('#al-town');
  await page.click('#al-town', { clickCount: 3 });
  await page.type('#al-town', township);
  await page.type('#al-amount', '5000');
  await page.click('#al-submit');
  await page.waitForSelector('#allocated, .error[role=alert]', { timeout: 20000 });
  check((await text()).includes('已拨入'), `finance allocates 5,000 yuan to the fund of ${township}`);

  // Finance builds the month's run; a run built before disbursement
  // heard of the new beneficiary pays nobody: rejected and built again.
  const period = (() => {
    const d = new Date(Date.now() + 8 * 3600 * 1000);
    return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString().slice(0, 7);
  })();
  let run = null;
  for (let attempt = 0; attempt < 8 && !run; attempt++) {
    await page.click('nav a[href="#/runs"]');
    await page.waitForSelector('#run-period');
    await page.$eval('#run-period', (e) => { e.value = ''; });
    await page.evaluate((p) => {
      const e = document.querySelector('#run-period');
      e.value = p;
      e.dispatchEvent(new Event('input', { bubbles: true }));
    }, period);
    await page.click('#run-build');
    await page.waitForFunction(() => location.hash.startsWith('#/run/') || document.querySelector('#run-error'), { timeout: 20000 });
    const hash = await page.evaluate(() => location.hash);
    if (!check(hash.startsWith('#/run/'), `the run of ${period} is started from the form${hash.startsWith('#/run/') ? '' : ': ' + (await text()).slice(0, 200)}`)) return;
    const id = hash.slice('#/run/'.length);
    const r = await until(async () => {
      const x = await ctx.api('GET', `disbursement/runs/${id}`, undefined, finTok);
      return x.status === 200 && x.body.status !== 'building' && x.body;
    }, WAIT_MS);
    if (r && r.status === 'awaiting_approval' && r.payments > 0) {
      run = r;
      break;
    }
    await ctx.api('POST', `disbursement/runs/${id}/approval`, { decision: 'reject', reason: '受益人尚未同步' }, aprTok, `money-reject-${ctx.stamp}-${attempt}`);
    await sleep(2000);
  }
  if (!check(Boolean(run), `a run of ${period} awaits approval with the household in it`)) return;
  await page.waitForSelector('#plan');
  const planText = await text();
  check(planText.includes('用款计划') && planText.includes(township) && planText.includes('待审批'), 'the run\u2019s page shows the plan by fund and township, awaiting approval');
  const plan = await ctx.api('GET', `disbursement/runs/${run.id}/plan`, undefined, finTok);
  check(plan.status === 200 && plan.body.rows.some((r) => (r.fund === fund || (!state.decided.category && r.fund === 'tekun')) && r.township_code === township && r.payments >= 1), `the plan pays the ${fund} household of ${township}`);
  check(!(await page.$('#run-approve')), 'finance has no approve button on its own run');
  await shot('finance-plan');

  // The finance approver approves it.
  await ctx.loginAs(apr);
  await page.goto(`${ctx.url}/#/run/${run.id}`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#run-approve', { timeout: 20000 });
  await page.click('#run-approve');
  await page.waitForSelector('#approval-done, #approval-error', { timeout: 30000 });
  check(Boolean(await page.$('#approval-done')), `the finance approver approves the run (${(await text()).match(/已批准[^\n]*|操作未能完成[^\n]*|[^\n]*不能[^\n]*/)?.[0] || ''})`);
  await page.waitForFunction(() => !document.querySelector('#run-status').textContent.includes('待审批'), { timeout: 20000 }).catch(() => {});
  await shot('finance_approver-approval');

  // The payee is paid: the run completes, the payment is settled.
  const done = await until(async () => {
    const x = await ctx.api('GET', `disbursement/runs/${run.id}`, undefined, aprTok);
    return x.status === 200 && x.body.status === 'completed' && x.body;
  }, WAIT_MS);
  check(Boolean(done), 'the run completes');
  const account = '6222020200112233445';
  const paid = await until(async () => {
    const x = await ctx.api('GET', 'disbursement/payments?status=settled&limit=100', undefined, finTok);
    return x.status === 200 && x.body.items.find((p) => p.run_id === run.id && p.payee && p.payee.account_number === account);
  }, WAIT_MS);
  check(Boolean(paid), `the payee\u2019s payment of the run is settled at the bank${paid ? ` (${paid.amount_fen} fen)` : ''}`);
  // The run's reconciliation counts the settlement once the bank's
  // answer reached it; the page then shows what the API says.
  const runRec = await until(async () => {
    const x = await ctx.api('GET', `disbursement/runs/${run.id}/reconciliation`, undefined, aprTok);
    return x.status === 200 && x.body.instructions && x.body.instructions.settled >= 1 && x.body;
  }, WAIT_MS);
  check(Boolean(runRec), `the run's reconciliation counts the payment settled (${runRec ? runRec.instructions.settled : 'none'})`);
  // The page reads the run every second while it moves: it shows both
  // once its next reading comes (a reload if it stopped reading).
  const showsBoth = (n) => {
    const st = document.querySelector('#run-status');
    const se = document.querySelector('#run-settled');
    return Boolean(st && se && st.textContent.includes('已完成') && se.textContent.includes(`已到账 ${n} 笔`));
  };
  const settledN = runRec ? runRec.instructions.settled : -1;
  const shown = await page.waitForFunction(showsBoth, { timeout: 20000 }, settledN).then(() => true, () => false);
  if (!shown) {
    await page.reload({ waitUntil: 'networkidle0' });
    await page.waitForFunction(showsBoth, { timeout: 20000 }, settledN).catch(() => {});
  }
  const runPage = await text();
  const seen = await page.evaluate(() => [document.querySelector('#run-status'), document.querySelector('#run-settled')].map((e) => (e ? e.textContent : '-')).join(' | '));
  check(runRec && runPage.includes(`已到账 ${runRec.instructions.settled} 笔`) && runPage.includes('已完成'), `the run\u2019s page shows it completed and settled${shown ? '' : ' (after a reload)'} (${seen})`);

  // Finance reconciles the day with the bank.
  await ctx.loginAs(fin);
  const errs = ctx.consoleErrors.length;
  await page.click('nav a[href="#/recon"]');
  await page.waitForSelector('#recon-none, #recon, #recon-error', { timeout: 20000 });
  // A day not reconciled yet is bank-gateway's 404 not_found (shown as
  // words): the browser logs it as an error, expected here.
  ctx.consoleErrors.splice(errs, ctx.consoleErrors.length - errs, ...ctx.consoleErrors.slice(errs).filter((e) => !e.includes('404')));
  const day = paid && paid.settled_at ? districtDay(Date.parse(paid.settled_at)) : districtDay();
  await page.evaluate((d) => {
    const e = document.querySelector('#recon-date');
    e.value = d;
    e.dispatchEvent(new Event('input', { bubbles: true }));
  }, day);
  await page.click('#recon-now');
  await page.waitForSelector('#recon, #recon-error', { timeout: 30000 });
  const recText = await text();
  check(Boolean(await page.$('#recon')) && recText.includes('账实相符'), `bank-gateway\u2019s reconciliation of ${day} is balanced on the screen`);
  const rec = await ctx.api('GET', `bank-gateway/reconciliations?date=${day}`, undefined, finTok);
  check(rec.status === 200 && rec.body.balanced === true && rec.body.kinds.matched.count >= 1, `bank-gateway matched the payment (${rec.status}, matched ${rec.body && rec.body.kinds && rec.body.kinds.matched.count})`);
  await shot('finance-recon');

  await page.click('nav a[href="#/payments"]');
  await page.waitForSelector('#payments, section p', { timeout: 20000 });
  check((await text()).includes('退回款项'), 'the rejected payments list opens');
  await shot('finance-payments');
  await page.select('#pay-status', 'settled');
  await page.waitForFunction((a) => document.body.innerText.includes(a), { timeout: 20000 }, account);
  check(true, 'the settled payments list shows the payee');

  // The emergency officer: help at once, the balance falls, the chain.
  const eo = await ctx.makeUser('emergency_officer', township, '临时救助经办员');
  await ctx.loginAs(eo);
  await page.click('nav a[href="#/grant"]');
  await page.waitForSelector(`#fund-${township} .balance`, { timeout: 20000 });
  const yuan = (s) => Math.round(Number(s.replace(/[^0-9.-]/g, '')) * 100);
  const before = yuan(await page.$eval(`#fund-${township} .balance`, (e) => e.textContent));
  // At least finance's 5,000 yuan (an earlier step may have funded and
  // granted from the same township's fund).
  check(before >= 500000, `the grant screen shows the fund\u2019s balance (${before} fen)`);
  const person = ctx.idnum('19650712', 77);
  await page.type('#em-id_number', person);
  await page.type('#em-name', '李建国');
  await page.click('#em-household_size', { clickCount: 3 });
  await page.type('#em-household_size', '3');
  await page.click('#em-village_code', { clickCount: 3 });
  await page.type('#em-village_code', village);
  await page.select('#em-cause', 'fire');
  await page.type('#em-amount', '1500');
  await page.type('#em-description', '房屋失火，生活用品全部烧毁');
  await page.type('#em-bank_code', 'RCB');
  await page.type('#em-account_number', '6217000000000007788');
  await page.type('#em-account_name', '李建国');
  await page.click('#grant-submit');
  await page.waitForSelector('#granted, #grant-error', { timeout: 30000 });
  const g = await text();
  check(g.includes(`已发放 1500.00 元。备用金余额 ${(before / 100).toFixed(2)} 元 → ${((before - 150000) / 100).toFixed(2)} 元`), `the grant is made at once (${(g.match(/已发放[^\n]*|操作未能完成[^\n]*|备用金[^\n]*不足[^\n]*/) || [''])[0]})`);
  await page.waitForFunction((t, want) => {
    const e = document.querySelector(`#fund-${t} .balance`);
    return e && e.textContent.trim() === want;
  }, { timeout: 20000 }, township, ((before - 150000) / 100).toFixed(2)).catch(() => {});
  const after = yuan(await page.$eval(`#fund-${township} .balance`, (e) => e.textContent));
  check(after === before - 150000, `the fund\u2019s balance falls by the grant (${before} → ${after} fen)`);
  await shot('emergency_officer-grant');

  await page.click('#granted a');
  await page.waitForSelector('.chain-grant, #chain-empty, .error[role=alert]', { timeout: 20000 });
  const ch = await text();
  check(ch.includes('李建国') && ch.includes('1500.00') && ch.includes('火灾'), 'the person\u2019s chain shows the grant');
  await shot('emergency_officer-chain');

  await page.click('nav a[href="#/funds"]');
  await page.waitForSelector('#funds');
  check((await text()).includes(((before - 150000) / 100).toFixed(2)), 'the fund balances list the new balance');
  await shot('emergency_officer-funds');

  // The officer refers the person on to dibao from the grants list; the
  // chain then shows the referral.
  await page.click('nav a[href="#/grants"]');
  await page.waitForSelector('#grants form.refer', { timeout: 20000 });
  check((await text()).includes('李建国'), 'the grants list shows the grant');
  await page.evaluate(() => {
    const row = [...document.querySelectorAll('#grants tbody tr')].find((r) => r.textContent.includes('李建国'));
    row.querySelector('form.refer button[type=submit]').click();
  });
  await page.waitForSelector('#grants-done, .error[role=alert]', { timeout: 20000 });
  check((await text()).includes('已转介：低保'), 'the grant is referred on to dibao');
  await shot('emergency_officer-grants');
  await page.goto(`${ctx.url}/#/chain/${person}`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('.chain-grant', { timeout: 20000 });
  check((await text()).includes('低保'), 'the chain shows the referral');

  await ctx.phone();
  await page.click('nav a[href="#/grant"]');
  await page.waitForSelector('#em-id_number');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the grant form fits a 390-pixel screen (overflow ${overflow}px)`);
  await shot('emergency_officer-grant-phone');
  await ctx.desktop();
}
