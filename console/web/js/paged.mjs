// Paged lists of a service (sn/page.h: {items, next}): allPages(service,
// path) gives every item at once; usePaged(service,
// path, query) gives {items (null while loading, and while the first
// page failed), next, err, more(), reload()}. query's members that are
// not empty are added to path (which may carry its own ?query), with
// limit 50 unless query gives one, and the cursor; the list is loaded
// again whenever path or query changes (query null: not yet asked).
// more() appends the next page.
import { useEffect, useState } from '../vendor/hooks.mjs';
import { call } from './api.mjs';

// "a=1&b=2" of the members that are not empty.
export function qs(o) {
  return Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

// Every page of a paged list (sn/page.h: {items, next}).
export async function allPages(service, path) {
  let items = [];
  let next = null;
  do {
    const page = await call('GET', service, `${path}${path.includes('?') ? '&' : '?'}limit=100${next ? `&cursor=${encodeURIComponent(next)}` : ''}`);
    items = items.concat(page.items);
    next = page.next;
  } while (next);
  return items;
}

export function usePaged(service, path, query = {}) {
  const [items, setItems] = useState(null);
  const [next, setNext] = useState(null);
  const [err, setErr] = useState(null);
  async function load(after) {
    setErr(null);
    try {
      const q = qs({ limit: 50, ...query, cursor: after || '' });
      const page = await call('GET', service, `${path}${path.includes('?') ? '&' : '?'}${q}`);
      setItems((old) => (after && old ? old.concat(page.items) : page.items));
      setNext(page.next);
    } catch (p) {
      setErr(p);
    }
  }
  const key = JSON.stringify(query);
  useEffect(() => { setItems(null); if (query) load(null); }, [service, path, key]);
  return { items, next, err, more: () => load(next), reload: () => load(null) };
}
