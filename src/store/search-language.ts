/**
 * How the lexical index reads words. `english` stems (porter on SQLite, Snowball english on Postgres: "gates"
 * finds "gate"); `none` matches words exactly as written (lowercased), which suits code, identifiers and
 * languages no stemmer here knows. The other languages are Postgres' Snowball configurations: SQLite's FTS5
 * has only the porter (english) stemmer built in.
 */
export const POSTGRES_ONLY_LANGUAGES = [
  'danish', 'dutch', 'finnish', 'french', 'german', 'hungarian', 'italian', 'norwegian', 'portuguese', 'romanian', 'russian', 'spanish', 'swedish', 'turkish',
] as const;
export const SEARCH_LANGUAGES = ['english', 'none', ...POSTGRES_ONLY_LANGUAGES] as const;
export type SearchLanguage = (typeof SEARCH_LANGUAGES)[number];

/** FTS5's tokenizer per language SQLite supports. */
export const FTS5_TOKENIZERS: Partial<Record<SearchLanguage, string>> = {
  english: 'porter unicode61 remove_diacritics 2',
  none: 'unicode61 remove_diacritics 2',
};

/** Postgres' text search configuration for a language (`simple` lowercases and keeps every word). */
export const textSearchConfigName = (language: SearchLanguage) => (language === 'none' ? 'simple' : language);
