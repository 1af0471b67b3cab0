import type { ProjectLimits, RateLimitSettings } from '../config.js';
import type { RateLimitsRepo } from '../store/rate-limits-repo.js';

/** Keys whose limits are kept; past it the memory starts over (each key then costs one read again). */
const MAX_KEYS = 10_000;

/**
 * The limits of a key by its hash (as requests and runs carry it): the `rate_limits.keys` entry for its id, else
 * for its name, else `per_key`. A key's id and name never change, so each key is looked up once; without
 * entries nothing is looked up and every key has `per_key`'s. A hash of no stored key (ASSISTD_API_KEY's) has
 * `per_key`'s.
 */
export function createKeyLimits(settings: RateLimitSettings) {
  const known = new Map<string, ProjectLimits>();
  return function limitsOf(keyHash: string, repo: RateLimitsRepo): ProjectLimits | Promise<ProjectLimits> {
    if (settings.keys.size === 0 || keyHash === '') return settings.key;
    const hit = known.get(keyHash);
    if (hit) return hit;
    return repo.keyIdentity(keyHash).then((key) => {
      const limits = (key && (settings.keys.get(key.id) ?? settings.keys.get(key.name))) || settings.key;
      if (known.size >= MAX_KEYS) known.clear();
      known.set(keyHash, limits);
      return limits;
    });
  };
}

/** Whether any key (by `per_key` or its own entry) has a limit of this kind. */
export function anyKeyLimits(settings: RateLimitSettings, kind: keyof ProjectLimits): boolean {
  return Boolean(settings.key[kind]) || [...settings.keys.values()].some((limits) => Boolean(limits[kind]));
}

/**
 * The `rate_limits.keys` entries naming no key of `keys` by id or name, to warn of at start: a mistyped entry
 * would otherwise leave its key on `per_key` without a word (it may also name a key yet to be created).
 */
export function unmatchedKeyEntries(settings: RateLimitSettings, keys: ReadonlyArray<{ id: string; name: string }>): string[] {
  const known = new Set(keys.flatMap((key) => [key.id, key.name]));
  return [...settings.keys.keys()].filter((entry) => !known.has(entry));
}
