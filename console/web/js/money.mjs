// Money is integer fen everywhere; the form takes yuan with at most two
// decimals and converts by string, never through floating point.
export function yuanToFen(s) {
  const m = /^\s*([0-9]{1,12})(?:\.([0-9]{1,2}))?\s*$/.exec(s || '');
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0'));
}

export function fenToYuan(fen) {
  const f = Math.abs(fen);
  return `${fen < 0 ? '-' : ''}${Math.floor(f / 100)}.${String(f % 100).padStart(2, '0')}`;
}

// fen in yuan, or nothing when there is no figure.
export function yuan(fen) {
  return fen === undefined || fen === null ? '' : fenToYuan(fen);
}
