import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type OpenAI from 'openai';
import { hashKey, keyHint } from '../../src/lib/api-keys.js';
import { createTestDatabase } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';

// `GET /v1/threads`, the assistd extension that lists a project's threads, through the SDK's generic get (the SDK
// has no method for it, as the hosted API has no such route), on SQLite and Postgres.

interface ThreadPage {
  object: 'list';
  data: Array<{ id: string; created_at: number; metadata: Record<string, string> }>;
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`thread list on ${db}`, () => {
    let server: TestServer;
    let client: OpenAI;
    const ids: string[] = [];
    before(async () => {
      server = await startTestServer({ ASSISTD_API_KEY: 'sk-main', ...(db === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {}) });
      client = server.openai();
      for (let i = 0; i < 7; i++) {
        const metadata: Record<string, string> = { n: String(i), topic: i % 2 ? 'odd' : 'even' };
        if (i === 3) metadata['a.b "c"'] = 'dotted';
        ids.push((await client.beta.threads.create({ metadata })).id);
      }
    });
    after(() => server.close());

    const list = (query: Record<string, unknown>) => client.get<ThreadPage>('/threads', { query });

    test('pages through every thread newest first with after and before, and oldest first', async () => {
      const seen: string[] = [];
      let page = await list({ limit: 3 });
      seen.push(...page.data.map((t) => t.id));
      while (page.has_more) {
        page = await list({ limit: 3, after: page.last_id });
        seen.push(...page.data.map((t) => t.id));
      }
      assert.deepEqual(seen, [...ids].reverse());
      const back = await list({ limit: 2, before: ids[2] });
      assert.deepEqual(back.data.map((t) => t.id), [ids[4], ids[3]]);
      assert.equal(back.has_more, true);
      const asc = await list({ limit: 100, order: 'asc' });
      assert.deepEqual(asc.data.map((t) => t.id), ids);
      assert.equal(asc.object, 'list');
      assert.equal(asc.first_id, ids[0]);
    });

    test('filters by metadata (the SDK sends metadata[key]=value) and by creation time', async () => {
      const odd = await list({ metadata: { topic: 'odd' }, limit: 2 });
      assert.deepEqual(odd.data.map((t) => t.id), [ids[5], ids[3]]);
      assert.equal(odd.has_more, true);
      const rest = await list({ metadata: { topic: 'odd' }, limit: 2, after: odd.last_id });
      assert.deepEqual(rest.data.map((t) => t.id), [ids[1]]);
      assert.equal(rest.has_more, false);
      assert.deepEqual((await list({ 'metadata[topic]': 'odd', 'metadata[n]': '5' })).data.map((t) => t.id), [ids[5]]);
      assert.deepEqual((await list({ metadata: { 'a.b "c"': 'dotted' } })).data.map((t) => t.id), [ids[3]]);
      assert.deepEqual((await list({ metadata: { topic: 'none' } })).data, []);
      const times = (await list({ limit: 100 })).data.map((t) => t.created_at);
      const newest = Math.max(...times);
      assert.deepEqual((await list({ created_after: newest })).data, []);
      assert.equal((await list({ created_after: Math.min(...times) - 1, limit: 100 })).data.length, 7);
      assert.deepEqual((await list({ created_before: Math.min(...times) })).data, []);
    });

    test('refuses unknown parameters and cursors of another list in the OpenAI error shape', async () => {
      await assert.rejects(list({ colour: 'red' }), (err: { status: number; error: { code: string; param: string } }) => {
        assert.equal(err.status, 400);
        assert.equal(err.error.code, 'unknown_parameter');
        assert.equal(err.error.param, 'colour');
        return true;
      });
      await assert.rejects(list({ after: 'thread_doesnotexist0000000000' }), { status: 400 });
      await assert.rejects(list({ created_after: 'yesterday' }), { status: 400 });
    });

    test('lists only the threads of the caller\'s project', async () => {
      const secret = `sk-test-other-${db}`;
      await server.store.keys.insert({ id: `key_other_${db}`, project: 'other', name: 'other', hint: keyHint(secret), created_at: 1, revoked_at: null, hash: hashKey(secret) });
      const other = server.openai({ apiKey: secret });
      const mine = await other.beta.threads.create({ metadata: { topic: 'odd' } });
      const page = await other.get<ThreadPage>('/threads', { query: { metadata: { topic: 'odd' } } });
      assert.deepEqual(page.data.map((t) => t.id), [mine.id]);
      await assert.rejects(other.get('/threads', { query: { after: ids[0] } }), { status: 400 });
    });
  });
}
