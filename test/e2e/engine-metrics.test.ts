import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

test('/metrics after a run with a tool call: runs, duration, model calls, first token, tokens, tool calls', async () => {
  const client = server.openai();
  const assistant = await client.beta.assistants.create({
    model: 'scripted',
    tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
  });
  const script = '```script\n[{"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]}, {"text": "It is {{tool_output.0}}."}]\n```';
  const run = await client.beta.threads.createAndRunPoll({ assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: script }] } });
  assert.equal(run.status, 'requires_action');
  const call = run.required_action!.submit_tool_outputs.tool_calls[0]!;
  const done = await client.beta.threads.runs.submitToolOutputsAndPoll(run.id, { thread_id: run.thread_id, tool_outputs: [{ tool_call_id: call.id, output: 'sunny' }] });
  assert.equal(done.status, 'completed');

  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(metrics)?.[1]);
  assert.equal(value('assistd_runs_total{status="completed",model="scripted"}'), 1);
  assert.equal(value('assistd_run_duration_seconds_count{status="completed",model="scripted"}'), 1);
  assert.equal(value('assistd_model_call_duration_seconds_count{model="scripted",provider="scripted",outcome="ok"}'), 2);
  assert.equal(value('assistd_model_time_to_first_token_seconds_count{model="scripted",provider="scripted"}'), 2);
  assert.equal(value('assistd_tool_calls_total{type="function",outcome="requested"}'), 1);
  assert.equal(value('assistd_tokens_total{model="scripted",project="default",kind="prompt"}'), done.usage!.prompt_tokens);
  assert.equal(value('assistd_tokens_total{model="scripted",project="default",kind="completion"}'), done.usage!.completion_tokens);
  assert.match(metrics, /assistd_http_requests_total\{method="POST",route="\/v1\/threads\/runs",status="200"\} 1/);
});
