// The oversight screens' small shared parts (figures.mjs, supervise.mjs,
// admin.mjs, emergency.mjs, finance.mjs, notice.mjs): a time in the
// browser's zone or the district's, a word of a family, and a
// bar chart drawn as SVG (no chart library: bars of a row each, the
// labels and numbers stay HTML text). Paged lists: paged.mjs; refusals
// in words: problems.mjs.
import { html } from './html.mjs';
import { t } from './i18n.mjs';

// An RFC 3339 time as "YYYY-MM-DD HH:MM" in the browser's zone.
export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

// A timestamp as the district's local time (UTC+8), YYYY-MM-DD HH:MM.
export function dt(s) {
  if (!s) return '';
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) return s.replace('T', ' ').slice(0, 16);
  return new Date(ms + 8 * 3600 * 1000).toISOString().replace('T', ' ').slice(0, 16);
}

// A word of a family (prefix + code), or the code itself when the
// console has no word for it (a new rule, a role added later); nothing
// without a code.
export function word(prefix, code) {
  if (code === null || code === undefined || code === '') return '';
  const s = t(prefix + code);
  return s === prefix + code ? code : s;
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
