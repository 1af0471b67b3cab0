import pg from 'pg';
import type { Notifications } from './store.js';

/**
 * LISTEN/NOTIFY over one dedicated connection (a pooled connection would drop its LISTENs when returned).
 * The connection is opened on the first `listen` and reopened if it drops.
 */
export function createPgNotifications(pool: pg.Pool, url: string): Notifications & { close(): Promise<void> } {
  const handlers = new Map<string, Set<(payload: string) => void>>();
  let client: Promise<pg.Client> | undefined;
  let closed = false;

  function connect(): Promise<pg.Client> {
    client ??= (async () => {
      const c = new pg.Client({ connectionString: url });
      c.on('notification', (msg) => {
        for (const handler of handlers.get(msg.channel) ?? []) handler(msg.payload ?? '');
      });
      c.on('error', () => {
        client = undefined;
        if (!closed) setTimeout(() => void relisten().catch(() => {}), 1000).unref();
      });
      await c.connect();
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
    async close() {
      closed = true;
      const c = client;
      client = undefined;
      if (c) await (await c.catch(() => undefined))?.end().catch(() => {});
    },
  };
}
