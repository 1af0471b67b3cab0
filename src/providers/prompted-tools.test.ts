import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProviderError, type ChatEvent, type ChatModel, type ChatRequest } from './chat-model.js';
import { collectChat } from './collect-chat.js';
import { isToolsRejection, MAX_REMEMBERED_REJECTIONS, promptedRequest, withPromptedTools } from './prompted-tools.js';

const tool = (name: string) => ({ type: 'function' as const, function: { name, parameters: { type: 'object', properties: {} } } });

/** A model that replies with `text` in small deltas and records what it was asked. */
function fakeModel(text: string, seen: ChatRequest[] = []): ChatModel {
  return {
    info: { name: 'm', provider: 'fake', contextWindow: 8192, supportsTools: false, supportsVision: false },
    async *stream(req): AsyncGenerator<ChatEvent> {
      seen.push(req);
      for (let i = 0; i < text.length; i += 5) yield { type: 'text', delta: text.slice(i, i + 5) };
      yield { type: 'usage', prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };
      yield { type: 'finish', reason: 'stop' };
    },
  };
}

describe('prompted tools', () => {
  test('recognizes how servers refuse tools, and not a bad schema', () => {
    const rejection = (message: string, status = 400) => isToolsRejection(new ProviderError('invalid_prompt', `the upstream of model "m" answered ${status}: ${message}`, { status }));
    assert.ok(rejection('registry.ollama.ai/library/gemma:2b does not support tools'));
    assert.ok(rejection('"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'));
    assert.ok(rejection('tools param requires --jinja flag'));
    assert.ok(rejection('Unrecognized request argument supplied: tools'));
    assert.ok(!rejection("Invalid schema for function 'get_weather': 'object' is not a valid type"));
    assert.ok(!rejection('does not support tools', 500));
    assert.ok(!rejection('max_tokens is too large'));
  });

  test('parallel_tool_calls: false keeps the first call; the finish reason says tool_calls', async () => {
    const two = '<tool_call>{"name":"a","arguments":{}}</tool_call><tool_call>{"name":"b","arguments":{}}</tool_call>';
    const model = withPromptedTools(fakeModel(two), { always: true, key: 'k1' });
    assert.equal(model.info.supportsTools, true);
    const turn = await collectChat(model.stream({ model: 'm', messages: [{ role: 'user', content: 'go' }], tools: [tool('a'), tool('b')], parallel_tool_calls: false }, new AbortController().signal));
    assert.deepEqual(turn.tool_calls.map((c) => c.function.name), ['a']);
    assert.equal(turn.finish_reason, 'tool_calls');
    assert.equal(turn.text, '');
  });

  test('tool_choice none: no tools described and a call-looking reply stays text', async () => {
    const seen: ChatRequest[] = [];
    const reply = '<tool_call>{"name":"a","arguments":{}}</tool_call>';
    const model = withPromptedTools(fakeModel(reply, seen), { always: true, key: 'k2' });
    const turn = await collectChat(model.stream({ model: 'm', messages: [{ role: 'user', content: 'go' }], tools: [tool('a')], tool_choice: 'none' }, new AbortController().signal));
    assert.equal(turn.text, reply);
    assert.deepEqual(seen[0]!.messages, [{ role: 'user', content: 'go' }]);
  });

  test('a forced tool is named in the prompt; a system message is added when there is none', () => {
    const req = promptedRequest({ model: 'm', messages: [{ role: 'user', content: 'go' }], tools: [tool('a')], tool_choice: { type: 'function', function: { name: 'a' } } }, [tool('a')]);
    assert.equal(req.messages[0]!.role, 'system');
    assert.match(req.messages[0]!.content as string, /You must call the tool "a" now\./);
    assert.equal(req.tools, undefined);
    assert.equal(req.tool_choice, undefined);
  });

  test('remembers which upstream models refuse tools, the newest few thousand only', async () => {
    const asked: string[] = [];
    const refusing: ChatModel = {
      info: { name: 'm', provider: 'fake', contextWindow: 8192, supportsTools: false, supportsVision: false },
      async *stream(req): AsyncGenerator<ChatEvent> {
        asked.push(req.tools ? 'native' : 'prompted');
        if (req.tools) throw new ProviderError('invalid_prompt', 'the upstream answered 400: this model does not support tools', { status: 400 });
        yield { type: 'usage', prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };
        yield { type: 'finish', reason: 'stop' };
      },
    };
    const call = (key: string) => collectChat(withPromptedTools(refusing, { always: false, key }).stream({ model: 'm', messages: [{ role: 'user', content: 'go' }], tools: [tool('a')] }, new AbortController().signal));
    await call('refuses-0');
    asked.length = 0;
    await call('refuses-0');
    assert.deepEqual(asked, ['prompted'], 'a refusal is remembered');
    for (let i = 1; i <= MAX_REMEMBERED_REJECTIONS; i++) await call(`refuses-${i}`);
    asked.length = 0;
    await call('refuses-0');
    assert.deepEqual(asked, ['native', 'prompted'], 'the oldest refusal was forgotten');
  });
});
