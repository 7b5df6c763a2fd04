// The browser test's harness (browser.mjs runs the steps in order over
// one context): the console's API from node, users made by the
// administrator, one chromium page, checks, screenshots with an axe-core
// pass, and the login of a user in the page.
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
