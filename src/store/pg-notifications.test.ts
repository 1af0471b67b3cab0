import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createTestDatabase } from '../../test/support/postgres.js';
import { createPgNotifications } from './pg-notifications.js';

// Wants between processes (two notification hubs on one database stand for two replicas): what one process
// waits for, the other learns, so its writers notify only where someone listens.

describe('postgres notifications: wants', () => {
  let url: string;
  let pool: pg.Pool;
  let raw: pg.Client;
  const announced: string[] = [];
  before(async () => {
    url = await createTestDatabase();
    pool = new pg.Pool({ connectionString: url, max: 2 });
    raw = new pg.Client({ connectionString: url });
    await raw.connect();
    raw.on('notification', (msg) => announced.push(msg.payload ?? ''));
    await raw.query('LISTEN assistd_wants');
  });
  after(async () => {
    await raw.end();
    await pool.end();
  });

  const until = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    return check();
  };

  test('a want reaches the other process only, once per renewal period; a process that hears none yet wakes everyone', async () => {
    const writer = createPgNotifications(pool, url);
    const reader = createPgNotifications(pool, url);
    try {
      assert.equal(writer.wanted('ch', 'run_1'), true, 'not hearing wants yet');
      await writer.listen('ch', () => {});
      await reader.listen('ch', () => {});
      assert.equal(writer.wanted('ch', 'run_1'), false);
      reader.want('ch', 'run_1');
      reader.want('ch', 'run_1');
      assert.ok(await until(() => writer.wanted('ch', 'run_1')));
      assert.equal(writer.wanted('ch', 'run_2'), false);
      assert.equal(writer.wanted('other', 'run_1'), false);
      assert.equal(reader.wanted('ch', 'run_1'), false, 'its own want is not another process waiting');
      assert.ok(await until(() => announced.length > 0));
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(announced.length, 1, announced.join('\n'));
      assert.match(announced[0]!, / ch run_1$/);
    } finally {
      await writer.close();
      await reader.close();
    }
  });
});
