import { createHash, randomBytes } from 'node:crypto';

/** Keys are stored as their sha256; the secret itself is shown once, at creation. */
export function hashKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function newKeySecret(): string {
  return `sk-assistd-${randomBytes(24).toString('base64url')}`;
}

export function keyHint(secret: string): string {
  return `${secret.slice(0, 11)}...${secret.slice(-4)}`;
}
