import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { foregroundInFlight } from '../../src/lib/foreground-work.js';
import { reply, startChatUpstream, type ChatUpstream } from '../support/chat-upstream.js';
import { createTestDatabase } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';

// Ingestion yields to requests and runs (src/lib/background-gate.ts) but is never starved by them: a batch
// uploaded with `uploadAndPoll` completes while a run streams the whole time and short streamed runs follow one
// another, and the count of foreground work goes back to zero once they all end (nothing leaks it).

const FILES = 30;

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !check(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() > deadline) assert.fail('condition not reached in time');
  }
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`ingestion under foreground load on ${dialect}`, () => {
    let upstream: ChatUpstream;
    let server: TestServer;
    let client: OpenAI;

    before(async () => {
      upstream = await startChatUpstream({ record: false });
      const env: Record<string, string> = { OPENAI_BASE_URL: upstream.baseURL, OPENAI_API_KEY: 'test', ASSISTD_INGEST_YIELD_MS: '10' };
      if (dialect === 'postgres') env.DATABASE_URL = await createTestDatabase();
      server = await startTestServer(env);
      client = server.openai();
    });
    after(async () => {
      await server.close();
      await upstream.close();
    });

    test('a batch completes while runs stream without pause', { timeout: 60_000 }, async () => {
      const assistant = await client.beta.assistants.create({ model: 'gpt-4o-mini' });
      // A run that streams until cancelled: foreground work is in flight from here to the end.
      upstream.enqueue(reply.endless(20));
      const endless = await client.beta.threads.createAndRun({ assistant_id: assistant.id, stream: true, thread: { messages: [{ role: 'user', content: 'go on' }] } });
      const iterator = endless[Symbol.asyncIterator]();
      let runId = '';
      while (!runId) {
        const { value } = await iterator.next();
        if (value.event === 'thread.run.created') runId = value.data.id;
      }
      const threadId = (await iterator.next()).value.data.thread_id as string;
      await until(() => foregroundInFlight() > 0);

      let stop = false;
      let shortRuns = 0;
      const shortLoop = (async () => {
        while (!stop) {
          const stream = await client.beta.threads.createAndRun({ assistant_id: assistant.id, stream: true, thread: { messages: [{ role: 'user', content: 'hi' }] } });
          for await (const _ of stream);
          shortRuns++;
        }
      })();

      const vs = await client.vectorStores.create({ name: 'under load' });
      const files = await Promise.all(Array.from({ length: FILES }, (_, i) => toFile(Buffer.from(`Record ${i}: the access code for room ${i} is K-${1000 + i}.`), `r${i}.txt`)));
      const batch = await client.vectorStores.fileBatches.uploadAndPoll(vs.id, { files });
      assert.equal(foregroundInFlight() > 0, true, 'the endless run was still streaming');
      stop = true;
      await shortLoop;
      assert.equal(batch.status, 'completed');
      assert.deepEqual(batch.file_counts, { in_progress: 0, completed: FILES, failed: 0, cancelled: 0, total: FILES });
      assert.ok(shortRuns > 0, 'short runs went on meanwhile');

      await client.beta.threads.runs.cancel(runId, { thread_id: threadId });
      for await (const _ of { [Symbol.asyncIterator]: () => iterator });
      await until(() => foregroundInFlight() === 0);
    });
  });
}
