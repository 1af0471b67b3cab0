// Wire types of the Containers API, spelled as openai-node 6.x spells them (resources/containers).

export const MEMORY_LIMITS = ['1g', '4g', '16g', '64g'] as const;
export type MemoryLimit = (typeof MEMORY_LIMITS)[number];

/** The hosted defaults: 1 GiB, and expiry after 20 minutes without activity. */
export const DEFAULT_MEMORY_LIMIT: MemoryLimit = '1g';
export const DEFAULT_EXPIRY_MINUTES = 20;

/** What a memory limit means for the sandbox session behind the container. */
export function memoryLimitBytes(limit: MemoryLimit): number {
  return Number.parseInt(limit, 10) * 1024 ** 3;
}

/** A container: a code session with its own /mnt/data, `running` until it has been idle for `expires_after.minutes`. */
export interface ContainerObject {
  id: string;
  object: 'container';
  created_at: number;
  name: string;
  status: 'running' | 'expired';
  expires_after: { anchor: 'last_active_at'; minutes: number };
  /** Unix seconds of the last call of code or change of its files. */
  last_active_at: number;
  memory_limit: MemoryLimit;
  /** The sandbox has no network: every container's policy is `disabled`. */
  network_policy: { type: 'disabled' };
}

/**
 * A container as stored: a thread's code session (Assistants API) is a container too, one the API does not
 * show, named by the thread it belongs to.
 */
export type StoredContainer = ContainerObject & { thread_id?: string };

/** A file in a container's /mnt/data: uploaded or copied in (`user`), or written by the code (`assistant`). */
export interface ContainerFileObject {
  id: string;
  object: 'container.file';
  container_id: string;
  created_at: number;
  bytes: number;
  /** Absolute path in the container, under /mnt/data. */
  path: string;
  source: 'user' | 'assistant';
}

/** The path a file of that name has in a container. */
export function containerPath(name: string): string {
  return `/mnt/data/${name}`;
}
