import type { FastifyRequest } from 'fastify';
import { AuthenticationError } from '../domain/errors.js';
import { hashKey } from '../lib/api-keys.js';
import type { Store } from '../store/store.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The project the request's key belongs to; objects of other projects are invisible. */
    project: string;
    /** The hash of the request's key (`''` on a server without keys): per-key rate limits count by it. */
    keyId: string;
  }
}

export const DEFAULT_PROJECT = 'default';
const CACHE_MS = 2000;

/** Resolves a request's key to its project. Lookups are cached briefly: a revoked key stops working within 2 s. */
export function createAuthenticator(store: Store, configuredKey: string | undefined) {
  const configuredHash = configuredKey ? hashKey(configuredKey) : undefined;
  let keysExist: { value: boolean; at: number } | undefined;
  const known = new Map<string, { project: string | null; at: number }>();

  async function required(): Promise<boolean> {
    if (configuredHash) return true;
    if (!keysExist || Date.now() - keysExist.at > CACHE_MS) keysExist = { value: (await store.keys.countActive()) > 0, at: Date.now() };
    return keysExist.value;
  }

  async function projectOf(hash: string): Promise<string | null> {
    if (hash === configuredHash) return DEFAULT_PROJECT;
    const hit = known.get(hash);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.project;
    const key = await store.keys.findActive(hash);
    if (known.size > 10_000) known.clear();
    known.set(hash, { project: key?.project ?? null, at: Date.now() });
    return key?.project ?? null;
  }

  return {
    required,
    /** The request's project, and its key's hash (`''` on a server without keys) for per-key rate limits. */
    async authenticate(request: FastifyRequest): Promise<{ project: string; keyId: string }> {
      if (!(await required())) return { project: DEFAULT_PROJECT, keyId: '' };
      const secret = presentedKey(request);
      if (!secret) {
        throw new AuthenticationError(
          "You didn't provide an API key. Send it as 'Authorization: Bearer <key>' or in the 'api-key' header.",
        );
      }
      const keyId = hashKey(secret);
      const project = await projectOf(keyId);
      if (!project) throw new AuthenticationError('Incorrect API key provided.');
      return { project, keyId };
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match) return match[1]!.trim();
  }
  const apiKey = request.headers['api-key'];
  return typeof apiKey === 'string' && apiKey.trim() ? apiKey.trim() : undefined;
}
