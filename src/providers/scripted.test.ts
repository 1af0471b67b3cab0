import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProviderError, type ChatEvent, type ChatMessage, type ChatModel } from './chat-model.js';
import { collectChat } from './collect-chat.js';
import { createInMemoryScriptSource, type Script } from './script.js';
import { createScriptedModel, isScriptedModelName } from './scripted.js';
import { countTextTokens } from './token-estimate.js';

const source = createInMemoryScriptSource({
  weather: {
    rules: [
      {
        match: '/weather in (\\w+)/i',
        steps: [
          { text: 'Let me check.', tool_calls: [{ name: 'get_weather', arguments: { city: '{{last_user}}' } }, { name: 'get_time', arguments: '{}' }] },
          { text: 'Weather: {{tool_output.0}}; time: {{tool_output.1}}.' },
        ],
      },
      { steps: [{ chunks: ['Ask me ', 'about the weather.'], usage: { prompt_tokens: 7, completion_tokens: 5 } }] },
    ],
  },
});

const user = (content: string): ChatMessage => ({ role: 'user', content });
const signal = () => new AbortController().signal;

async function eventsOf(model: ChatModel, messages: ChatMessage[], s = signal()): Promise<ChatEvent[]> {
  const out: ChatEvent[] = [];
  for await (const e of model.stream({ model: model.info.name, messages }, s)) out.push(e);
  return out;
}

describe('scripted model', () => {
  test('is selected by `scripted` and `scripted:<name>` only', () => {
    assert.equal(isScriptedModelName('scripted'), true);
    assert.equal(isScriptedModelName('scripted:weather'), true);
    assert.equal(isScriptedModelName('scripted:'), false);
    assert.equal(isScriptedModelName('gpt-4o'), false);
  });

  test('without a script it echoes the last user message in several word deltas, with tokenizer usage', async () => {
    const events = await eventsOf(createScriptedModel('scripted', source), [{ role: 'system', content: 'Be brief.' }, user('hello there world')]);
    const deltas = events.flatMap((e) => (e.type === 'text' ? [e.delta] : []));
    assert.deepEqual(deltas, ['You ', 'said: ', 'hello ', 'there ', 'world']);
    const usage = events.at(-2)!;
    assert.equal(usage.type, 'usage');
    assert.ok(usage.type === 'usage');
    assert.equal(usage.completion_tokens, countTextTokens('You said: hello there world'));
    assert.ok(usage.prompt_tokens > usage.completion_tokens);
    assert.deepEqual(events.at(-1), { type: 'finish', reason: 'stop' });
  });

  test('a named script plays its steps: tool calls with deterministic ids, then templates over the outputs', async () => {
    const model = createScriptedModel('scripted:weather', source);
    const history: ChatMessage[] = [user('What is the weather in Paris?')];
    const first = await collectChat(model.stream({ model: 'scripted:weather', messages: history }, signal()));
    assert.equal(first.text, 'Let me check.');
    assert.equal(first.finish_reason, 'tool_calls');
    assert.deepEqual(first.tool_calls.map((c) => [c.function.name, c.function.arguments]), [
      ['get_weather', '{"city":"What is the weather in Paris?"}'],
      ['get_time', '{}'],
    ]);
    assert.match(first.tool_calls[0]!.id, /^call_[0-9a-f]{24}$/);
    assert.notEqual(first.tool_calls[0]!.id, first.tool_calls[1]!.id);
    const again = await collectChat(model.stream({ model: 'scripted:weather', messages: history }, signal()));
    assert.deepEqual(again.tool_calls.map((c) => c.id), first.tool_calls.map((c) => c.id), 'same conversation, same ids');

    history.push(
      { role: 'assistant', content: first.text, tool_calls: first.tool_calls },
      { role: 'tool', tool_call_id: first.tool_calls[0]!.id, content: 'sunny' },
      { role: 'tool', tool_call_id: first.tool_calls[1]!.id, content: '14:00' },
    );
    const second = await collectChat(model.stream({ model: 'scripted:weather', messages: history }, signal()));
    assert.equal(second.text, 'Weather: sunny; time: 14:00.');
    assert.equal(second.finish_reason, 'stop');

    history.push({ role: 'assistant', content: second.text });
    const third = await collectChat(model.stream({ model: 'scripted:weather', messages: history }, signal()));
    assert.equal(third.text, 'Tool outputs:\nsunny\n14:00', 'out of steps: summarise the tool outputs');
  });

  test('the default rule streams explicit chunks and reports the given usage', async () => {
    const events = await eventsOf(createScriptedModel('scripted:weather', source), [user('hi')]);
    assert.deepEqual(events, [
      { type: 'text', delta: 'Ask me ' },
      { type: 'text', delta: 'about the weather.' },
      { type: 'usage', prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  test('an unknown script name fails with invalid_prompt naming it', async () => {
    const err = await eventsOf(createScriptedModel('scripted:nope', source), [user('hi')]).catch((e) => e);
    assert.ok(err instanceof ProviderError);
    assert.equal(err.code, 'invalid_prompt');
    assert.match(err.message, /no script named "nope"/);
  });

  test('a ```script block in the message scripts that turn, and is left out of {{last_user}}', async () => {
    const steps = [{ tool_calls: [{ name: 'file_search', arguments: { query: '{{last_user}}' }, id: 'call_fixed' }] }, { text: 'Found: {{tool_outputs}}' }];
    const message = `find the report\n\`\`\`script\n${JSON.stringify(steps)}\n\`\`\``;
    const model = createScriptedModel('scripted', source);
    const first = await collectChat(model.stream({ model: 'scripted', messages: [user(message)] }, signal()));
    assert.deepEqual(first.tool_calls, [{ id: 'call_fixed', type: 'function', function: { name: 'file_search', arguments: '{"query":"find the report"}' } }]);
    const second = await collectChat(model.stream({
      model: 'scripted',
      messages: [user(message), { role: 'assistant', content: null, tool_calls: first.tool_calls }, { role: 'tool', tool_call_id: 'call_fixed', content: 'report.pdf' }],
    }, signal()));
    assert.equal(second.text, 'Found: report.pdf');
  });

  test('a bad ```script block fails with invalid_prompt saying what is wrong', async () => {
    const model = createScriptedModel('scripted', source);
    const notJson = await eventsOf(model, [user('```script\n{nope\n```')]).catch((e) => e);
    assert.ok(notJson instanceof ProviderError && notJson.code === 'invalid_prompt');
    assert.match(notJson.message, /not valid JSON/);
    const badStep = await eventsOf(model, [user('```script\n{"text": 5}\n```')]).catch((e) => e);
    assert.ok(badStep instanceof ProviderError && badStep.code === 'invalid_prompt');
    assert.match(badStep.message, /text: /);
  });

  test('error steps fail like an upstream would, after any text', async () => {
    const script = (error: object): string => `\`\`\`script\n${JSON.stringify({ text: 'partial', error })}\n\`\`\``;
    const model = createScriptedModel('scripted', source);
    const cases: Array<[object, string]> = [
      [{ status: 429, message: 'slow down' }, 'rate_limit_exceeded'],
      [{ status: 500, message: 'kaput' }, 'server_error'],
      [{ status: 400, message: 'too long' }, 'invalid_prompt'],
      [{ status: 503, message: 'custom', code: 'rate_limit_exceeded' }, 'rate_limit_exceeded'],
    ];
    for (const [error, code] of cases) {
      const seen: ChatEvent[] = [];
      const err = await (async () => { for await (const e of model.stream({ model: 'scripted', messages: [user(script(error))] }, signal())) seen.push(e); })().catch((e) => e);
      assert.ok(err instanceof ProviderError, JSON.stringify(error));
      assert.equal(err.code, code);
      assert.equal(err.message, (error as { message: string }).message);
      assert.deepEqual(seen, [{ type: 'text', delta: 'partial' }]);
    }
  });

  test('delays are honoured and abortable; length finish is reported', async () => {
    const model = createScriptedModel('scripted', source);
    const slow = '```script\n{"text": "late", "delay_ms": 150, "finish_reason": "length"}\n```';
    const started = performance.now();
    const turn = await collectChat(model.stream({ model: 'scripted', messages: [user(slow)] }, signal()));
    assert.ok(performance.now() - started >= 140);
    assert.equal(turn.finish_reason, 'length');

    const controller = new AbortController();
    const aborted = eventsOf(model, [user(slow.replace('150', '60000'))], controller.signal);
    setTimeout(() => controller.abort(), 20);
    const t0 = performance.now();
    await assert.rejects(aborted, { name: 'AbortError' });
    assert.ok(performance.now() - t0 < 1_000);
  });

  test('rules are matched in order and fall back to the first default', async () => {
    const script: Script = { rules: [{ steps: [{ text: 'default' }] }, { match: '^bye', steps: [{ text: 'goodbye' }] }] };
    const model = createScriptedModel('scripted:s', createInMemoryScriptSource({ s: script }));
    assert.equal((await collectChat(model.stream({ model: 'scripted:s', messages: [user('bye now')] }, signal()))).text, 'goodbye');
    assert.equal((await collectChat(model.stream({ model: 'scripted:s', messages: [user('hello')] }, signal()))).text, 'default');
  });
});
