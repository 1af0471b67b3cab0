import type { Store } from '../../store/store.js';

/** Replicas announce the code sessions they take (payload: `<thread id> <owner>`). */
const SESSIONS_CHANNEL = 'assistd_thread_sessions';
/** How often a replica drops long-lapsed ownership rows. */
const PRUNE_MS = 60_000;

export interface SessionAffinityOptions {
  /** This replica's run worker id: the owner its run claims compare with. */
  owner: string;
  /** How long an ownership row lasts without renewal: the run lease, so a killed owner's sessions lapse with its runs. */
  leaseMs: number;
  /** A session unused this long is closed by the sandbox: its ownership is given up then. */
  idleMs: number;
  clock?: () => number;
}

/**
 * Code sessions follow their thread across replicas (Postgres). The replica that runs a thread's code owns the
 * session in the database and renews it while the session lives; other replicas' claims leave the thread's runs
 * to it (run-queue.ts), and a run handed to a replica that knows (from the owner's announcement) that the
 * session lives elsewhere is given back to the queue. When the owner is gone, the next code call starts a fresh
 * session and says so.
 */
export function createSessionAffinity(store: Store, options: SessionAffinityOptions) {
  const { owner, leaseMs, idleMs } = options;
  const clock = options.clock ?? Date.now;
  /** Threads whose session lives here: when last used, and the sandbox's key of the session. */
  const mine = new Map<string, { usedAt: number; sessionKey: string }>();
  /** Threads whose session another replica announced, by when. */
  const elsewhere = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let prunedAt = 0;
  let unlisten: (() => Promise<void>) | undefined;

  async function renew(): Promise<void> {
    const now = clock();
    const idle = [...mine].filter(([, { usedAt }]) => now - usedAt > idleMs).map(([threadId]) => threadId);
    for (const threadId of idle) mine.delete(threadId);
    for (const [threadId, heardAt] of elsewhere) if (now - heardAt > idleMs) elsewhere.delete(threadId);
    await store.threadSessions.release(owner, idle);
    await store.threadSessions.renew(owner, [...mine.keys()], now + leaseMs);
    // A dead replica's sessions would have expired by now anyway: their rows go, and with them the reset note.
    if (now - prunedAt > PRUNE_MS) {
      prunedAt = now;
      await store.threadSessions.prune(now - idleMs);
    }
  }

  return {
    async start(): Promise<void> {
      if (!store.notifications) return;
      unlisten = await store.notifications.listen(SESSIONS_CHANNEL, (payload) => {
        const [threadId, by] = payload.split(' ');
        if (!threadId || by === owner) return;
        elsewhere.set(threadId, clock());
        mine.delete(threadId);
      });
      // Sessions announced before this replica started.
      for (const threadId of await store.threadSessions.heldByOthers(owner, clock())) elsewhere.set(threadId, clock());
      timer = setInterval(() => void renew().catch(() => undefined), Math.max(100, leaseMs / 3));
      timer.unref();
    },
    /**
     * Before a code call on `threadId` (in the sandbox session `sessionKey`): this replica holds the session from
     * now on. `reset` when another replica held it before, so the state the conversation had is gone.
     */
    async take(threadId: string, sessionKey: string): Promise<{ reset: boolean }> {
      const firstUse = !mine.has(threadId);
      mine.set(threadId, { usedAt: clock(), sessionKey });
      elsewhere.delete(threadId);
      if (!firstUse) return { reset: false };
      const previous = await store.threadSessions.take(threadId, owner, clock() + leaseMs);
      await store.notifications?.notify(SESSIONS_CHANNEL, `${threadId} ${owner}`).catch(() => undefined);
      return { reset: previous !== undefined && previous !== owner };
    },
    /**
     * The sandbox ended session `sessionKey` (evicted for room, expired, closed): its thread is no longer held
     * here, so its next runs may go to any replica at once rather than after the idle time.
     */
    async ended(sessionKey: string): Promise<void> {
      const gone = [...mine].filter(([, held]) => held.sessionKey === sessionKey).map(([threadId]) => threadId);
      if (gone.length === 0) return;
      for (const threadId of gone) mine.delete(threadId);
      await store.threadSessions.release(owner, gone);
    },
    /** Whether another replica announced the thread's session (a hint: the claim's check is the authority). */
    livesElsewhere(threadId: string): boolean {
      return elsewhere.has(threadId);
    },
    /** Gives up this replica's sessions so their threads' next runs go anywhere at once. */
    async close(): Promise<void> {
      if (timer) clearInterval(timer);
      await unlisten?.();
      await store.threadSessions.release(owner).catch(() => undefined);
    },
  };
}

export type SessionAffinity = ReturnType<typeof createSessionAffinity>;
