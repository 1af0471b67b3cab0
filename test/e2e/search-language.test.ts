import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import pg from 'pg';
import { createTestDatabase } from '../support/postgres.js';
import { startTestServer } from '../support/server.js';

// search_language decides how the lexical index reads words; a change of it rebuilds the index at the next start,
// so a store indexed with stemming answers exact words only once switched to `none`, and stems again after.

async function addFile(client: OpenAI, storeId: string, name: string, text: string): Promise<string> {
  const file = await client.files.create({ file: await toFile(Buffer.from(text), name), purpose: 'assistants' });
  const done = await client.vectorStores.files.createAndPoll(storeId, { file_id: file.id }, { pollIntervalMs: 25 });
  assert.equal(done.status, 'completed');
  return file.id;
}

const found = async (client: OpenAI, storeId: string, query: string) =>
  (await client.vectorStores.search(storeId, { query })).data.map((hit) => hit.file_id).sort();

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`search_language on ${dialect}`, () => {
    test('english stems; switched to none the index is rebuilt and finds exact words only; switched back it stems again', async () => {
      const env: Record<string, string> = dialect === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {};
      const english = await startTestServer(env);
      const { dataDir } = english;
      let storeId: string;
      let gates: string;
      try {
        const client = english.openai();
        storeId = (await client.vectorStores.create({ name: 'words' })).id;
        gates = await addFile(client, storeId, 'gates.txt', 'The north gates open at dawn.');
        assert.deepEqual(await found(client, storeId, 'gate'), [gates], 'english: "gate" finds "gates"');
      } finally {
        await english.stop();
      }

      const exact = await startTestServer({ ...env, ASSISTD_SEARCH_LANGUAGE: 'none' }, dataDir);
      let gate: string;
      try {
        const client = exact.openai();
        assert.equal(exact.store.chunks.language, 'none');
        assert.deepEqual(await found(client, storeId, 'gate'), [], 'none: the stem no longer matches');
        assert.deepEqual(await found(client, storeId, 'gates'), [gates], 'none: the exact word still does');
        if (dialect === 'postgres') {
          const db = new pg.Client({ connectionString: env.DATABASE_URL });
          await db.connect();
          const { rows } = await db.query(`select indexdef from pg_indexes where indexname = 'search_chunks_tsv'`).finally(() => db.end());
          assert.match(rows[0]?.indexdef ?? '', /USING gin \(tsv\) WITH \(fastupdate='?off'?\)/, 'the GIN index is made again as it was');
        }
        gate = await addFile(client, storeId, 'gate.txt', 'One gate stays shut.');
        assert.deepEqual(await found(client, storeId, 'gate'), [gate], 'files added after the switch are indexed without stemming');
      } finally {
        await exact.stop();
      }

      const again = await startTestServer(env, dataDir);
      try {
        assert.deepEqual(await found(again.openai(), storeId, 'gate'), [gate, gates].sort(), 'english again: both forms');
      } finally {
        await again.close();
      }
    });
  });
}

describe('search_language on Postgres only', () => {
  test('a Snowball language other than english stems its own words', async () => {
    const env = { DATABASE_URL: await createTestDatabase() };
    const english = await startTestServer(env);
    const { dataDir } = english;
    let storeId: string;
    let houses: string;
    try {
      const client = english.openai();
      storeId = (await client.vectorStores.create({ name: 'wörter' })).id;
      houses = await addFile(client, storeId, 'haeuser.txt', 'Die alten Häuser stehen am Fluss.');
      assert.deepEqual(await found(client, storeId, 'Haus'), [], 'english does not stem german plurals');
    } finally {
      await english.stop();
    }
    const german = await startTestServer({ ...env, ASSISTD_SEARCH_LANGUAGE: 'german' }, dataDir);
    try {
      assert.deepEqual(await found(german.openai(), storeId, 'Haus'), [houses]);
    } finally {
      await german.close();
    }
  });
});
