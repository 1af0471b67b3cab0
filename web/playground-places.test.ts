import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { TestServer } from '../test/support/server.js';
import { createAssistant, runStatus, send } from './test-support/actions.js';
import { browserSuite, CHROMIUM_PATH, openPage, screenshot, scripted } from './test-support/browser.js';

// The playground's messages, model box, addresses, thread list and colour scheme, in headless Chromium against a
// real server with the scripted model.

const skip = existsSync(CHROMIUM_PATH) ? false : `no Chromium at ${CHROMIUM_PATH} (npm run setup installs it)`;
const ADDRESS = /\/assistants\/(asst_\w+)\/threads\/(thread_\w+)$/;

describe('playground places', { skip }, () => {
  let server: TestServer;
  let browser: Browser;
  browserSuite({}, (started) => ({ server, browser } = started));

  test('shows user text as typed and assistant text as Markdown', async () => {
    const { page, problems, close } = await openPage(browser, server.url);
    await createAssistant(page, 'Plain');
    await send(page, scripted('# not a heading\n*not emphasis*\n  indented', [{ text: '# A heading\n\n*emphasis*' }]));
    await runStatus(page, 'completed');
    const user = page.locator('.message-user').first();
    assert.equal(await user.locator('h1, em').count(), 0);
    assert.match(await user.locator('.plain-text').innerText(), /^# not a heading\n\*not emphasis\*\n {2}indented\n```script/);
    const reply = page.locator('.message-assistant').first();
    assert.equal(await reply.locator('h1').innerText(), 'A heading');
    assert.equal(await reply.locator('em').innerText(), 'emphasis');
    await screenshot(page, 'plain-user-markdown-assistant');
    assert.deepEqual(problems, []);
    await close();
  });

  test('the model box lists the models of GET /v1/models', async () => {
    const { page, problems, close } = await openPage(browser, server.url);
    await page.getByLabel('Assistant', { exact: true }).selectOption('');
    const served = (await server.openai().models.list()).data.map((m) => m.id);
    assert.ok(served.length > 0);
    const offered = await page.locator('#model-suggestions option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    for (const id of served) assert.ok(offered.includes(id), `${id} is offered (got ${offered.join(', ')})`);
    assert.deepEqual(problems, []);
    await close();
  });

  test('keeps the assistant and thread in the address through reload, back and forward, and opens a pasted id', async () => {
    const { page, problems, close } = await openPage(browser, server.url);
    await createAssistant(page, 'Places');
    await send(page, 'first thread');
    await page.locator('.message-assistant', { hasText: 'You said: first thread' }).waitFor();
    await page.waitForURL(ADDRESS);
    const [, assistantId, firstThread] = ADDRESS.exec(page.url())!;
    assert.equal((await page.locator('.assistant-id').innerText()).trim(), assistantId);

    await page.reload();
    await page.locator('.message-user', { hasText: 'first thread' }).waitFor();
    assert.equal(await page.locator('#assistant-select').inputValue(), assistantId);

    await page.getByRole('button', { name: 'New thread' }).click();
    await page.waitForURL(new RegExp(`/assistants/${assistantId}$`));
    await send(page, 'second thread');
    await page.locator('.message-assistant', { hasText: 'You said: second thread' }).waitFor();
    await page.waitForURL(ADDRESS);
    const secondThread = ADDRESS.exec(page.url())![2];
    assert.notEqual(secondThread, firstThread);

    await page.goBack();
    await page.goBack();
    await page.waitForURL(new RegExp(`/threads/${firstThread}$`));
    await page.locator('.message-user', { hasText: 'first thread' }).waitFor();
    assert.equal(await page.locator('.message-user', { hasText: 'second thread' }).count(), 0);
    await page.goForward();
    await page.goForward();
    await page.locator('.message-user', { hasText: 'second thread' }).waitFor();

    // A fresh tab at the address lands on the same place; an address with only a thread keeps the assistant chosen.
    const fresh = await openPage(browser, `${server.url}/assistants/${assistantId}/threads/${firstThread}`);
    await fresh.page.locator('.message-user', { hasText: 'first thread' }).waitFor();
    await fresh.page.getByRole('button', { name: 'Threads…' }).click();
    await fresh.page.getByLabel('Thread id').fill(` ${secondThread} `);
    await fresh.page.getByRole('button', { name: 'Open', exact: true }).click();
    await fresh.page.locator('.message-user', { hasText: 'second thread' }).waitFor();
    await fresh.page.waitForURL(new RegExp(`/threads/${secondThread}$`));
    assert.deepEqual(fresh.problems, []);
    await fresh.close();
    assert.deepEqual(problems, []);
    await close();
  });

  test('the server answers the page for playground addresses and leaves the API alone', async () => {
    const page = await fetch(`${server.url}/assistants/asst_x/threads/thread_y`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const html = await page.text();
    const script = /src="((?:\.\.\/)+)(assets\/[^"]+\.js)"/.exec(html);
    assert.equal(script?.[1], '../../../', 'assets are pointed back at the root');
    assert.equal((await fetch(new URL(`${script![1]}${script![2]}`, `${server.url}/assistants/asst_x/threads/thread_y`))).status, 200);
    const api = await fetch(`${server.url}/v1/threads/thread_doesnotexist`);
    assert.equal(api.status, 404);
    assert.match(api.headers.get('content-type') ?? '', /json/);
    assert.equal((await fetch(`${server.url}/assistants/a/b/c/d`)).status, 404);
  });

  test('lists the project\'s threads and finds them by metadata and date', async () => {
    const client = server.openai();
    const tagged = await client.beta.threads.create({ metadata: { customer: 'acme' } });
    await client.beta.threads.create({ metadata: { customer: 'globex' } });
    const { page, problems, close } = await openPage(browser, server.url);
    // The thread picker offers the project's threads, not only those this browser made.
    await page.locator(`#thread-select option[value="${tagged.id}"]`).waitFor({ state: 'attached' });
    await page.getByRole('button', { name: 'Threads…' }).click();
    const results = page.getByRole('list', { name: 'Threads found' });
    await results.getByText(tagged.id).waitFor();
    await page.getByLabel('Metadata').fill('customer=acme');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.thread-results li').length === 1);
    assert.match(await results.innerText(), /customer=acme/);
    await screenshot(page, 'thread-finder');
    const today = new Date().toLocaleDateString('en-CA');
    await page.getByLabel('Created from').fill(today);
    await page.getByLabel('Created to').fill(today);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.thread-results li').length === 1);
    await page.getByLabel('Created from').fill('2001-01-01');
    await page.getByLabel('Created to').fill('2001-01-02');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('No threads match.').waitFor();
    await page.getByLabel('Metadata').fill('');
    await page.getByLabel('Created from').fill('');
    await page.getByLabel('Created to').fill('');
    await page.getByRole('button', { name: 'Search' }).click();
    await results.getByText(tagged.id).click();
    await page.waitForURL(new RegExp(`/threads/${tagged.id}$`));
    assert.deepEqual(problems, []);
    await close();
  });

  test('follows the system dark preference', async () => {
    const { page, problems, close } = await openPage(browser, server.url);
    const background = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    await page.emulateMedia({ colorScheme: 'light' });
    assert.equal(await background(), 'rgb(246, 247, 249)');
    await page.emulateMedia({ colorScheme: 'dark' });
    assert.equal(await background(), 'rgb(20, 23, 28)');
    await createAssistant(page, 'Night');
    await send(page, scripted('dark', [{ text: 'In the dark:\n\n~~~python\nprint("hi")\n~~~' }]));
    await runStatus(page, 'completed');
    await screenshot(page, 'dark-chat');
    assert.deepEqual(problems, []);
    await close();
  });
});
