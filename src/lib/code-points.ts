/**
 * The length of `text` in Unicode code points, not UTF-16 units: annotation indexes count characters as the
 * hosted API (Python) did.
 */
export function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
