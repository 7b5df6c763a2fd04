// Calls to the services through the console (/api/<service>/<path>), with
// the access token in memory and the session (both tokens) in
// sessionStorage, so that a reload keeps the tab logged in and closing it
// ends the session. A 401 refreshes the pair once (identity's
// POST /token/refresh) and retries.
let session = JSON.parse(sessionStorage.getItem('session') || 'null');
const listeners = new Set();

export function onSession(fn) { listeners.add(fn); return () => listeners.delete(fn); }

function setSession(s) {
  session = s;
  if (s) sessionStorage.setItem('session', JSON.stringify(s));
  else sessionStorage.removeItem('session');
  for (const fn of listeners) fn(s);
}

// The token's claims (sub, role, juris, unit, exp): read, not verified;
// every service verifies the token itself.
export function claims(token) {
  try {
    const b = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = new TextDecoder().decode(Uint8Array.from(atob(b), (c) => c.charCodeAt(0)));
    return JSON.parse(json);
  } catch (e) {
    return null;
  }
}

export function currentUser() {
  if (!session) return null;
  const c = claims(session.access_token);
  return c ? { ...c, username: session.username } : null;
}

// A problem as {status, code, message, field}.
function problem(status, body) {
  const e = (body && body.error) || {};
  return { status, code: e.code || (status === 0 ? 'network' : 'error'), message: e.message || '', field: e.field || '' };
}

async function raw(method, service, path, body, headers) {
  const h = { Accept: 'application/json', ...headers };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(`/api/${service}/${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit' });
  } catch (e) {
    return { status: 0, body: null };
  }
  let json = null;
  try { json = await res.json(); } catch (e) { json = null; }
  return { status: res.status, body: json };
}

export async function login(username, password) {
  const r = await raw('POST', 'identity', 'login', { username, password });
  if (r.status !== 200) throw problem(r.status, r.body);
  setSession({ username, access_token: r.body.access_token, refresh_token: r.body.refresh_token });
  return currentUser();
}

async function refresh() {
  if (!session || !session.refresh_token) return false;
  const r = await raw('POST', 'identity', 'token/refresh', { refresh_token: session.refresh_token });
  if (r.status !== 200) return false;
  setSession({ ...session, access_token: r.body.access_token, refresh_token: r.body.refresh_token });
  return true;
}

export async function logout() {
  if (session && session.refresh_token) await raw('POST', 'identity', 'logout', { refresh_token: session.refresh_token });
  setSession(null);
}

// One call; resolves to the body, rejects with a problem. idem: an
// Idempotency-Key for a mutating call (the same key when retried).
export async function call(method, service, path, body, idem) {
  for (let attempt = 0; attempt < 2; attempt++) {
    const headers = {};
    if (session) headers.Authorization = `Bearer ${session.access_token}`;
    if (idem) headers['Idempotency-Key'] = idem;
    const r = await raw(method, service, path, body, headers);
    if (r.status === 401 && attempt === 0 && (await refresh())) continue;
    if (r.status === 401) setSession(null);
    if (r.status >= 200 && r.status < 300) return r.body;
    throw problem(r.status, r.body);
  }
  throw problem(401, null);
}

export function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}
