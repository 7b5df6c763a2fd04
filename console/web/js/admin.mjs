// The district administrator's screens: users (identity's GET /users,
// POST /users, GET and PATCH /users/{id}, GET /users/{id}/changes) and
// the policy (approval's GET /policy: the versions and their standards,
// GET /price-indices and POST /price-indices for a month's CPI, POST
// /standards/proposal: standards from consumption, which changes
// nothing).
import { useEffect, useState } from '../vendor/hooks.mjs';
import { call, newKey } from './api.mjs';
import { IdField, Input } from './apply.mjs';
import { html } from './html.mjs';
import { addWords, t } from './i18n.mjs';
import { fenToYuan, yuan, yuanToFen } from './money.mjs';
import { ListTable, Loading, when, word } from './ovkit.mjs';
import { usePaged } from './paged.mjs';
import { ErrorNote } from './problems.mjs';

addWords({
  ov_users: ['用户管理', 'Users'],
  ov_policy: ['政策与标准', 'Policy and standards'],
  ov_new_user: ['新建用户', 'New user'],
  ov_find_user: ['按用户名查找', 'Find by user name'],
  ov_display_name: ['姓名', 'Name'],
  ov_role: ['岗位', 'Role'],
  ov_juris: ['管辖区域代码', 'Jurisdiction code'],
  ov_juris_hint: ['6 位区县、9 位乡镇（街道）或 12 位村（社区）代码', '6 (district), 9 (township) or 12 (village) digits'],
  ov_password: ['初始密码', 'Initial password'],
  ov_password_hint: ['至少 12 个字符，不能与用户名相同', 'At least 12 characters, not the user name'],
  ov_new_password: ['重置密码（不改则留空）', 'New password (leave empty to keep)'],
  ov_create: ['创建用户', 'Create the user'],
  ov_created: ['已创建用户 {u}。', 'User {u} created.'],
  ov_saved: ['已保存。', 'Saved.'],
  ov_save: ['保存修改', 'Save the changes'],
  ov_user_state: ['账号状态', 'Account'],
  ov_enabled: ['正常', 'Enabled'],
  ov_disabled: ['已停用', 'Disabled'],
  ov_disable: ['停用该账号', 'Disable the account'],
  ov_enable: ['启用该账号', 'Enable the account'],
  ov_locked: ['已锁定至 {t}', 'Locked until {t}'],
  ov_unlock: ['解除锁定', 'Unlock'],
  ov_changes: ['变更记录', 'Changes'],
  ov_field: ['项目', 'Field'],
  ov_old: ['原值', 'Before'],
  ov_new: ['新值', 'After'],
  ov_by: ['操作人', 'By'],
  ov_created_at: ['创建时间', 'Created'],
  ov_in_force: ['现行版本', 'In force'],
  ov_ratio: ['城乡低保标准比', 'Urban/rural ratio'],
  ov_version: ['版本', 'Version'],
  ov_effective: ['生效日期', 'In force from'],
  ov_urban_min: ['城市低保标准', 'Urban minimum'],
  ov_rural_min: ['农村低保标准', 'Rural minimum'],
  ov_urban_basic: ['城市特困基本生活标准', 'Urban basic (tekun)'],
  ov_rural_basic: ['农村特困基本生活标准', 'Rural basic (tekun)'],
  ov_care: ['照料护理标准（自理／半自理／不能自理）', 'Care (able / partly / unable)'],
  ov_low_income_factor: ['低收入认定倍数', 'Low-income factor'],
  ov_override_reasons: ['可认定的特殊情形', 'Override reasons'],
  ov_new_version: ['新增政策版本', 'A new policy version'],
  ov_new_version_note: ['新版本须在明天或以后生效，现行标准不变；生效当月起，在册家庭按新标准重新核定。表中数值以现行版本预填。', 'A new version starts tomorrow or later, so no standard in force changes; from its month every household on the register is re-rated. The form starts from the version in force.'],
  ov_care_able: ['照料护理标准（生活自理）', 'Care (able)'],
  ov_care_partly: ['照料护理标准（部分自理）', 'Care (partly able)'],
  ov_care_unable: ['照料护理标准（完全不能自理）', 'Care (unable)'],
  ov_low_income_pct: ['低收入认定倍数（%，不低于 100）', 'Low-income factor (%, 100 or more)'],
  ov_asset_multiple: ['财产限额倍数（月数）', 'Asset limit (months of the standard)'],
  ov_max_homes: ['住房套数上限', 'Most homes allowed'],
  ov_business_limit: ['经营资本限额（元）', 'Business capital limit (yuan)'],
  ov_force: ['城乡标准比高于上一版本时仍然新增', 'Add it although the urban/rural ratio rises'],
  ov_force_reason: ['理由（勾选上一项时必填）', 'Why (needed with the box above)'],
  ov_add_version: ['新增版本', 'Add the version'],
  ov_version_added: ['已新增版本 {v}，自 {d} 起执行（城乡标准比 {r}‰）。', 'Version {v} added, in force from {d} (urban/rural ratio {r}‰).'],
  ov_yuan_month: ['元/人·月', 'yuan a person a month'],
  ov_price_indices: ['物价指数与价格临时补贴', 'Price indices and the price subsidy'],
  ov_month: ['月份', 'Month'],
  ov_cpi: ['CPI 同比（‰）', 'CPI y/y (‰)'],
  ov_food_cpi: ['食品 CPI 同比（‰）', 'Food CPI y/y (‰)'],
  ov_applies: ['是否启动补贴', 'Subsidy'],
  ov_yes: ['启动', 'Applies'],
  ov_no: ['不启动', 'Does not apply'],
  ov_per_person: ['每人（元）', 'Per person (yuan)'],
  ov_record_month: ['录入本月指数', 'Record the month'],
  ov_recorded: ['{m} 已录入：{a}', '{m} recorded: {a}'],
  ov_proposal: ['测算低保标准', 'Propose standards'],
  ov_consumption: ['城市居民人均月消费支出（元）', 'Urban consumption a person a month (yuan)'],
  ov_share: ['比例（‰）', 'Share (‰)'],
  ov_propose: ['测算', 'Propose'],
  ov_proposed: ['测算结果：城市 {u} 元，农村 {r} 元（城乡比 {p}‰，沿用版本 {v}）。仅为测算，未做任何修改。', 'Proposal: urban {u}, rural {r} yuan (ratio {p}‰, as version {v}). Nothing was changed.'],
});

// The staff roles identity takes (IdentityUserRequest.role).
const STAFF_ROLES = ['clerk', 'investigator', 'village_reviewer', 'township_officer', 'district_officer', 'emergency_officer', 'finance', 'finance_approver', 'supervisor', 'inspector', 'district_admin'];

function RoleSelect({ id, value, onChange }) {
  return html`
    <div class="field"><label for=${id}>${t('ov_role')}</label>
      <select id=${id} value=${value} onChange=${(e) => onChange(e.target.value)}>
        ${STAFF_ROLES.map((r) => html`<option value=${r}>${t('r_' + r)}</option>`)}
      </select></div>`;
}

function NewUser({ user, onCreated }) {
  const empty = () => ({ username: '', display_name: '', role: 'clerk', jurisdiction: user.juris || '', id_number: '', password: '' });
  const [f, setF] = useState(empty);
  const [key, setKey] = useState(newKey);
  const [err, setErr] = useState(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(null);
  async function submit(e) {
    e.preventDefault();
    setErr(null);
    setDone(null);
    setBusy(true);
    try {
      const u = await call('POST', 'identity', 'users', { ...f, username: f.username.trim(), display_name: f.display_name.trim(), kind: 'staff' }, key);
      setDone(u);
      setF(empty());
      setKey(newKey());
      onCreated();
    } catch (p) {
      setErr(p);
    }
    setBusy(false);
  }
  const set = (k) => (v) => setF({ ...f, [k]: v });
  return html`
    <form class="card" onSubmit=${submit} id="new-user">
      <h2>${t('ov_new_user')}</h2>
      <div class="grid">
        <${Input} id="nu-username" label=${t('username')} value=${f.username} onInput=${set('username')} required autocomplete="off" />
        <${Input} id="nu-name" label=${t('ov_display_name')} value=${f.display_name} onInput=${set('display_name')} required />
        <${RoleSelect} id="nu-role" value=${f.role} onChange=${set('role')} />
        <${Input} id="nu-juris" label=${t('ov_juris')} hint=${t('ov_juris_hint')} value=${f.jurisdiction} onInput=${set('jurisdiction')} inputmode="numeric" maxlength="12" required />
        <${IdField} id="nu-idn" value=${f.id_number} onChange=${set('id_number')} />
        <${Input} id="nu-password" type="password" label=${t('ov_password')} hint=${t('ov_password_hint')} value=${f.password} onInput=${set('password')} autocomplete="new-password" required />
      </div>
      <${ErrorNote} err=${err} id="nu-error" />
      ${done && html`<p class="ok" role="status" id="nu-done">${t('ov_created', { u: done.username })}</p>`}
      <button type="submit" id="nu-submit" disabled=${busy}>${t('ov_create')}</button>
    </form>`;
}

export function UsersScreen({ user }) {
  const [find, setFind] = useState('');
  const [q, setQ] = useState({});
  const list = usePaged('identity', 'users', q);
  return html`
    <section class="ov">
      <h1>${t('ov_users')}</h1>
      <${NewUser} user=${user} onCreated=${list.reload} />
      <form class="card ov-filter" onSubmit=${(e) => { e.preventDefault(); setQ(find.trim() ? { username: find.trim() } : {}); }}>
        <${Input} id="us-find" label=${t('ov_find_user')} value=${find} onInput=${setFind} autocomplete="off" />
        <button type="submit" id="us-search">${t('ov_search')}</button>
      </form>
      <${ErrorNote} err=${list.err} />
      <${Loading} items=${list.items} err=${list.err} />
      <${ListTable} id="users" items=${list.items} cols=${[
        ['username', (u) => html`<a href=${`#/user/${u.id}`}>${u.username}</a>`],
        ['ov_display_name', (u) => u.display_name],
        ['ov_role', (u) => word('r_', u.role)],
        ['ov_juris', (u) => u.jurisdiction],
        ['ov_user_state', (u) => (u.disabled ? html`<span class="status st-returned">${t('ov_disabled')}</span>` : t('ov_enabled'))],
        ['ov_created_at', (u) => when(u.created_at)],
      ]} />
      ${list.next && html`<button type="button" onClick=${list.more}>${t('more')}</button>`}
    </section>`;
}

export function UserScreen({ params }) {
  const id = params[0] || '';
  const [u, setU] = useState(null);
  const [f, setF] = useState(null);
  const [err, setErr] = useState(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const [tick, setTick] = useState(0);
  const changes = usePaged('identity', `users/${encodeURIComponent(id)}/changes`, { tick });
  function show(x) {
    setU(x);
    setF({ display_name: x.display_name, role: x.role, jurisdiction: x.jurisdiction, password: '' });
  }
  useEffect(() => { call('GET', 'identity', `users/${encodeURIComponent(id)}`).then(show, setErr); }, [id]);
  async function patch(body) {
    setErr(null);
    setSaved(false);
    setBusy(true);
    try {
      show(await call('PATCH', 'identity', `users/${encodeURIComponent(id)}`, body, newKey()));
      setSaved(true);
      setTick((n) => n + 1);
    } catch (p) {
      setErr(p);
    }
    setBusy(false);
  }
  function save(e) {
    e.preventDefault();
    const body = {};
    for (const k of ['display_name', 'role', 'jurisdiction']) if (f[k] !== u[k]) body[k] = f[k];
    if (f.password) body.password = f.password;
    patch(body);
  }
  return html`
    <section class="ov">
      <div class="bar"><h1>${u ? `${u.display_name}（${u.username}）` : t('ov_users')}</h1><a href="#/users">${t('ov_back')}</a></div>
      ${u && f && html`
        <dl class="facts">
          <dt>${t('ov_user_state')}</dt><dd id="us-state">${u.disabled ? t('ov_disabled') : t('ov_enabled')}${u.locked_until ? ` · ${t('ov_locked', { t: when(u.locked_until) })}` : ''}</dd>
          <dt>${t('id_number')}</dt><dd>${u.id_number || ''}</dd>
          <dt>${t('ov_created_at')}</dt><dd>${when(u.created_at)}</dd>
        </dl>
        <form class="card" onSubmit=${save} id="edit-user">
          <div class="grid">
            <${Input} id="eu-name" label=${t('ov_display_name')} value=${f.display_name} onInput=${(v) => setF({ ...f, display_name: v })} />
            <${RoleSelect} id="eu-role" value=${f.role} onChange=${(v) => setF({ ...f, role: v })} />
            <${Input} id="eu-juris" label=${t('ov_juris')} hint=${t('ov_juris_hint')} value=${f.jurisdiction} onInput=${(v) => setF({ ...f, jurisdiction: v })} inputmode="numeric" maxlength="12" />
            <${Input} id="eu-password" type="password" label=${t('ov_new_password')} hint=${t('ov_password_hint')} value=${f.password} onInput=${(v) => setF({ ...f, password: v })} autocomplete="new-password" />
          </div>
          <div class="ov-actions">
            <button type="submit" id="eu-save" disabled=${busy}>${t('ov_save')}</button>
            <button type="button" id="eu-disable" class="secondary" disabled=${busy} onClick=${() => patch({ disabled: !u.disabled })}>${u.disabled ? t('ov_enable') : t('ov_disable')}</button>
            ${(u.locked_until || u.failed_logins > 0) && html`<button type="button" class="secondary" disabled=${busy} onClick=${() => patch({ unlock: true })}>${t('ov_unlock')}</button>`}
          </div>
        </form>`}
      ${saved && html`<p class="ok" role="status" id="eu-saved">${t('ov_saved')}</p>`}
      <${ErrorNote} err=${err} id="eu-error" />
      <h2>${t('ov_changes')}</h2>
      <${Loading} items=${changes.items} err=${changes.err} />
      <${ListTable} id="user-changes" items=${changes.items} cols=${[
        ['ov_at', (c) => when(c.changed_at)],
        ['ov_field', (c) => c.field],
        ['ov_old', (c) => c.old_value || ''],
        ['ov_new', (c) => c.new_value || ''],
        ['ov_by', (c) => c.changed_by || ''],
      ]} />
    </section>`;
}

function PriceIndices() {
  const list = usePaged('approval', 'price-indices', {});
  const [f, setF] = useState({ month: '', cpi: '', food: '' });
  const [err, setErr] = useState(null);
  const [done, setDone] = useState(null);
  async function submit(e) {
    e.preventDefault();
    setErr(null);
    setDone(null);
    try {
      const r = await call('POST', 'approval', 'price-indices', { month: f.month, cpi_permille: Number(f.cpi), food_cpi_permille: Number(f.food) }, newKey());
      setDone(r);
      list.reload();
    } catch (p) {
      setErr(p);
    }
  }
  return html`
    <h2>${t('ov_price_indices')}</h2>
    <${Loading} items=${list.items} err=${list.err} />
    <${ErrorNote} err=${list.err} />
    <${ListTable} id="price-indices" items=${list.items} cols=${[
      ['ov_month', (m) => m.month],
      ['ov_cpi', (m) => m.cpi_permille],
      ['ov_food_cpi', (m) => m.food_cpi_permille],
      ['ov_applies', (m) => (m.applies ? t('ov_yes') : t('ov_no'))],
      ['ov_per_person', (m) => yuan(m.per_person_fen)],
      ['ov_version', (m) => m.policy_version || ''],
    ]} />
    ${list.next && html`<button type="button" onClick=${list.more}>${t('more')}</button>`}
    <form class="card ov-filter" onSubmit=${submit} id="price-form">
      <${Input} id="pi-month" type="month" label=${t('ov_month')} value=${f.month} onInput=${(v) => setF({ ...f, month: v })} required />
      <${Input} id="pi-cpi" label=${t('ov_cpi')} value=${f.cpi} onInput=${(v) => setF({ ...f, cpi: v })} inputmode="numeric" required />
      <${Input} id="pi-food" label=${t('ov_food_cpi')} value=${f.food} onInput=${(v) => setF({ ...f, food: v })} inputmode="numeric" required />
      <button type="submit" id="pi-submit">${t('ov_record_month')}</button>
    </form>
    <${ErrorNote} err=${err} id="pi-error" />
    ${done && html`<p class="ok" role="status">${t('ov_recorded', { m: done.month, a: done.applies ? `${t('ov_yes')} ${yuan(done.per_person_fen)}` : t('ov_no') })}</p>`}`;
}

function Proposal() {
  const [f, setF] = useState({ consumption: '', share: '' });
  const [err, setErr] = useState(null);
  const [r, setR] = useState(null);
  async function submit(e) {
    e.preventDefault();
    setErr(null);
    setR(null);
    const fen = yuanToFen(f.consumption);
    if (fen === null) {
      setErr({ code: 'invalid_money' });
      return;
    }
    try {
      setR(await call('POST', 'approval', 'standards/proposal', { consumption_fen: fen, share_permille: Number(f.share) }));
    } catch (p) {
      setErr(p);
    }
  }
  return html`
    <h2>${t('ov_proposal')}</h2>
    <form class="card ov-filter" onSubmit=${submit} id="proposal-form">
      <${Input} id="sp-consumption" label=${t('ov_consumption')} value=${f.consumption} onInput=${(v) => setF({ ...f, consumption: v })} inputmode="decimal" required />
      <${Input} id="sp-share" label=${t('ov_share')} value=${f.share} onInput=${(v) => setF({ ...f, share: v })} inputmode="numeric" required />
      <button type="submit" id="sp-submit">${t('ov_propose')}</button>
    </form>
    <${ErrorNote} err=${err} id="sp-error" />
    ${r && html`<p class="ok" role="status" id="sp-result">${t('ov_proposed', { u: yuan(r.urban_min_fen), r: yuan(r.rural_min_fen), p: r.ratio_permille, v: r.based_on })}</p>`}`;
}

// The yuan fields of a version and the integer ones, with their words.
const VERSION_YUAN = [['urban_min_fen', 'ov_urban_min'], ['rural_min_fen', 'ov_rural_min'],
  ['urban_basic_fen', 'ov_urban_basic'], ['rural_basic_fen', 'ov_rural_basic'],
  ['care_able_fen', 'ov_care_able'], ['care_partially_able_fen', 'ov_care_partly'],
  ['care_unable_fen', 'ov_care_unable'], ['business_capital_limit_fen', 'ov_business_limit']];
const VERSION_INT = [['low_income_factor_percent', 'ov_low_income_pct'], ['asset_multiple', 'ov_asset_multiple'],
  ['max_homes', 'ov_max_homes']];

function nextMonthFirst() {
  const d = new Date();
  const y = d.getMonth() === 11 ? d.getFullYear() + 1 : d.getFullYear();
  const m = (d.getMonth() + 1) % 12 + 1;
  return `${y}-${String(m).padStart(2, '0')}-01`;
}

// approval's POST /policy (Idempotency-Key kept until it is answered):
// every figure, prefilled from the version in force; money typed in yuan
// and sent as integer fen.
function NewVersion({ base, onAdded }) {
  const start = () => {
    const f = { version: '', effective_from: nextMonthFirst(), force: false, force_reason: '' };
    for (const [k] of VERSION_YUAN) f[k] = base && base[k] !== undefined ? fenToYuan(base[k]) : '';
    for (const [k] of VERSION_INT) f[k] = base && base[k] !== undefined ? String(base[k]) : '';
    f.version = f.effective_from.slice(0, 7);
    return f;
  };
  const [f, setF] = useState(start);
  const [key, setKey] = useState(newKey);
  const [err, setErr] = useState(null);
  const [done, setDone] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    setErr(null);
    setDone(null);
    const body = { version: f.version.trim(), effective_from: f.effective_from };
    for (const [k] of VERSION_YUAN) {
      const fen = yuanToFen(f[k]);
      if (fen === null) { setErr({ code: 'invalid_money', field: k }); return; }
      body[k] = fen;
    }
    for (const [k] of VERSION_INT) {
      if (!/^[0-9]{1,6}$/.test(f[k].trim())) { setErr({ code: 'invalid_field', field: k }); return; }
      body[k] = Number(f[k].trim());
    }
    if (f.force) { body.force = true; body.force_reason = f.force_reason.trim(); }
    setBusy(true);
    try {
      const r = await call('POST', 'approval', 'policy', body, key);
      setDone(r);
      setKey(newKey());
      onAdded();
    } catch (p) {
      setErr(p);
    }
    setBusy(false);
  }
  const set = (k) => (v) => setF({ ...f, [k]: v });
  return html`
    <h2>${t('ov_new_version')}</h2>
    <p class="note">${t('ov_new_version_note')}</p>
    <form class="card ov-filter" onSubmit=${submit} id="version-form">
      <${Input} id="pv-version" label=${t('ov_version')} value=${f.version} onInput=${set('version')} required maxlength="31" />
      <${Input} id="pv-effective" label=${t('ov_effective')} type="date" value=${f.effective_from} onInput=${set('effective_from')} required />
      ${VERSION_YUAN.map(([k, w]) => html`<${Input} id=${`pv-${k}`} label=${t(w)} value=${f[k]} onInput=${set(k)} inputmode="decimal" required />`)}
      ${VERSION_INT.map(([k, w]) => html`<${Input} id=${`pv-${k}`} label=${t(w)} value=${f[k]} onInput=${set(k)} inputmode="numeric" required />`)}
      <div class="field check"><label for="pv-force"><input type="checkbox" id="pv-force" checked=${f.force} onChange=${(e) => setF({ ...f, force: e.target.checked })} /> ${t('ov_force')}</label></div>
      ${f.force && html`<${Input} id="pv-force-reason" label=${t('ov_force_reason')} value=${f.force_reason} onInput=${set('force_reason')} required />`}
      <button type="submit" id="pv-submit" disabled=${busy}>${t('ov_add_version')}</button>
    </form>
    <${ErrorNote} err=${err} id="pv-error" />
    ${done && html`<p class="ok" role="status" id="pv-added">${t('ov_version_added', { v: done.version, d: done.effective_from, r: done.ratio_permille })}</p>`}`;
}

export function PolicyScreen() {
  const [p, setP] = useState(null);
  const [err, setErr] = useState(null);
  const load = () => call('GET', 'approval', 'policy').then(setP, setErr);
  useEffect(() => { load(); }, []);
  const versions = p ? p.versions || [] : [];
  const inForce = versions.find((v) => p && v.version === p.in_force);
  return html`
    <section class="ov">
      <h1>${t('ov_policy')}</h1>
      <${ErrorNote} err=${err} />
      ${p === null && !err && html`<p>${t('loading')}</p>`}
      ${p && html`
        <dl class="facts" id="policy-now">
          <dt>${t('ov_in_force')}</dt><dd id="policy-in-force">${p.in_force || '—'}</dd>
          <dt>${t('ov_ratio')}</dt><dd>${p.urban_rural_ratio || '—'}</dd>
          <dt>${t('ov_override_reasons')}</dt><dd>${(p.override_reasons || []).map((o) => o.label).join('；')}</dd>
        </dl>
        <p class="note">${t('ov_yuan_month')}</p>
        <${ListTable} id="policy-versions" items=${versions} cols=${[
          ['ov_version', (v) => html`${v.version}${v.version === p.in_force ? html` <span class="status st-open">${t('ov_in_force')}</span>` : ''}`],
          ['ov_effective', (v) => v.effective_from],
          ['ov_urban_min', (v) => yuan(v.urban_min_fen)],
          ['ov_rural_min', (v) => yuan(v.rural_min_fen)],
          ['ov_urban_basic', (v) => yuan(v.urban_basic_fen)],
          ['ov_rural_basic', (v) => yuan(v.rural_basic_fen)],
          ['ov_care', (v) => `${yuan(v.care_able_fen)} / ${yuan(v.care_partially_able_fen)} / ${yuan(v.care_unable_fen)}`],
          ['ov_low_income_factor', (v) => `${v.low_income_factor_percent}%`],
        ]} />`}
      ${p && html`<${NewVersion} base=${inForce} onAdded=${load} />`}
      <${Proposal} />
      <${PriceIndices} />
    </section>`;
}
