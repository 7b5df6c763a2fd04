// A paged list of a service (sn/page.h: {items, next}), loaded on mount:
// usePaged(service, path) gives {items (null while loading), next, err,
// more()}; more() appends the next page. path carries its own query
// (limit, filters); the cursor is added here.
import { useEffect, useState } from '../vendor/hooks.mjs';
import { call } from './api.mjs';

export function usePaged(service, path) {
  const [items, setItems] = useState(null);
  const [next, setNext] = useState(null);
  const [err, setErr] = useState(null);
  async function load(after) {
    try {
      const page = await call('GET', service, `${path}${after ? `&cursor=${encodeURIComponent(after)}` : ''}`);
      setItems((old) => (after && old ? old.concat(page.items) : page.items));
      setNext(page.next);
    } catch (p) {
      setErr(p);
    }
  }
  useEffect(() => { load(null); }, [service, path]);
  return { items, next, err, more: () => load(next) };
}
