import type { SearchLanguage } from '../store/search-language.js';

// Words of queries and passages, as the lexical side of search sees them: runs of letters and digits, lowercased,
// the way both full-text engines split text (codes like ZX-4471 become "zx" and "4471").

// Function words that say nothing about what a passage is about. Searching for them would match nearly every
// chunk, which is slow and only adds noise to the ranking.
const STOPWORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both but by ' +
    'can could did do does doing down during each few for from further had has have having he her here hers herself him ' +
    'himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other ' +
    'our ours ourselves out over own same she should so some such than that the their theirs them themselves then there ' +
    'these they this those through to too under until up very was we were what when where which while who whom why will ' +
    'with would you your yours yourself yourselves tell find show give please know'
  ).split(' '),
);

const MAX_TERMS = 32;

/** Every word of `text`, lowercased, in order. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** The words worth searching for: distinct, without stopwords (unless the query is nothing but stopwords). */
export function contentTerms(query: string): string[] {
  const all = [...new Set(words(query))];
  const content = all.filter((w) => !STOPWORDS.has(w));
  return (content.length > 0 ? content : all).slice(0, MAX_TERMS);
}

/**
 * Folds plural forms onto the singular so "gates" meets "gate" when passages are compared with queries in memory
 * (the full-text engines stem on their own).
 */
export function normalizeTerm(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return word.slice(0, -3) + 'y';
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss') && !/\d/.test(word)) return word.slice(0, -1);
  return word;
}

/** How passages and queries are compared in memory, as the lexical index reads words: plurals folded for english. */
export function termFolder(language: SearchLanguage): (word: string) => string {
  return language === 'english' ? normalizeTerm : (word) => word;
}

/** The query as keywords: what the hosted API's `rewrite_query` reports in `search_query`. */
export function rewriteQuery(query: string): string {
  const terms = contentTerms(query);
  return terms.length > 0 ? terms.join(' ') : query.trim();
}
