// The console in a real browser (tests/console/browser.sh starts the
// stack): Debian's chromium driven by puppeteer-core.
//
//   node browser.mjs CONSOLE_URL OUT_DIR
//
// Env: SN_ADMIN_PASSWORD (identity's administrator), CHROMIUM (the
// browser's path), NODE_EXTRA_CA_CERTS (the run's CA, for node's own
// calls). The steps run in order over one context (lib.mjs), each a
// role's day at the console, each leaving in ctx.state what the next
// needs; every screen is saved as OUT_DIR/console-*.png and checked with
// axe-core (no violation of impact serious or critical). The run ends
// with no request to another origin and no script error. Exits 0 when
// every check holds.
import { finish, start } from './lib.mjs';
import casework from './steps/casework.mjs';
import clerk from './steps/clerk.mjs';
import clerk2 from './steps/clerk2.mjs';
import money from './steps/money.mjs';
import oversight from './steps/oversight.mjs';

const STEPS = [clerk, casework, clerk2, money, oversight];

const [url, out] = process.argv.slice(2);
const ctx = await start(url, out);
for (const step of STEPS) await step(ctx);
await finish(ctx);
