import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { checkHost } from '../../src/sandbox/host-check.js';
import { defaultSandboxOptions } from '../../src/sandbox/sandbox.js';
import { createTestDatabase } from '../support/postgres.js';
import { startReplica, type Replica } from '../support/replica.js';

// A thread's code session lives on one replica: the thread's next run, created on another replica, is executed
// where the session is and sees its variables; once that replica is killed, the next run gets a fresh session
// and the model is told the state was reset.

const host = checkHost(defaultSandboxOptions);
const LEASE = { ASSISTD_RUN_LEASE_SECONDS: '2' };

function codeTurn(code: string): string {
  const steps = [{ tool_calls: [{ name: 'code_interpreter', arguments: { code } }] }, { text: 'done' }];
  return `\`\`\`script\n${JSON.stringify(steps)}\n\`\`\``;
}

/** Adds a user turn on `client`'s replica, runs it to the end there and returns the code call's logs. */
async function codeRun(client: OpenAI, threadId: string, assistantId: string, code: string): Promise<string> {
  const run = await client.beta.threads.runs.createAndPoll(threadId, { assistant_id: assistantId, additional_messages: [{ role: 'user', content: codeTurn(code) }] }, { pollIntervalMs: 50 });
  assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
  const steps = await client.beta.threads.runs.steps.list(run.id, { thread_id: threadId });
  const call = steps.data.flatMap((s) => (s.step_details.type === 'tool_calls' ? s.step_details.tool_calls : []))[0];
  assert.ok(call?.type === 'code_interpreter');
  return call.code_interpreter.outputs.flatMap((o) => (o.type === 'logs' ? [o.logs] : [])).join('');
}

describe('code sessions follow their thread across replicas', { skip: host.available ? false : host.reason }, () => {
  let url: string;
  let first: Replica;
  let second: Replica | undefined;
  before(async () => {
    url = await createTestDatabase();
    first = await startReplica(url, LEASE);
  });
  after(() => {
    first?.kill();
    second?.kill();
  });

  test('the next run, created on another replica, runs where the session is; after kill -9, a fresh session says so', async () => {
    const assistant = await first.client.beta.assistants.create({ model: 'scripted', tools: [{ type: 'code_interpreter' }] });
    const thread = await first.client.beta.threads.create();
    assert.equal(await codeRun(first.client, thread.id, assistant.id, 'x = 41\nprint("set")'), 'set\n');

    // Started afterwards: it has room and takes the runs created on it, but not this thread's.
    second = await startReplica(url, LEASE);
    assert.equal(await codeRun(second.client, thread.id, assistant.id, 'x += 1\nprint(x)'), '42\n');
    assert.equal(await codeRun(second.client, thread.id, assistant.id, 'print(x)'), '42\n');

    first.child.kill('SIGKILL');
    const logs = await codeRun(second.client, thread.id, assistant.id, 'print("x" in globals())');
    assert.match(logs, /^False\n/);
    assert.match(logs, /code session of this conversation was reset/);
    // The fresh session is the thread's now: its state carries on.
    assert.equal(await codeRun(second.client, thread.id, assistant.id, 'y = 1\nprint(y)'), '1\n');
  });
});
