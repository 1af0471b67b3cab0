import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../test/support/server.js';
import { browserSuite, CHROMIUM_PATH, openPage, screenshot, scripted } from './test-support/browser.js';
import { createAssistant, runStatus, send } from './test-support/actions.js';

// The playground in headless Chromium against a real server with the scripted model: only what a person does
// (typing, clicking) and what they see.

const skip = existsSync(CHROMIUM_PATH) ? false : `no Chromium at ${CHROMIUM_PATH} (npm run setup installs it)`;

function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(base), { path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Notes in the page whether a progress bar ever appeared (uploads of a local server finish in a blink). */
async function watchProgressBars(page: Page) {
  await page.evaluate(() => {
    const flag = window as unknown as { sawProgress: boolean };
    flag.sawProgress = false;
    new MutationObserver(() => {
      if (document.querySelector('.upload progress')) flag.sawProgress = true;
    }).observe(document.body, { childList: true, subtree: true });
  });
}

describe('playground in a browser', { skip }, () => {
  let server: TestServer;
  let browser: Browser;
  browserSuite({}, (started) => ({ server, browser } = started));

  test('serves the page and its assets without a key, with content types and no traversal', async () => {
    const page = await fetch(`${server.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const html = await page.text();
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, 'the page loads a script from assets/');
    const asset = await fetch(`${server.url}/${script}`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
    // fetch() would resolve the dot segments itself, so these go out as written.
    for (const path of ['/assets/..%2f..%2fpackage.json', '/assets/%2e%2e/index.html', '/assets/../../package.json', '/assets/nope.js']) {
      const res = await rawGet(server.url, path);
      assert.equal(res.status, 404, path);
      assert.equal((JSON.parse(res.body) as { error: { type: string } }).error.type, 'invalid_request_error');
    }
  });

  test('creates an assistant, sends a message and streams the reply', async () => {
    const { page, problems, close } = await openPage(browser, server.url);
    const streams: string[] = [];
    page.on('response', (res) => {
      if (res.request().method() === 'POST' && /\/runs$/.test(new URL(res.url()).pathname)) streams.push(res.headers()['content-type'] ?? '');
    });
    await createAssistant(page, 'Echo');
    await send(page, 'hello there');
    await page.locator('.message-assistant', { hasText: 'You said: hello there' }).waitFor();
    await runStatus(page, 'completed');
    assert.deepEqual(streams.map((t) => t.split(';')[0]), ['text/event-stream']);
    await page.locator('.run-panel .step[data-step-type="message_creation"]').waitFor();
    assert.match(await page.locator('.run-panel .facts').innerText(), /Tokens/);

    // Markdown with a highlighted code block, and "add message without run".
    // (~~~ fences: a ``` inside the script block would end it.)
    await send(page, scripted('show code', [{ text: 'Here:\n\n~~~python\nprint("hi")\n~~~\n\n**done**' }]));
    await page.locator('.message-assistant pre code .hljs-built_in, .message-assistant pre code .hljs-string').first().waitFor();
    assert.equal(await page.locator('.message-assistant strong', { hasText: 'done' }).count(), 1);
    await page.getByLabel('Message').fill('just a note');
    await page.getByRole('button', { name: 'Add message' }).click();
    await page.locator('.message-user', { hasText: 'just a note' }).waitFor();
    assert.equal(await page.locator('.message-assistant').count(), 2);
    await screenshot(page, 'chat-1280x800');

    // The thread is remembered: a reload finds it in the recent list.
    await page.reload();
    const threadOption = page.locator('#thread-select option').nth(1);
    const threadId = await threadOption.getAttribute('value');
    await page.locator('#thread-select').selectOption(threadId!);
    await page.locator('.message-user', { hasText: 'just a note' }).waitFor();

    // View code reproduces the assistant and thread.
    await page.getByRole('button', { name: 'View code' }).focus();
    await page.keyboard.press('Enter');
    const snippet = page.locator('.code-dialog .snippet');
    assert.match(await snippet.innerText(), /client\.beta\.assistants\.create\(\s*model="scripted",\s*name="Echo"/);
    await page.getByRole('tab', { name: 'TypeScript' }).click();
    assert.match(await snippet.innerText(), /baseURL: "http:\/\/127\.0\.0\.1:\d+\/v1"/);
    await screenshot(page, 'view-code');
    await page.keyboard.press('Escape');
    await page.locator('.code-dialog').waitFor({ state: 'detached' });

    // Clear chat deletes the thread's messages.
    await page.getByRole('button', { name: 'Clear chat' }).click();
    await page.locator('.messages .empty').waitFor();
    assert.deepEqual(problems, []);
    await close();
  });

  test('answers a function call through the form and streams the rest of the run', async () => {
    const { page, problems, close } = await openPage(browser, server.url);
    await createAssistant(page, 'Weather', async (p) => {
      await p.getByRole('button', { name: '+ Add function' }).click();
      const editor = p.locator('.function-editor textarea');
      await editor.fill('{"name": "get_weather", "parameters": {"type": "object", "required": ["city"]}}');
      await p.locator('#function-0-check', { hasText: "parameters.required names 'city', which is not in properties." }).waitFor();
      assert.equal(await p.getByRole('button', { name: 'Create assistant' }).isDisabled(), true);
      await editor.fill(JSON.stringify({ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }));
      await p.locator('#function-0-check', { hasText: 'Valid function definition.' }).waitFor();
    });
    await send(page, scripted('weather?', [{ tool_calls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] }, { text: 'It is {{tool_output.0}} in Paris.' }]));
    const form = page.getByRole('form', { name: 'Function calls' });
    await form.waitFor();
    assert.match(await form.locator('.arguments').innerText(), /"city": "Paris"/);
    await runStatus(page, 'requires_action');
    // Keyboard only: the output field has the focus, Tab reaches the submit button.
    await page.waitForFunction(() => document.activeElement?.getAttribute('name')?.startsWith('output-call_'));
    await page.keyboard.type('22°C and sunny');
    assert.equal(await form.getByLabel('Output').inputValue(), '22°C and sunny');
    await screenshot(page, 'function-call-form');
    const submitted = page.waitForResponse((res) => res.url().endsWith('/submit_tool_outputs'));
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    assert.match((await submitted).headers()['content-type'] ?? '', /^text\/event-stream/);
    await page.locator('.message-assistant', { hasText: 'It is 22°C and sunny in Paris.' }).waitFor();
    await runStatus(page, 'completed');
    assert.equal(await form.count(), 0);
    assert.match(await page.locator('.run-panel').innerText(), /get_weather[\s\S]*22°C and sunny/);
    assert.deepEqual(problems, []);
    await close();
  });

  test('shows a code interpreter chart inline, offers its files as downloads and details the step', async () => {
    const { page, problems, close } = await openPage(browser, server.url);
    await createAssistant(page, 'Charts', async (p) => {
      await p.getByLabel('Code interpreter').check();
      await watchProgressBars(p);
      await p.getByLabel('Code interpreter files').setInputFiles({ name: 'numbers.csv', mimeType: 'text/csv', buffer: Buffer.from('n\n1\n2\n3\n'.repeat(200_000)) });
      await p.locator('.tool-files .file-list li', { hasText: 'numbers.csv' }).waitFor();
      assert.equal(await p.evaluate(() => (window as unknown as { sawProgress: boolean }).sawProgress), true, 'an upload progress bar was shown');
    });
    const assistantId = (await page.locator('.assistant-id').innerText()).trim();
    const saved = await server.openai().beta.assistants.retrieve(assistantId);
    assert.equal(saved.tool_resources?.code_interpreter?.file_ids?.length, 1);

    const code = [
      'import matplotlib.pyplot as plt',
      "open('/mnt/data/squares.csv', 'w').write('n,sq\\n1,1\\n2,4\\n3,9\\n')",
      'plt.plot([1, 2, 3], [1, 4, 9])',
      "plt.title('Squares')",
      'plt.show()',
    ].join('\n');
    await send(page, scripted('draw squares', [
      { tool_calls: [{ name: 'code_interpreter', arguments: { code } }] },
      { text: 'Here is the chart and [the data](sandbox:/mnt/data/squares.csv).' },
    ]));
    await runStatus(page, 'completed');
    const image = page.locator('.message-assistant img.file-image');
    await image.waitFor({ timeout: 30_000 });
    const size = await image.evaluate((img: HTMLImageElement) => img.decode().then(() => ({ w: img.naturalWidth, h: img.naturalHeight, src: img.src })));
    assert.ok(size.w > 100 && size.h > 100, `a real chart, got ${size.w}x${size.h}`);
    assert.match(size.src, /^blob:/);

    const link = page.locator('.message-assistant a.file-link', { hasText: 'the data' });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    assert.equal(download.suggestedFilename(), 'squares.csv');

    const step = page.locator('.run-panel .step[data-step-type="tool_calls"]');
    await step.locator('img.file-image').waitFor();
    assert.match(await step.innerText(), /plt\.title\('Squares'\)/);
    await screenshot(page, 'code-interpreter-chart');
    assert.deepEqual(problems, []);
    await close();
  });

  test('cites a searched file as a numbered footnote naming it, with the results and scores in the run details', async () => {
    const { page, problems, close } = await openPage(browser, server.url);
    await createAssistant(page, 'Librarian', async (p) => {
      await p.getByLabel('File search').check();
      const notes = 'Kestrel project notes.\n\nThe launch code for the Kestrel probe is 7Q4-ZEBRA-19. It was set in March.\n';
      await p.getByLabel('File search files').setInputFiles({ name: 'kestrel-notes.txt', mimeType: 'text/plain', buffer: Buffer.from(notes) });
      await p.locator('.tool-files li', { hasText: 'kestrel-notes.txt' }).locator('.badge.status-completed').waitFor({ timeout: 60_000 });
    });
    await send(page, scripted('what is the launch code?', [
      { tool_calls: [{ name: 'file_search', arguments: { queries: ['Kestrel launch code'] } }] },
      { text: 'The launch code is 7Q4-ZEBRA-19【0:0†kestrel-notes.txt】.' },
    ]));
    await runStatus(page, 'completed');
    const reply = page.locator('.message-assistant', { hasText: 'The launch code is 7Q4-ZEBRA-19' });
    await reply.locator('.footnotes li', { hasText: 'kestrel-notes.txt' }).waitFor();
    assert.equal(await reply.locator('sup.cite').innerText(), '[1]');
    assert.doesNotMatch(await reply.innerText(), /【/);
    // The step arrives by stream before the run's steps are read with their result content: wait for the content.
    const search = page.locator('.run-panel .search-results li', { hasText: '7Q4-ZEBRA-19' }).first();
    await search.waitFor();
    assert.match(await search.innerText(), /kestrel-notes\.txt\s+[01]\.\d{3}[\s\S]*7Q4-ZEBRA-19/);
    await screenshot(page, 'file-search-citation');
    assert.deepEqual(problems, []);
    await close();
  });

  test('edits an assistant\'s settings and deletes it', async () => {
    const { page, problems, close } = await openPage(browser, server.url);
    await createAssistant(page, 'Draft');
    const id = (await page.locator('.assistant-id').innerText()).trim();
    await page.getByLabel('Name').fill('Renamed');
    await page.getByLabel('Temperature value').fill('0.3');
    await page.getByLabel('Temperature value').blur();
    await page.getByLabel('Response format').selectOption('json_schema');
    await page.getByLabel('JSON schema').fill('{"name": "answer", "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}');
    await page.getByText('Unsaved changes').waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    const saved = await server.openai().beta.assistants.retrieve(id);
    assert.equal(saved.name, 'Renamed');
    assert.equal(saved.temperature, 0.3);
    assert.deepEqual(saved.response_format, { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object', properties: { a: { type: 'string' } } } } });

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Deleted.').waitFor();
    assert.equal(await page.locator(`#assistant-select option[value="${id}"]`).count(), 0);
    await assert.rejects(server.openai().beta.assistants.retrieve(id), { status: 404 });
    assert.deepEqual(problems, []);
    await close();
  });

  test('a failed run shows its last_error plainly in the chat and the run details', async () => {
    const { page, problems, close } = await openPage(browser, server.url);
    await createAssistant(page, 'Fails');
    await send(page, scripted('break', [{ error: { status: 400, message: 'the upstream model refused the request' } }]));
    await runStatus(page, 'failed');
    assert.match(await page.locator('.messages .run-notice.status-failed').innerText(), /Run failed: the upstream model refused the request \(\w+\)/);
    assert.match(await page.locator('.run-panel [role=alert]').innerText(), /last_error \w+: the upstream model refused the request/);
    await screenshot(page, 'failed-run');
    assert.deepEqual(problems, []);
    await close();
  });

  test('works at phone width with the panels as tabs', async () => {
    const { page, problems, close } = await openPage(browser, server.url, { width: 390, height: 844 });
    await page.getByRole('tab', { name: 'Assistant' }).click();
    await createAssistant(page, 'Phone', (p) => p.getByLabel('Code interpreter').check());
    await screenshot(page, 'phone-assistant');
    await page.getByRole('tab', { name: 'Chat' }).click();
    await page.getByLabel('Message').focus();
    await page.keyboard.type('hi from a phone');
    await page.keyboard.press('Enter');
    await page.locator('.message-assistant', { hasText: 'You said: hi from a phone' }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal scroll (overflow ${overflow}px)`);
    await screenshot(page, 'phone-chat');
    await page.getByRole('tab', { name: 'Run' }).click();
    await runStatus(page, 'completed');
    await screenshot(page, 'phone-run');
    assert.deepEqual(problems, []);
    await close();
  });
});

describe('playground with an API key', { skip }, () => {
  let server: TestServer;
  let browser: Browser;
  browserSuite({ ASSISTD_API_KEY: 'sk-playground-test' }, (started) => ({ server, browser } = started));

  test('asks for the key once, rejects a wrong one and keeps the right one', async () => {
    const { page, problems, close } = await openPage(browser, server.url);
    await page.getByLabel('API key').fill('wrong');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('The server rejected that key').waitFor();
    await screenshot(page, 'key-prompt');
    await page.getByLabel('API key').fill('sk-playground-test');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Create assistant' }).waitFor();
    await page.reload();
    await page.getByRole('button', { name: 'Create assistant' }).waitFor();
    assert.equal(await page.getByLabel('API key').count(), 0);
    // The only errors are the browser's notes on the probes that were answered 401, as they should be.
    assert.deepEqual(problems.filter((p) => !/status of 401/.test(p)), []);
    assert.ok(problems.length >= 1);
    await close();
  });
});
