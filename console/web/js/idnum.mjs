// Resident identity numbers (GB 11643-1999), as libcommon/src/idnum.c
// checks them: 6-digit area, 8-digit birth date, 3-digit sequence, and a
// check character by ISO 7064 MOD 11-2 over the first 17 digits.
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

// The check character of 17 digits, or null.
export function checkChar(first17) {
  if (!/^[0-9]{17}$/.test(first17)) return null;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * WEIGHTS[i];
  return CHECK[sum % 11];
}

// The birth date "YYYY-MM-DD" of a number, or null when it is no date.
export function birthDate(s) {
  if (!/^[0-9]{14}/.test(s)) return null;
  const y = +s.slice(6, 10), m = +s.slice(10, 12), d = +s.slice(12, 14);
  const dt = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || dt.getUTCFullYear() !== y || dt.getUTCMonth() !== m - 1 || dt.getUTCDate() !== d) return null;
  return `${s.slice(6, 10)}-${s.slice(10, 12)}-${s.slice(12, 14)}`;
}

// As the user types: 'empty', 'partial' (a prefix that may still be
// right), 'bad_chars', 'bad_date', 'bad_check' or 'ok'.
export function idnumState(raw) {
  const s = (raw || '').trim().toUpperCase();
  if (s === '') return 'empty';
  if (!/^[0-9]{0,17}[0-9X]?$/.test(s) || (s.length < 18 && s.includes('X'))) return 'bad_chars';
  if (s.length >= 14 && birthDate(s) === null) return 'bad_date';
  if (s.length < 18) return 'partial';
  return checkChar(s.slice(0, 17)) === s[17] ? 'ok' : 'bad_check';
}
