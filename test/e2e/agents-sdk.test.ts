import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Agent, OpenAIProvider, Runner, tool } from '@openai/agents';
import { z } from 'zod';
import { createTestDatabase } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { script } from '../support/script.js';

// A real third-party client of the Responses API: the OpenAI Agents SDK for JavaScript runs an agent with a
// function tool against assistd (the scripted model calls the tool, then answers with its output).

const steps = [{ tool_calls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }, { text: 'Oslo: {{tool_output.0}}' }];

for (const db of ['sqlite', 'postgres'] as const) {
  describe(`@openai/agents against assistd (${db})`, () => {
    let server: TestServer;
    let runner: Runner;
    const asked: string[] = [];
    const getWeather = tool({
      name: 'get_weather',
      description: 'The weather in a city.',
      parameters: z.object({ city: z.string() }),
      execute: async ({ city }) => {
        asked.push(city);
        return `sunny in ${city}`;
      },
    });
    const agent = new Agent({ name: 'Weather', instructions: 'Answer with the weather.', model: 'scripted', tools: [getWeather] });

    before(async () => {
      server = await startTestServer(db === 'postgres' ? { DATABASE_URL: await createTestDatabase() } : {});
      runner = new Runner({ modelProvider: new OpenAIProvider({ openAIClient: server.openai(), useResponses: true }), tracingDisabled: true });
    });
    after(async () => {
      await server.close();
    });

    test('an agent calls its function tool and returns the final output', async () => {
      asked.length = 0;
      const result = await runner.run(agent, script(steps));
      assert.equal(result.finalOutput, 'Oslo: sunny in Oslo');
      assert.deepEqual(asked, ['Oslo']);
      const calls = result.newItems.filter((i) => i.type === 'tool_call_item');
      assert.equal(calls.length, 1);
      // Both model calls were responses assistd stored.
      const ids = result.rawResponses.map((r) => r.responseId!);
      assert.equal(ids.length, 2);
      for (const id of ids) assert.equal((await server.openai().responses.retrieve(id)).status, 'completed');
    });

    test('streamed, with the server keeping the chain (previous_response_id)', async () => {
      asked.length = 0;
      const first = await runner.run(agent, script(steps), { stream: true });
      let text = '';
      for await (const event of first.toTextStream()) text += event;
      await first.completed;
      assert.equal(first.finalOutput, 'Oslo: sunny in Oslo');
      assert.equal(text, 'Oslo: sunny in Oslo');
      const next = await runner.run(agent, 'thanks', { previousResponseId: first.lastResponseId! });
      assert.equal(next.finalOutput, 'You said: thanks');
      assert.deepEqual(asked, ['Oslo']);
    });
  });
}
