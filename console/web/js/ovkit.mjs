// The oversight screens' small shared parts (figures.mjs, supervise.mjs,
// admin.mjs): a refusal in words, a query string, a time in the
// district's way, a paged list, and a bar chart drawn as SVG (no chart
// library: bars of a row each, the labels and numbers stay HTML text).
import { useEffect, useState } from '../vendor/hooks.mjs';
import { call } from './api.mjs';
import { html } from './html.mjs';
import { getLang, t } from './i18n.mjs';
import { problemText } from './problems.mjs';

export function ErrorNote({ err, id }) {
  if (!err) return null;
  return html`<p class="error" role="alert" id=${id}>${problemText(err, getLang())}${err.field ? html` <code>${err.field}</code>` : ''}</p>`;
}

// "a=1&b=2" of the members that are not empty.
export function qs(o) {
  return Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

// An RFC 3339 time as "YYYY-MM-DD HH:MM" in the browser's zone.
export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

// A word of a family (prefix + code), or the code itself when the
// console has no word for it (a new rule, a role added later).
export function word(prefix, code) {
  const s = t(prefix + code);
  return s === prefix + code ? code : s;
}

// A paged list (sn/page.h: {items, next}) of service/path?query, loaded
// again whenever query changes (null: not yet asked); more() appends the
// next page.
export function usePaged(service, path, query) {
  const [items, setItems] = useState(null);
  const [next, setNext] = useState(null);
  const [err, setErr] = useState(null);
  async function load(after) {
    setErr(null);
    try {
      const q = qs({ ...query, limit: 50, cursor: after || '' });
      const page = await call('GET', service, `${path}?${q}`);
      setItems((old) => (after && old ? old.concat(page.items) : page.items));
      setNext(page.next);
    } catch (p) {
      setErr(p);
      if (!after) setItems([]);
    }
  }
  const key = JSON.stringify(query);
  useEffect(() => { setItems(null); if (query) load(null); }, [key]);
  return { items, next, err, more: () => load(next), reload: () => load(null) };
}

export function Loading({ items, err }) {
  if (items === null && !err) return html`<p>${t('loading')}</p>`;
  if (items && items.length === 0 && !err) return html`<p>${t('empty_list')}</p>`;
  return null;
}

// Horizontal bars, one row per item: the label, the bar (SVG, scaled to
// the largest value; CSS gives it its colour, the CSP allows no inline
// style), the value as text. The SVG is decoration (aria-hidden): the
// figures are in the text beside it.
export function Bars({ id, caption, rows }) {
  const max = Math.max(1, ...rows.map((r) => Math.abs(r.value)));
  return html`
    <figure class="ov-chart" id=${id}>
      <figcaption>${caption}</figcaption>
      ${rows.length === 0 ? html`<p class="note">${t('empty_list')}</p>` : html`
        <ul class="ov-bars">
          ${rows.map((r) => html`
            <li>
              <span class="ov-bar-label">${r.label}</span>
              <svg class="ov-bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">
                <rect class="ov-bar-bg" x="0" y="0" width="100" height="10" />
                <rect class="ov-bar-fg" x="0" y="0" width=${(100 * Math.abs(r.value)) / max} height="10" />
              </svg>
              <span class="ov-bar-value">${r.text}</span>
            </li>`)}
        </ul>`}
    </figure>`;
}

// A list as a table: cols are [word key, cell of an item]; each cell
// carries its header as data-label, which a phone shows beside it (one
// card per row, app.css). Nothing when there are no items.
export function ListTable({ id, cols, items }) {
  if (!items || items.length === 0) return null;
  return html`
    <table class="list" id=${id}>
      <thead><tr>${cols.map(([key]) => html`<th scope="col">${t(key)}</th>`)}</tr></thead>
      <tbody>${items.map((it) => html`<tr>${cols.map(([key, cell]) => html`<td data-label=${t(key)}>${cell(it)}</td>`)}</tr>`)}</tbody>
    </table>`;
}
