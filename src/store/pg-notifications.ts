import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Notifications } from './store.js';

/** Where processes tell each other which payloads of which channel they wait for (see `want`). */
const WANTS_CHANNEL = 'assistd_wants';
/** A waiter repeats its `want` this often while it keeps waiting; the others forget it after `WANT_TTL_MS`. */
const WANT_RENEW_MS = 5_000;
const WANT_TTL_MS = 15_000;
/** Past this many entries, expired ones are swept out of the maps below. */
const SWEEP_AT = 256;

function sweep(entries: Map<string, number>, before: number): void {
  if (entries.size < SWEEP_AT) return;
  for (const [key, at] of entries) if (at < before) entries.delete(key);
}

/**
 * LISTEN/NOTIFY over one dedicated connection (a pooled connection would drop its LISTENs when returned).
 * The connection is opened on the first `listen` and reopened if it drops. Besides plain channels it keeps the
 * `want`s other processes announce, so a writer can leave out a NOTIFY nobody elsewhere waits for: each costs
 * Postgres a lock at commit and a signal to every listening connection.
 */
export function createPgNotifications(pool: pg.Pool, url: string): Notifications & { close(): Promise<void> } {
  const handlers = new Map<string, Set<(payload: string) => void>>();
  /** This process, so that it does not take its own wants for another's. */
  const self = randomUUID();
  /** `channel payload` → when another process's want lapses (ms). */
  const wants = new Map<string, number>();
  /** `channel payload` → when this process last announced it (ms). */
  const announced = new Map<string, number>();
  /** The connection listens on WANTS_CHANNEL: wants announced from now on reach `wants`. */
  let hearing = false;
  let client: Promise<pg.Client> | undefined;
  let closed = false;

  function heardWant(message: string): void {
    const [sender, key] = [message.slice(0, message.indexOf(' ')), message.slice(message.indexOf(' ') + 1)];
    if (sender === self) return;
    const now = Date.now();
    sweep(wants, now);
    wants.set(key, now + WANT_TTL_MS);
  }

  function connect(): Promise<pg.Client> {
    client ??= (async () => {
      const c = new pg.Client({ connectionString: url });
      c.on('notification', (msg) => {
        if (msg.channel === WANTS_CHANNEL) return heardWant(msg.payload ?? '');
        for (const handler of handlers.get(msg.channel) ?? []) handler(msg.payload ?? '');
      });
      c.on('error', () => {
        client = undefined;
        hearing = false;
        if (!closed) setTimeout(() => void relisten().catch(() => {}), 1000).unref();
      });
      await c.connect();
      await c.query(`LISTEN ${WANTS_CHANNEL}`);
      hearing = true;
      return c;
    })();
    return client;
  }

  async function relisten(): Promise<void> {
    const c = await connect();
    for (const channel of handlers.keys()) await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
  }

  return {
    async notify(channel, payload) {
      await pool.query('select pg_notify($1, $2)', [channel, payload]);
    },
    async listen(channel, onMessage) {
      let set = handlers.get(channel);
      if (!set) {
        set = new Set();
        handlers.set(channel, set);
        await (await connect()).query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      }
      set.add(onMessage);
      return async () => {
        set.delete(onMessage);
      };
    },
    want(channel, payload) {
      const key = `${channel} ${payload}`;
      const now = Date.now();
      if ((announced.get(key) ?? 0) > now - WANT_RENEW_MS) return;
      sweep(announced, now - WANT_RENEW_MS);
      announced.set(key, now);
      void pool.query('select pg_notify($1, $2)', [WANTS_CHANNEL, `${self} ${key}`]).catch(() => announced.delete(key));
    },
    wanted(channel, payload) {
      // Until this process hears wants, it cannot know of any: it wakes everyone, as without wants.
      if (!hearing) return true;
      return (wants.get(`${channel} ${payload}`) ?? 0) > Date.now();
    },
    async close() {
      closed = true;
      hearing = false;
      const c = client;
      client = undefined;
      if (c) await (await c.catch(() => undefined))?.end().catch(() => {});
    },
  };
}
