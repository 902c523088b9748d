/**
 * The two Python string behaviours the built-in chat formatters must copy from transformers' Jinja (which
 * runs on Python): `str.strip()` (the `trim` filter) and `dictsort` key order.
 */

/** Python's `str.isspace` set (differs from JS `trim`: includes U+001C–U+001F and U+0085, excludes U+FEFF). */
const PY_SPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

export function isPythonSpace(ch: string): boolean {
  return PY_SPACE.test(ch);
}

/** Python `s.strip()`. */
export function pythonStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isPythonSpace(s[start]!)) start++;
  while (end > start && isPythonSpace(s[end - 1]!)) end--;
  return s.slice(start, end);
}

/** Python string order: by code point (JS `<` compares UTF-16 code units, which differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/**
 * Entries in Jinja `dictsort` order: by key, case-insensitively (its default `case_sensitive=False`
 * lower-cases string keys), stable for keys that compare equal.
 */
export function dictsortEntries<V>(object: { readonly [key: string]: V }): [string, V][] {
  return Object.entries(object)
    .map(([k, v]) => ({ k, v, lower: k.toLowerCase() }))
    .sort((a, b) => compareCodePoints(a.lower, b.lower))
    .map(({ k, v }) => [k, v]);
}
