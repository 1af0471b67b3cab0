/**
 * How the lexical index reads words. `english` stems (porter on SQLite, Snowball english on Postgres: "gates"
 * finds "gate"); `none` matches words exactly as written (lowercased, accents folded on SQLite), which suits code,
 * identifiers and languages the english stemmer would mangle.
 */
export const SEARCH_LANGUAGES = ['english', 'none'] as const;
export type SearchLanguage = (typeof SEARCH_LANGUAGES)[number];

/** FTS5's tokenizer per language (only porter is built into SQLite). */
export const FTS5_TOKENIZERS: Record<SearchLanguage, string> = {
  english: 'porter unicode61 remove_diacritics 2',
  none: 'unicode61 remove_diacritics 2',
};

/** Postgres' text search configuration per language (`simple` lowercases and keeps every word). */
export const TEXT_SEARCH_CONFIGS: Record<SearchLanguage, string> = { english: 'english', none: 'simple' };
