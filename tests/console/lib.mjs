// The browser test's harness (browser.mjs runs the steps in order over
// one context): the console's API from node, users made by the
// administrator, one chromium page, checks, screenshots with an axe-core
// pass, and the login of a user in the page; and the steps' shared
// helpers (waiting, a token's claims, the district's day, the clerk's
// application decided through the API).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import puppeteer from 'puppeteer-core';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// A valid identity number (GB 11643) of a birth date and sequence.
export function idnum(birth, seq, area = '220103') {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const s = `${area}${birth}${String(seq).padStart(3, '0')}`;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(s[i]) * w[i];
  return s + '10X98765432'[sum % 11];
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// fn() (async) every `every` ms until it gives something truthy: that
// value, or null after ms.
export async function until(fn, ms = 30000, every = 500) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) return null;
    await sleep(every);
  }
}

// The claims of an access token (sub: the user's id, idn: their
// identity number).
export function claimsOf(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

// The district's date (UTC+8) of a time, YYYY-MM-DD.
export function districtDay(ms = Date.now()) {
  return new Date(ms + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

// One application of a person living alone in 220103001001 taken in
// through intake's API by a new clerk of the township, for a step that
// runs without the clerk's: a = {name, birth (YYYYMMDD), seq (of the
// identity number), wages_fen, medical_fen, tag (of the consent
// reference and the Idempotency-Key), account, what (the check)}.
// Returns {clerk, applicationId, applicant: {name, id_number,
// village_code}}.
export async function applicationByApi(ctx, a) {
  const village = '220103001001';
  const clerk = await ctx.makeUser('clerk', village.slice(0, 9), '受理员');
  const id = ctx.idnum(a.birth, a.seq);
  const r = await ctx.api('POST', 'intake/applications', {
    household: { registration: 'urban', district_code: village.slice(0, 6), township_code: village.slice(0, 9), village_code: village, address: '长春路 9 号', has_able_supporter: false },
    members: [{ id_number: id, name: a.name, relation: 'self', birth_date: `${a.birth.slice(0, 4)}-${a.birth.slice(4, 6)}-${a.birth.slice(6)}`, labour_capacity: 'partial', disability_grade: 0, self_care: 'able' }],
    declared_income: { wages_fen: a.wages_fen, business_fen: 0, pensions_fen: 0, other_fen: 0, agricultural_fen: 0, support_fen: 0 },
    declared_expenditure: { medical_fen: a.medical_fen, education_fen: 0, housing_fen: 0, employment_costs_fen: 0 },
    consent: { reference: `SQ-${a.tag.toUpperCase()}-${ctx.stamp}`, signed_date: new Date().toISOString().slice(0, 10) },
    payee: { bank_code: 'ICBC', account_number: a.account, account_name: a.name },
  }, await ctx.tokenOf(clerk), `${a.tag}-app-${ctx.stamp}`);
  ctx.check(r.status === 201, `${a.what} (${r.status})`);
  return { clerk, applicationId: r.body && r.body.application_id, applicant: { name: a.name, id_number: id, village_code: village } };
}

// The clerk's application (ctx.state.applicationId, of the village of
// ctx.state.applicant) to a filed decision through the API, as the
// investigators and the three officers would when the casework step did
// not: the visit report (two investigators made here), village review,
// township approval (an override to dibao when the rules give no
// category), district filing. Returns {category, monthly_amount_fen} of
// the filed case, or null (the failed check says where it stopped).
export async function decideByApi(ctx) {
  const { check, state } = ctx;
  const appId = state.applicationId;
  const village = (state.applicant && state.applicant.village_code) || '220103001001';
  const township = village.slice(0, 9);
  const district = village.slice(0, 6);
  if (!check(Boolean(appId), 'the clerk\u2019s application is there to decide')) return null;
  const invTok = await ctx.tokenOf(await ctx.makeUser('investigator', village, '调查员甲'));
  const me = claimsOf(invTok);
  const other = claimsOf(await ctx.tokenOf(await ctx.makeUser('investigator', village, '调查员乙')));
  const task = await until(async () => {
    const r = await ctx.api('GET', `investigation/tasks?village=${village}&limit=1000`, undefined, invTok);
    return r.status === 200 && r.body.items.find((x) => x.application_id === appId);
  }, 90000);
  if (!check(Boolean(task), 'investigation opened the home visit')) return null;
  const rep = await ctx.api('POST', `investigation/tasks/${task.id}/report`, {
    investigators: [{ user_id: me.sub, id_number: me.idn }, { user_id: other.sub, id_number: other.idn }],
    visit_date: districtDay(),
    members: task.members.map((m) => ({ id_number: m.id_number, present: true })),
    living_conditions: '家中陈设简单，收入如申报', housing_condition: '自建房，基本安全', contradictions: [], recommendation: 'approve',
  }, invTok, `decide-visit-${ctx.stamp}`);
  if (!check(rep.status === 201, `the visit report is stored (${rep.status} ${JSON.stringify(rep.body && rep.body.error)})`)) return null;

  const dis = await ctx.makeUser('district_officer', district, '区县审批员');
  const disTok = await ctx.tokenOf(dis);
  let seen = 'none';
  const atStage = (stage, ms = 90000) => until(async () => {
    const r = await ctx.api('GET', `approval/cases/${appId}`, undefined, disTok);
    if (r.status === 200) seen = r.body.stage;
    return r.status === 200 && r.body.stage === stage && r.body;
  }, ms);
  // Verification asks every agency first (a case waits in HELD while one
  // does not answer, and is asked again later).
  const c = await atStage('VILLAGE_REVIEW', 240000);
  if (!check(Boolean(c), `the case reaches the village review (last seen at ${seen})`)) return null;
  const rev = await ctx.makeUser('village_reviewer', village, '村评议员');
  const off = await ctx.makeUser('township_officer', township, '乡镇审核员');
  const step = async (who, path, body, what) => {
    const r = await ctx.api('POST', `approval/cases/${appId}/${path}`, body, await ctx.tokenOf(who), `decide-${path}-${ctx.stamp}`);
    return check(r.status === 200, `${what} (${r.status} ${JSON.stringify(r.body && r.body.error)})`);
  };
  if (!await step(rev, 'village-review', { decision: 'pass', reason: '评议通过' }, 'the village review passes')) return null;
  // The agencies' records are agency-sim's (random for a person it has
  // no fixture for): when the rules say none, the township approves
  // dibao as an override with a reason code, which the district reviews.
  const confirm = { decision: 'approve', reason: '符合条件', discrepancies_seen: true };
  if (!c.category || c.category === 'none') {
    Object.assign(confirm, { category: 'dibao', reason: '突发困难，部门记录尚未更新', override_reason_code: 'sudden_hardship_pending_records', override_note: '入户调查核实：存款已用于治病' });
  }
  if (!await step(off, 'township-confirmation', confirm, `the township approves (${confirm.category || c.category}, rules: ${c.category})`)) return null;
  if (!check(Boolean(await atStage('DISTRICT_FILING')), `the case reaches the district (last seen at ${seen})`)) return null;
  if (!await step(dis, 'district-filing', { decision: 'file', spot_check: false, note: '备案' }, 'the district files it')) return null;
  const filed = await atStage('FILED');
  check(Boolean(filed), 'the case is filed');
  return filed && { category: filed.category || c.category, monthly_amount_fen: filed.monthly_amount_fen || c.monthly_amount_fen };
}

export async function start(url, out) {
  const ctx = { url, out, fails: [], stamp: Date.now() % 100000, state: {}, idnum };
  ctx.check = (ok, what) => {
    if (!ok) ctx.fails.push(what);
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    return ok;
  };
  // One call to /api/<path> from node: {status, body}.
  ctx.api = async (method, path, body, token, key, headers = {}) => {
    const h = { 'Content-Type': 'application/json', ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    if (key) h['Idempotency-Key'] = key;
    const r = await fetch(`${url}/api/${path}`, { method, headers: h, body: body && JSON.stringify(body) });
    return { status: r.status, body: await r.json().catch(() => null) };
  };
  // A user's tokens through identity's POST /login.
  ctx.tokenOf = async (user) => {
    const r = await ctx.api('POST', 'identity/login', { username: user.username, password: user.password });
    if (r.status !== 200) throw new Error(`login of ${user.username}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.access_token;
  };
  const admin = await ctx.api('POST', 'identity/login', { username: 'admin', password: process.env.SN_ADMIN_PASSWORD });
  ctx.check(admin.status === 200, `the administrator logs in through the console (${admin.status})`);
  ctx.adminToken = admin.body && admin.body.access_token;
  // A staff user of role and jurisdiction, made by the administrator
  // through the console; returns {username, password, role, jurisdiction}.
  let seq = 100;
  ctx.makeUser = async (role, jurisdiction, display = role) => {
    seq += 1;
    const user = { username: `${role.replace(/_/g, '')}${ctx.stamp}${seq}`, password: `${role}\u2019s long secret ${seq}`, role, jurisdiction };
    const r = await ctx.api('POST', 'identity/users', {
      username: user.username, display_name: display, kind: 'staff', role, jurisdiction,
      id_number: idnum('19800101', seq), password: user.password,
    }, ctx.adminToken, `console-test-${ctx.stamp}-${seq}`);
    ctx.check(r.status === 201, `a ${role} of ${jurisdiction} is created through the console (${r.status} ${JSON.stringify(r.body && r.body.error)})`);
    return user;
  };

  ctx.browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    acceptInsecureCerts: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--lang=zh-CN'],
  });
  const page = await ctx.browser.newPage();
  ctx.page = page;
  ctx.consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') ctx.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => ctx.consoleErrors.push(String(e)));
  ctx.external = [];
  page.on('request', (r) => { if (!r.url().startsWith(url) && !r.url().startsWith('data:')) ctx.external.push(r.url()); });
  await page.setViewport({ width: 1280, height: 900 });

  ctx.axe = async (name) => {
    await page.evaluate(AXE);
    const r = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
    const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    ctx.check(bad.length === 0, `${name}: axe finds no serious violation${bad.length ? ': ' + bad.map((v) => `${v.id} (${v.nodes.length})`).join(', ') : ''}`);
  };
  // OUT_DIR/console-NAME.png, then the axe-core pass on the page.
  ctx.shot = async (name) => {
    await page.screenshot({ path: `${out}/console-${name}.png`, fullPage: true });
    await ctx.axe(name);
  };
  ctx.text = () => page.evaluate(() => document.body.innerText);
  // Log the page in as user (logging out whoever is in), at the home page.
  ctx.loginAs = async (user) => {
    await page.goto(`${url}/#/`, { waitUntil: 'networkidle0' });
    await page.evaluate(() => sessionStorage.clear());
    await page.reload({ waitUntil: 'networkidle0' });
    await page.waitForSelector('#username');
    await page.type('#username', user.username);
    await page.type('#password', user.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('header.top nav');
  };
  ctx.phone = () => page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
  ctx.desktop = () => page.setViewport({ width: 1280, height: 900 });
  return ctx;
}

// The checks every run ends with; exits 1 when any check failed.
export async function finish(ctx) {
  ctx.check(ctx.external.length === 0, `nothing loads from elsewhere${ctx.external.length ? ': ' + ctx.external.join(', ') : ''}`);
  ctx.check(ctx.consoleErrors.length === 0, `no script errors${ctx.consoleErrors.length ? ': ' + ctx.consoleErrors.join(' | ') : ''}`);
  await ctx.browser.close();
  if (ctx.fails.length) {
    console.log(`FAIL console.browser: ${ctx.fails.length} check(s) failed`);
    process.exit(1);
  }
  console.log('PASS console.browser');
}
