// The console's shell: login, navigation by the token's role, the screens
// (hash routes: #/, then each role's in roles.mjs), the language switch.
import { render } from '../vendor/preact.mjs';
import { useEffect, useState } from '../vendor/hooks.mjs';
import { html } from './html.mjs';
import { currentUser, login, logout, onSession } from './api.mjs';
import { getLang, setLang, t } from './i18n.mjs';
import { ErrorNote } from './problems.mjs';
import { navFor, screenFor } from './roles.mjs';

function LoginScreen({ onLang }) {
  const [username, setU] = useState('');
  const [password, setP] = useState('');
  const [err, setErr] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setErr(null);
    try {
      await login(username.trim(), password);
      location.hash = '#/';
    } catch (p) {
      setErr(p);
    }
    setBusy(false);
  }
  return html`
    <main class="login" id="main">
      <h1>${t('title')}</h1>
      <form onSubmit=${submit} class="card" aria-describedby=${err ? 'login-error' : undefined}>
        <label for="username">${t('username')}</label>
        <input id="username" name="username" autocomplete="username" required value=${username} onInput=${(e) => setU(e.target.value)} />
        <label for="password">${t('password')}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required value=${password} onInput=${(e) => setP(e.target.value)} />
        <${ErrorNote} err=${err} id="login-error" />
        <button type="submit" disabled=${busy}>${t('login')}</button>
      </form>
      <button type="button" class="link" onClick=${onLang} aria-label=${t('language_label')}>${t('language')}</button>
    </main>`;
}

function Home({ user }) {
  const nav = navFor(user.role);
  return html`
    <section>
      <h1>${t('welcome')}${user.username || user.sub}</h1>
      <dl class="facts">
        <dt>${t('role')}</dt><dd>${t('r_' + user.role)}</dd>
        <dt>${t('jurisdiction')}</dt><dd>${user.juris}</dd>
      </dl>
      ${nav.length === 0
        ? html`<p>${t('not_yet')}</p>`
        : html`<ul class="tiles">${nav.map(([href, key]) => html`<li><a href=${href}>${t(key)}</a></li>`)}</ul>`}
    </section>`;
}

function Shell({ user, route, onLang }) {
  const nav = navFor(user.role);
  const found = screenFor(user.role, route);
  const section = route.split('/').slice(0, 2).join('/');
  return html`
    <header class="top">
      <a class="brand" href="#/">${t('title')}</a>
      <nav aria-label=${t('main_nav')}>
        <ul>
          <li><a href="#/" aria-current=${route === '#/' ? 'page' : undefined}>${t('home')}</a></li>
          ${nav.map(([href, key]) => html`<li><a href=${href} aria-current=${section === href ? 'page' : undefined}>${t(key)}</a></li>`)}
        </ul>
      </nav>
      <div class="who">
        <span>${user.username || user.sub} · ${t('r_' + user.role)}</span>
        <button type="button" class="link" onClick=${onLang} aria-label=${t('language_label')}>${t('language')}</button>
        <button type="button" onClick=${() => logout()}>${t('logout')}</button>
      </div>
    </header>
    <main id="main">${found ? html`<${found.Screen} user=${user} params=${found.params} key=${route} />` : html`<${Home} user=${user} />`}</main>`;
}

function App() {
  const [user, setUser] = useState(currentUser());
  const [route, setRoute] = useState(location.hash || '#/');
  const [, setLangTick] = useState(0);
  useEffect(() => onSession(() => setUser(currentUser())), []);
  useEffect(() => {
    const f = () => setRoute(location.hash || '#/');
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  const onLang = () => {
    setLang(getLang() === 'en' ? 'zh' : 'en');
    setLangTick((n) => n + 1);
  };
  if (!user || (user.exp && user.exp * 1000 < Date.now() - 8 * 3600 * 1000)) return html`<${LoginScreen} onLang=${onLang} />`;
  return html`<${Shell} user=${user} route=${route} onLang=${onLang} />`;
}

setLang(getLang());
render(html`<${App} />`, document.getElementById('app'));
