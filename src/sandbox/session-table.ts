import type { Session } from './session.js';

interface Waiter {
  key: string;
  grant(session: Session): void;
  fail(err: Error): void;
}

/**
 * The live sessions by key, at most `max` of them. A new session takes a free slot, else the slot of the least
 * recently used idle session (which is closed), else it waits: waiters are served strictly in arrival order, and
 * while any wait, a newcomer queues behind them rather than taking a slot that frees up.
 */
export class SessionTable {
  /** In order of last use: the first idle one is the one to evict. */
  private readonly sessions = new Map<string, Session>();
  private readonly waiters: Waiter[] = [];

  constructor(
    private readonly max: number,
    /** `evicted` settles once the session whose slot this one takes is gone: start nothing before it. */
    private readonly create: (key: string, evicted: Promise<void>) => Session,
    /** Told of each key whose session left the table (evicted, expired, removed or cleared). */
    private readonly ended: (key: string) => void = () => {},
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  /**
   * Calls `use` with the key's session as soon as it has one; `use` must start a call on it synchronously, so
   * the session is busy before anyone else could evict it. `cancelled` answers instead when `signal` aborts first.
   */
  run<T>(key: string, use: (session: Session) => Promise<T>, cancelled: () => T, signal?: AbortSignal): Promise<T> {
    const existing = this.touch(key);
    if (existing) return use(existing);
    const room = this.waiters.length === 0 ? this.makeRoom() : undefined;
    if (room) return use(this.add(key, room));
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        key,
        grant: (session) => {
          signal?.removeEventListener('abort', onAbort);
          use(session).then(resolve, reject);
        },
        fail: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      const onAbort = () => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        resolve(cancelled());
      };
      if (signal?.aborted) return resolve(cancelled());
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Serves waiters after a session became idle or was removed. */
  changed(): void {
    while (this.waiters.length > 0) {
      const waiter = this.waiters[0] as Waiter;
      let session = this.touch(waiter.key);
      if (!session) {
        const room = this.makeRoom();
        if (!room) return;
        session = this.add(waiter.key, room);
      }
      this.waiters.shift();
      waiter.grant(session);
    }
  }

  /** Removes the key's session (the caller closes it) and lets a waiter have its slot. */
  remove(key: string): Session | undefined {
    const session = this.sessions.get(key);
    if (!session) return undefined;
    this.sessions.delete(key);
    this.ended(key);
    queueMicrotask(() => this.changed());
    return session;
  }

  /** Removes and returns every idle session `expired` selects. */
  removeIdle(expired: (session: Session) => boolean): Session[] {
    const removed = [...this.sessions].filter(([, session]) => expired(session));
    for (const [key] of removed) this.remove(key);
    return removed.map(([, session]) => session);
  }

  /** Removes every session; waiters get `failed`'s error. */
  clear(failed: () => Error): Session[] {
    const all = [...this.sessions.values()];
    const keys = [...this.sessions.keys()];
    this.sessions.clear();
    for (const key of keys) this.ended(key);
    for (const waiter of this.waiters.splice(0)) waiter.fail(failed());
    return all;
  }

  private touch(key: string): Session | undefined {
    const session = this.sessions.get(key);
    if (!session) return undefined;
    if (session.expired(Date.now())) {
      this.sessions.delete(key);
      this.ended(key);
      void session.close();
      return undefined;
    }
    this.sessions.delete(key);
    this.sessions.set(key, session);
    return session;
  }

  /**
   * A promise when a slot is free, undefined when none is: it settles once the least recently used idle session,
   * evicted to free the slot, is closed.
   */
  private makeRoom(): Promise<void> | undefined {
    if (this.sessions.size < this.max) return Promise.resolve();
    for (const [key, session] of this.sessions) {
      if (session.busy) continue;
      this.sessions.delete(key);
      this.ended(key);
      return session.close().catch(() => undefined);
    }
    return undefined;
  }

  private add(key: string, evicted: Promise<void>): Session {
    const session = this.create(key, evicted);
    this.sessions.set(key, session);
    return session;
  }
}
