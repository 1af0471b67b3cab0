import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

// The SciFact retrieval benchmark as its README describes it: a corpus of abstracts and claims labelled with the
// documents that support or contradict them. The data lives outside the repository (its licence is CC BY-NC);
// BENCH_SCIFACT_DIR points at it, else `shared/data/scifact` is looked for beside the repository and its parents.

export interface ScifactDoc {
  id: string;
  title: string;
  text: string;
}

export interface ScifactClaim {
  id: string;
  claim: string;
  /** The documents that answer it: the union of `cited_doc_ids` over its rows. */
  relevant: Set<string>;
}

export function scifactDir(explicit: string | undefined): string {
  if (explicit) return resolve(explicit);
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const candidate = join(dir, '..', 'shared', 'data', 'scifact');
    if (existsSync(join(candidate, 'corpus_train.csv'))) return resolve(candidate);
    if (dirname(dir) === dir) break;
  }
  throw new Error('SciFact data not found: set BENCH_SCIFACT_DIR to the directory holding corpus_train.csv and claims_train.csv');
}

/** RFC 4180 CSV: quoted fields may hold commas, newlines and doubled quotes. The first row names the columns. */
function parseCsv(text: string): Array<Record<string, string>> {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field), rows.push(row), (row = []), (field = '');
    } else field += c;
  }
  if (field !== '' || row.length > 0) row.push(field), rows.push(row);
  const [header, ...body] = rows;
  return body.filter((r) => r.length === header!.length).map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])));
}

/** The abstract's sentences, written as a Python list of string literals (single- or double-quoted). */
function sentences(list: string): string[] {
  const out: string[] = [];
  for (const m of list.matchAll(/'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/gs)) out.push((m[1] ?? m[2]!).replace(/\\(.)/g, '$1'));
  return out;
}

const ids = (list: string) => list.match(/\d+/g) ?? [];

export function loadScifact(dir: string): { docs: ScifactDoc[]; claims: ScifactClaim[] } {
  const docs = parseCsv(readFileSync(join(dir, 'corpus_train.csv'), 'utf8')).map((r) => ({
    id: r.doc_id!,
    title: r.title!,
    text: sentences(r.abstract!).join(' '),
  }));
  const byId = new Map<string, ScifactClaim>();
  for (const r of parseCsv(readFileSync(join(dir, 'claims_train.csv'), 'utf8'))) {
    const claim = byId.get(r.id!) ?? { id: r.id!, claim: r.claim!, relevant: new Set<string>() };
    for (const id of ids(r.cited_doc_ids!)) claim.relevant.add(id);
    byId.set(r.id!, claim);
  }
  // Claims without a relevant document cannot be scored.
  return { docs, claims: [...byId.values()].filter((c) => c.relevant.size > 0) };
}

/** BEIR's nDCG@k with binary relevance. */
export function ndcgAt(k: number, ranked: string[], relevant: Set<string>): number {
  let dcg = 0;
  ranked.slice(0, k).forEach((id, i) => relevant.has(id) && (dcg += 1 / Math.log2(i + 2)));
  let ideal = 0;
  for (let i = 0; i < Math.min(k, relevant.size); i++) ideal += 1 / Math.log2(i + 2);
  return dcg / ideal;
}

export function recallAt(k: number, ranked: string[], relevant: Set<string>): number {
  return ranked.slice(0, k).filter((id) => relevant.has(id)).length / relevant.size;
}
