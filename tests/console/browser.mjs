// The console in a real browser (tests/console/browser.sh starts the
// stack): Debian's chromium driven by puppeteer-core.
//
//   node browser.mjs CONSOLE_URL OUT_DIR
//
// Env: SN_ADMIN_PASSWORD (identity's administrator), CHROMIUM (the
// browser's path), NODE_EXTRA_CA_CERTS (the run's CA, for node's own
// calls). The administrator makes a clerk through the console's API;
// then, in the browser at 1280 px: the login page; the clerk logs in and
// sees the shell with the clerk's navigation; the form refuses a wrong
// identity number as it is typed (the check character) and takes the
// right one; the application is submitted and answered with its number;
// "my applications" lists it as open (办理中); the language switch turns
// the shell English; and the form again at 390 px (a phone). Every
// screen is saved as OUT_DIR/console-*.png and checked with axe-core:
// no violation of impact serious or critical. Exits 0 when all holds.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import puppeteer from 'puppeteer-core';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const [url, out] = process.argv.slice(2);
const adminPw = process.env.SN_ADMIN_PASSWORD;
const fails = [];
const check = (ok, what) => { if (!ok) fails.push(what); console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`); };

async function api(method, path, body, token, key) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (key) headers['Idempotency-Key'] = key;
  const r = await fetch(`${url}/api/${path}`, { method, headers, body: body && JSON.stringify(body) });
  return { status: r.status, body: await r.json().catch(() => null) };
}

// A valid identity number (GB 11643) of a birth date and sequence.
function idnum(birth, seq) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const s = `220103${birth}${String(seq).padStart(3, '0')}`;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(s[i]) * w[i];
  return s + '10X98765432'[sum % 11];
}

const stamp = Date.now() % 100000;
const clerk = { username: `clerk${stamp}`, password: 'a clerk\u2019s long secret 1' };

// The clerk, made by the administrator through the console.
const admin = await api('POST', 'identity/login', { username: 'admin', password: adminPw });
check(admin.status === 200, `the administrator logs in through the console (${admin.status})`);
const made = await api('POST', 'identity/users', {
  username: clerk.username, display_name: '受理员', kind: 'staff', role: 'clerk',
  jurisdiction: '220103001', id_number: idnum('19800101', 17), password: clerk.password,
}, admin.body && admin.body.access_token, `console-test-${stamp}`);
check(made.status === 201, `a clerk is created through the console (${made.status} ${JSON.stringify(made.body && made.body.error)})`);

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  acceptInsecureCerts: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--lang=zh-CN'],
});
const page = await browser.newPage();
const consoleErrors = [];
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
page.on('pageerror', (e) => consoleErrors.push(String(e)));
const external = [];
page.on('request', (r) => { if (!r.url().startsWith(url) && !r.url().startsWith('data:')) external.push(r.url()); });
await page.setViewport({ width: 1280, height: 900 });

async function axe(name) {
  await page.evaluate(AXE);
  const r = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(bad.length === 0, `${name}: axe finds no serious violation${bad.length ? ': ' + bad.map((v) => `${v.id} (${v.nodes.length})`).join(', ') : ''}`);
}

async function shot(name) {
  await page.screenshot({ path: `${out}/console-${name}.png`, fullPage: true });
  await axe(name);
}

const text = () => page.evaluate(() => document.body.innerText);

await page.goto(`${url}/`, { waitUntil: 'networkidle0' });
await page.waitForSelector('#username');
check((await page.title()) === '社会救助工作台', 'the page title is Chinese');
await shot('login');

// A wrong password: the refusal in words.
await page.type('#username', clerk.username);
await page.type('#password', 'wrong password');
await page.click('button[type=submit]');
await page.waitForSelector('#login-error');
check((await text()).includes('用户名或密码不正确'), 'a wrong password is refused in Chinese words');
// The browser logs the refused login's 401 as an error: expected here.
consoleErrors.length = 0;
await page.click('#password', { clickCount: 3 });
await page.type('#password', clerk.password);
await page.click('button[type=submit]');
await page.waitForSelector('nav a[href="#/apply"]');
const t1 = await text();
check(t1.includes('受理申请') && t1.includes('我受理的申请') && t1.includes('受理员'), 'the clerk\u2019s shell shows the clerk\u2019s navigation');
await shot('home');

await page.click('nav a[href="#/apply"]');
await page.waitForSelector('#m0-id');
// The check character as it is typed.
const good = idnum('19700305', 41);
const wrong = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
await page.type('#m0-id', wrong);
check((await page.$eval('#m0-id-note', (e) => e.textContent)).includes('校验位不正确'), 'a wrong check character is flagged as it is typed');
await page.click('#m0-id', { clickCount: 3 });
await page.keyboard.press('Backspace');
await page.type('#m0-id', good);
check((await page.$eval('#m0-id-note', (e) => e.textContent)).includes('校验通过'), 'the right number checks out');
check((await page.$eval('#m0-birth', (e) => e.value)) === '1970-03-05', 'the birth date is read from the number');
await page.type('#m0-name', '王秀兰');
await page.select('#m0-labour', 'partial');
await page.click('#village_code', { clickCount: 3 });
await page.type('#village_code', '220103001001');
await page.type('#address', '长春路 7 号 2 单元');
await page.click('#wages_fen', { clickCount: 3 });
await page.type('#wages_fen', '600.50');
await page.click('#medical_fen', { clickCount: 3 });
await page.type('#medical_fen', '200');
await page.type('#bank_code', 'ICBC');
await page.type('#account_number', '6222020200112233445');
await page.type('#account_name', '王秀兰');
await page.click('#consent_given');
await page.type('#consent_reference', `SQ-${stamp}`);
await shot('apply');
await page.click('#submit');
await page.waitForSelector('#submitted, #submit-error', { timeout: 20000 });
const sub = await text();
check(sub.includes('申请已受理'), `the application is taken in (${(sub.match(/申请已受理[^\n]*|操作未能完成[^\n]*|[^\n]*不正确[^\n]*/) || [''])[0]})`);
await shot('submitted');

await page.click('nav a[href="#/mine"]');
await page.waitForSelector('table.list, .error', { timeout: 20000 });
const mine = await text();
check(mine.includes('王秀兰') && mine.includes('办理中'), '"my applications" lists it as open (办理中)');
await shot('mine');

await page.click('.who button.link');
await page.waitForFunction(() => document.body.innerText.includes('My applications'));
check(((await page.evaluate(() => document.documentElement.lang)) === 'en'), 'the switch makes the page English');
await shot('mine-en');
await page.click('.who button.link');

await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
await page.click('nav a[href="#/apply"]');
await page.waitForSelector('#m0-id');
const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
check(overflow <= 0, `the form fits a 390-pixel screen (overflow ${overflow}px)`);
await shot('apply-phone');

check(external.length === 0, `nothing loads from elsewhere${external.length ? ': ' + external.join(', ') : ''}`);
check(consoleErrors.length === 0, `no script errors${consoleErrors.length ? ': ' + consoleErrors.join(' | ') : ''}`);
await browser.close();
if (fails.length) {
  console.log(`FAIL console.browser: ${fails.length} check(s) failed`);
  process.exit(1);
}
console.log('PASS console.browser');
