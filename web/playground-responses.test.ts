import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { toFile } from 'openai';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../test/support/server.js';
import { ARTIFACTS, browserSuite, CHROMIUM_PATH, openPage, screenshot, scripted } from './test-support/browser.js';
import { checkHost } from '../src/sandbox/host-check.js';
import { defaultSandboxOptions } from '../src/sandbox/sandbox.js';

// Responses mode: each turn a streamed `POST /v1/responses` in a conversation, in headless Chromium against a real
// server with the scripted model.

const skip = existsSync(CHROMIUM_PATH) ? false : `no Chromium at ${CHROMIUM_PATH} (npm run setup installs it)`;
const ADDRESS = /\/responses\/(conv_\w+)$/;
const sandbox = checkHost(defaultSandboxOptions);
const CSV = 'city,temp\nOslo,-3\nLima,19\n';
const FACT = 'The launch code for project Kestrel is 7Q4-ZEBRA-19.';

/** Responses mode's own controls (the Assistants panes stay mounted, hidden, with labels of the same names). */
const settings = (page: Page) => page.locator('.responses-page .response-settings');

async function openResponses(page: Page, model = 'scripted') {
  await page.getByRole('link', { name: 'Responses' }).click();
  await page.waitForURL(/\/responses$/);
  await settings(page).getByLabel('Model').fill(model);
}

async function say(page: Page, text: string) {
  await page.getByLabel('Input').fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
}

async function responseStatus(page: Page, status: string, timeout = 30_000) {
  await page.locator(`.response-panel [data-response-status="${status}"]`).waitFor({ timeout });
}

describe('playground responses mode', { skip }, () => {
  let server: TestServer;
  let browser: Browser;
  browserSuite({}, (started) => ({ server, browser } = started));

  test('streams a reply in a conversation that the address keeps through reload, back and forward', async () => {
    const { page, problems, close } = await openPage(browser, server.url);
    const streams: Array<Promise<string>> = [];
    page.on('response', (res) => {
      if (res.request().method() === 'POST' && new URL(res.url()).pathname === '/v1/responses') {
        streams.push(res.text().then((body) => `${res.headers()['content-type']}\n${body}`));
      }
    });
    await openResponses(page);
    const served = (await server.openai().models.list()).data.map((m) => m.id);
    assert.ok(served.length > 0);
    // The list may still be on its way: wait for each model rather than read the box once.
    for (const id of served) await page.locator(`#response-model-suggestions option[value="${id}"]`).waitFor({ state: 'attached' });
    await settings(page).getByLabel('Instructions').fill('Be brief.');
    await say(page, 'hello responses');
    await page.locator('.message-assistant', { hasText: 'You said: hello responses' }).waitFor();
    await responseStatus(page, 'completed');
    await page.waitForURL(ADDRESS);
    const first = ADDRESS.exec(page.url())![1]!;
    const [stream] = await Promise.all(streams);
    assert.match(stream!, /^text\/event-stream/);
    assert.match(stream!, /event: response\.output_text\.delta/);
    assert.match(await page.locator('.response-panel .facts').innerText(), /Tokens\s+\d+ input \+ \d+ output/);
    await page.locator('.response-panel .step[data-item-type="message"]').waitFor();

    // The server holds the turn: the user's message and the reply, in the conversation.
    const items = await server.openai().conversations.items.list(first, { order: 'asc' });
    assert.deepEqual(items.data.map((i) => (i.type === 'message' ? i.role : i.type)), ['user', 'assistant']);
    const created = await server.openai().responses.retrieve((await page.locator('.response-panel .run-id code').innerText()).trim());
    assert.equal(created.instructions, 'Be brief.');
    assert.equal(created.conversation?.id, first);
    await screenshot(page, 'responses-chat');

    // Reload: the conversation, the response details and the settings are as they were.
    await page.reload();
    await page.locator('.message-user', { hasText: 'hello responses' }).waitFor();
    await page.locator('.message-assistant', { hasText: 'You said: hello responses' }).waitFor();
    await responseStatus(page, 'completed');
    assert.equal(await settings(page).getByLabel('Model').inputValue(), 'scripted');
    assert.equal(await settings(page).getByLabel('Instructions').inputValue(), 'Be brief.');

    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.waitForURL(/\/responses$/);
    assert.equal(await page.locator('.responses-page .message').count(), 0);
    await say(page, 'second conversation');
    await page.locator('.message-assistant', { hasText: 'You said: second conversation' }).waitFor();
    await page.waitForURL(ADDRESS);
    const second = ADDRESS.exec(page.url())![1]!;
    assert.notEqual(second, first);

    await page.goBack();
    await page.goBack();
    await page.waitForURL(new RegExp(`/responses/${first}$`));
    await page.locator('.message-user', { hasText: 'hello responses' }).waitFor();
    assert.equal(await page.locator('.message-user', { hasText: 'second conversation' }).count(), 0);
    await page.goForward();
    await page.goForward();
    await page.locator('.message-user', { hasText: 'second conversation' }).waitFor();
    assert.equal(await page.locator('.message-user', { hasText: 'hello responses' }).count(), 0);

    // A fresh tab at the address opens the conversation; the section links keep each mode's place.
    const fresh = await openPage(browser, `${server.url}/responses/${first}`);
    await fresh.page.locator('.message-assistant', { hasText: 'You said: hello responses' }).waitFor();
    await fresh.page.getByRole('link', { name: 'Assistants' }).click();
    await fresh.page.getByRole('link', { name: 'Responses' }).click();
    await fresh.page.waitForURL(new RegExp(`/responses/${first}$`));
    await fresh.page.locator('.message-user', { hasText: 'hello responses' }).waitFor();
    assert.deepEqual(fresh.problems, []);
    await fresh.close();
    assert.deepEqual(problems, []);
    await close();
  });

  test('answers a function call through the form: the output goes back as a function_call_output item', async () => {
    const { page, problems, close } = await openPage(browser, server.url);
    await openResponses(page);
    await settings(page).getByRole('button', { name: '+ Add function' }).click();
    await settings(page).getByText('Valid function definition.').waitFor();
    await say(page, scripted('weather in Paris?', [
      { tool_calls: [{ name: 'get_weather', arguments: { location: 'Paris' } }] },
      { text: 'It is {{tool_output.0}} in Paris.' },
    ]));
    const form = page.getByRole('form', { name: 'Function calls' });
    await form.waitFor();
    assert.match(await form.innerText(), /The model called a function[\s\S]*get_weather[\s\S]*"location": "Paris"/);
    await responseStatus(page, 'completed');
    await page.locator('.response-panel .step[data-item-type="function_call"]', { hasText: '(waiting for output)' }).waitFor();
    await screenshot(page, 'responses-function-call');
    await form.getByLabel('Output').fill('sunny');
    await form.getByRole('button', { name: 'Submit output' }).click();
    await page.locator('.message-assistant', { hasText: 'It is sunny in Paris.' }).waitFor();
    await form.waitFor({ state: 'detached' });
    await page.locator('.tool-line[data-item-type="function_call_output"]', { hasText: 'sunny' }).waitFor();

    const conversationId = ADDRESS.exec(page.url())![1]!;
    const items = await server.openai().conversations.items.list(conversationId, { order: 'asc' });
    assert.deepEqual(items.data.map((i) => i.type), ['message', 'function_call', 'function_call_output', 'message']);
    const [, call, output] = items.data;
    assert.equal(call!.type === 'function_call' && output!.type === 'function_call_output' && call!.call_id === output!.call_id && output!.output, 'sunny');
    // The earlier response's panel shows the call with the output it was given.
    await page.locator('.response-panel select').selectOption({ index: 0 });
    assert.match(await page.locator('.response-panel .step[data-item-type="function_call"]').innerText(), /get_weather[\s\S]*Paris[\s\S]*Output\s+sunny/);
    assert.deepEqual(problems, []);
    await close();
  });

  test('searches a picked vector store and cites the file; the panel shows the results and scores', async () => {
    const client = server.openai();
    const filler = 'Project notes cover schedules, budgets and staffing across the quarter. '.repeat(3);
    const file = await client.files.create({ file: await toFile(Buffer.from(`# Kestrel\n\n${filler}\n\n${FACT}\n`), 'kestrel.md'), purpose: 'assistants' });
    let store = await client.vectorStores.create({ name: 'Briefs', file_ids: [file.id] });
    while (store.status === 'in_progress') {
      await new Promise((resolve) => setTimeout(resolve, 100));
      store = await client.vectorStores.retrieve(store.id);
    }
    assert.equal(store.file_counts.completed, 1);

    const { page, problems, close } = await openPage(browser, server.url);
    await openResponses(page);
    await settings(page).getByLabel('File search').check();
    await settings(page).getByLabel(/^Briefs/).check();
    await say(page, scripted('What is the launch code?', [
      { tool_calls: [{ name: 'file_search', arguments: { queries: ['launch code Kestrel'] } }] },
      { chunks: ['The code is ', '7Q4-ZEBRA-19.【0', ':0†kestrel.md】 Any', 'thing else?'] },
    ]));
    const reply = page.locator('.message-assistant', { hasText: 'The code is 7Q4-ZEBRA-19.' });
    await reply.locator('.footnotes li', { hasText: 'kestrel.md' }).waitFor();
    assert.equal(await reply.locator('sup.cite').innerText(), '[1]');
    assert.match(await reply.locator('.markdown').innerText(), /^The code is 7Q4-ZEBRA-19\.\[1\] Anything else\?$/);
    await page.locator('.tool-line[data-item-type="file_search_call"]', { hasText: 'launch code Kestrel' }).waitFor();
    await responseStatus(page, 'completed');
    const search = page.locator('.response-panel .step[data-item-type="file_search_call"]');
    assert.match(await search.innerText(), /launch code Kestrel[\s\S]*kestrel\.md\s+[01]\.\d{3}[\s\S]*7Q4-ZEBRA-19/);
    assert.match(await page.locator('.response-panel .step[data-item-type="message"]').innerText(), /with 1 citation/);
    await screenshot(page, 'responses-file-search');

    await page.emulateMedia({ colorScheme: 'dark' });
    assert.notEqual(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(246, 247, 249)');
    await screenshot(page, 'responses-dark');
    // On a phone the three panels are tabs.
    await page.setViewportSize({ width: 420, height: 800 });
    await page.getByRole('tab', { name: 'Response' }).click();
    await page.locator('.response-panel .step[data-item-type="file_search_call"]').waitFor();
    assert.equal(await page.locator('.responses-page .pane-chat').isVisible(), false);
    await screenshot(page, 'responses-phone');
    assert.deepEqual(problems, []);
    await close();
  });

  test('runs code that draws a chart and writes a CSV: the call shows code, logs and chart; the cited CSV downloads', { skip: sandbox.available ? false : sandbox.reason }, async () => {
    const { page, problems, close } = await openPage(browser, server.url);
    await openResponses(page);
    await settings(page).getByLabel('Code interpreter').check();
    const code = [
      'import matplotlib.pyplot as plt',
      'plt.plot([1, 2, 3], [2, 4, 1])',
      "plt.title('Temperatures')",
      'plt.show()',
      `open('/mnt/data/report.csv', 'w', newline='').write(${JSON.stringify(CSV)})`,
      "print('wrote report.csv')",
    ].join('\n');
    await say(page, scripted('chart and csv', [
      { tool_calls: [{ name: 'code_interpreter', arguments: { code } }] },
      { text: 'Here is the chart and [the report](sandbox:/mnt/data/report.csv).' },
    ]));
    // A container's first Python (matplotlib's import) is slow on a loaded machine.
    await responseStatus(page, 'completed', 120_000);
    const reply = page.locator('.message-assistant', { hasText: 'Here is the chart and the report' });
    await reply.waitFor();

    // The chat shows the call with its chart; the panel its code, logs and chart.
    const line = page.locator('.responses-page .tool-line[data-item-type="code_interpreter_call"]');
    await line.waitFor();
    const chartOf = async (scope: ReturnType<Page['locator']>) => {
      const img = scope.locator('img.file-image');
      await img.waitFor({ timeout: 30_000 });
      return img.evaluate((el: HTMLImageElement) => el.decode().then(() => ({ w: el.naturalWidth, h: el.naturalHeight })));
    };
    const inChat = await chartOf(page.locator('.responses-page .pane-chat'));
    assert.ok(inChat.w > 100 && inChat.h > 100, `a real chart in the chat, got ${inChat.w}x${inChat.h}`);
    const step = page.locator('.response-panel .step[data-item-type="code_interpreter_call"]');
    const inPanel = await chartOf(step);
    assert.ok(inPanel.w > 100 && inPanel.h > 100, `a real chart in the panel, got ${inPanel.w}x${inPanel.h}`);
    assert.match(await step.locator('.code-block').innerText(), /plt\.title\('Temperatures'\)/);
    assert.match(await step.getByLabel('Output logs').innerText(), /wrote report\.csv/);
    assert.match(await step.innerText(), /container cntr_\w+/);

    // The answer's link and its footnote both download the container file, byte for byte.
    assert.match(await reply.locator('.markdown').innerText(), /^Here is the chart and the report\.?\[1\]\.?$/);
    const footnote = reply.locator('.footnotes li', { hasText: 'report.csv' });
    for (const target of [reply.locator('.markdown a', { hasText: 'the report' }), footnote.getByRole('button', { name: 'download' })]) {
      const [download] = await Promise.all([page.waitForEvent('download'), target.click()]);
      assert.equal(download.suggestedFilename(), 'report.csv');
      const path = await download.path();
      assert.equal(readFileSync(path).toString('latin1'), CSV);
    }
    await screenshot(page, 'responses-code-interpreter');

    // A reload reads the conversation's items: the call is shown again with its outputs.
    await page.reload();
    await chartOf(page.locator('.responses-page .pane-chat'));
    await page.locator('.response-panel .step[data-item-type="code_interpreter_call"]').getByLabel('Output logs').waitFor();
    assert.deepEqual(problems, []);
    await close();
  });

  test('a failed response shows its error, adds nothing to the conversation and gives the text back', async () => {
    const { page, problems, close } = await openPage(browser, server.url);
    await openResponses(page);
    await say(page, 'kept turn');
    await page.locator('.message-assistant', { hasText: 'You said: kept turn' }).waitFor();
    const text = scripted('lost turn', [{ error: { status: 429, message: 'Slow down.' } }]);
    await say(page, text);
    await responseStatus(page, 'failed');
    await page.locator('.responses-page .run-notice', { hasText: /Response failed: .*rate_limit_exceeded/ }).waitFor();
    assert.match(await page.locator('.response-panel .error').innerText(), /rate_limit_exceeded/);
    await page.locator('.message-user', { hasText: 'lost turn' }).waitFor({ state: 'detached' });
    assert.equal(await page.getByLabel('Input').inputValue(), text);
    const conversationId = ADDRESS.exec(page.url())![1]!;
    assert.equal((await server.openai().conversations.items.list(conversationId)).data.length, 2);
    await screenshot(page, 'responses-failed');
    assert.deepEqual(problems, []);
    await close();
  });

  test('"View code" gives the Responses snippets for the settings and input, and the JavaScript one runs', async () => {
    const { page, problems, close } = await openPage(browser, server.url);
    await openResponses(page);
    await settings(page).getByLabel('Instructions').fill('Answer in one line.');
    await say(page, 'first turn');
    await page.locator('.message-assistant', { hasText: 'You said: first turn' }).waitFor();
    await page.waitForURL(ADDRESS);
    const conversationId = ADDRESS.exec(page.url())![1]!;
    await page.getByLabel('Input').fill('from the snippet');
    await page.getByRole('button', { name: 'View code' }).click();
    const snippet = page.locator('.code-dialog .snippet');
    const js = await snippet.innerText();
    assert.match(js, new RegExp(`const conversation = \\{ id: "${conversationId}" \\};`));
    assert.match(js, /client\.responses\.stream\(\{\s*"model": "scripted",\s*"instructions": "Answer in one line\.",\s*"input": "from the snippet",\s*"conversation": conversation\.id\s*\}\)/);
    await page.getByRole('tab', { name: 'Python' }).click();
    assert.match(await snippet.innerText(), new RegExp(`conversation_id = "${conversationId}"[\\s\\S]*client\\.responses\\.stream\\(\\s*model="scripted",\\s*instructions="Answer in one line\\.",\\s*conversation=conversation_id,\\s*input="from the snippet",`));
    await screenshot(page, 'responses-view-code');

    // The snippet, run as it is shown, continues the same conversation on this server. (It is written inside the
    // checkout so that `import 'openai'` resolves; a directory of its own, since test runs may overlap.)
    mkdirSync(ARTIFACTS, { recursive: true });
    const dir = mkdtempSync(join(ARTIFACTS, 'snippet-'));
    writeFileSync(join(dir, 'responses-snippet.mjs'), js);
    const run = promisify(execFile)(process.execPath, [join(dir, 'responses-snippet.mjs')], { env: { ...process.env, ASSISTD_API_KEY: 'none' }, timeout: 60_000 });
    const { stdout } = await run.finally(() => rmSync(dir, { recursive: true, force: true }));
    assert.match(stdout, /You said: from the snippet\n\s*completed/);
    const items = await server.openai().conversations.items.list(conversationId, { order: 'asc' });
    assert.equal(items.data.length, 4);
    assert.deepEqual(problems, []);
    await close();
  });
});
