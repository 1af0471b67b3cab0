/**
 * `content-disposition` for a download. Node refuses header values outside Latin-1, so a name like `数据.csv`
 * or `report-😀.txt` travels as `filename*=UTF-8''…` (RFC 6266 / RFC 5987), beside a plain ASCII `filename`
 * for clients that read only that.
 */
export function contentDisposition(filename: string): string {
  // encodeURIComponent throws on an unpaired surrogate (a name read from a sandbox may hold one).
  const name = filename.replace(/\p{Cs}/gu, '\uFFFD');
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/gu, '_');
  if (fallback === name) return `attachment; filename="${name}"`;
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
