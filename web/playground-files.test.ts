import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../test/support/server.js';
import { createAssistant, runStatus, send } from './test-support/actions.js';
import { browserSuite, CHROMIUM_PATH, openPage, screenshot, scripted } from './test-support/browser.js';

// Files in the playground: attachments in the composer (button, drop, paste), in headless Chromium against a real
// server whose upload limit is small enough to refuse a file.

const skip = existsSync(CHROMIUM_PATH) ? false : `no Chromium at ${CHROMIUM_PATH} (npm run setup installs it)`;
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const MAX_FILE_BYTES = 100_000;

/** Sends a browser event carrying files (a drop on the composer, a paste into the message box). */
async function dispatchFiles(page: Page, selector: string, kind: 'drop' | 'paste', files: Array<{ name: string; type: string; base64?: string; text?: string }>) {
  await page.locator(selector).evaluate(
    (el, { kind, files }) => {
      const data = new DataTransfer();
      for (const f of files) {
        const bytes = f.base64 ? Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0)) : new TextEncoder().encode(f.text ?? '');
        data.items.add(new File([bytes], f.name, { type: f.type }));
      }
      const event = kind === 'drop' ? new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }) : new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true });
      el.dispatchEvent(event);
    },
    { kind, files },
  );
}

describe('playground files', { skip }, () => {
  let server: TestServer;
  let browser: Browser;
  browserSuite({ ASSISTD_MAX_FILE_BYTES: String(MAX_FILE_BYTES) }, (started) => ({ server, browser } = started));

  test('attaches files and images by button, drop and paste, with progress and visible reasons for failures', async () => {
    const { page, problems, close } = await openPage(browser, server.url);
    await createAssistant(page, 'Attach', async (p) => {
      await p.getByLabel('Code interpreter').check();
      await p.getByLabel('File search').check();
    });
    const chips = page.getByRole('list', { name: 'Attachments' });
    // Uploads to a local server finish in a blink: note whether a progress bar ever appeared.
    await page.evaluate(() => {
      const flag = window as unknown as { sawProgress: boolean };
      flag.sawProgress = false;
      new MutationObserver(() => {
        if (document.querySelector('.attachment-chips progress')) flag.sawProgress = true;
      }).observe(document.body, { childList: true, subtree: true });
    });
    await page.getByLabel('Attach files').setInputFiles([
      { name: 'kestrel-notes.txt', mimeType: 'text/plain', buffer: Buffer.from('The Kestrel launch code is 7Q4-ZEBRA-19.\n') },
      { name: 'numbers.csv', mimeType: 'text/csv', buffer: Buffer.from('n\n1\n2\n') },
    ]);
    await dispatchFiles(page, '.composer', 'drop', [{ name: 'blank.txt', type: 'text/plain', text: '   \n\n  ' }]);
    await dispatchFiles(page, 'textarea[aria-label="Message"]', 'paste', [{ name: '', type: 'image/png', base64: PNG }]);
    await page.getByLabel('Attach files').setInputFiles({ name: 'too-big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(MAX_FILE_BYTES + 10) });

    const failed = chips.locator('li', { hasText: 'too-big.bin' }).getByRole('alert');
    await failed.waitFor();
    assert.match(await failed.innerText(), /^Upload of too-big\.bin failed: .*(large|limit|bytes)/i);
    const notes = chips.locator('li', { hasText: 'kestrel-notes.txt' });
    assert.equal(await notes.getByLabel('File search').isChecked(), true);
    assert.equal(await chips.locator('li', { hasText: 'numbers.csv' }).getByLabel('Code interpreter').isChecked(), true);
    await chips.locator('li', { hasText: 'pasted-image.png' }).getByText('image', { exact: true }).waitFor();
    await notes.getByLabel('Code interpreter').check();
    assert.equal(await page.evaluate(() => (window as unknown as { sawProgress: boolean }).sawProgress), true, 'an upload progress bar was shown');
    await screenshot(page, 'composer-attachments');
    await chips.getByRole('button', { name: 'Remove too-big.bin' }).click();

    await send(page, scripted('look at these', [{ text: 'Got them.' }]));
    await runStatus(page, 'completed');
    const message = page.locator('.message-user', { hasText: 'look at these' });
    await message.locator('img.file-image').waitFor();
    const attached = message.getByRole('list', { name: 'Attached files' });
    await attached.locator('li', { hasText: 'kestrel-notes.txt' }).locator('.badge', { hasText: 'indexed' }).waitFor({ timeout: 60_000 });
    assert.match(await attached.locator('li', { hasText: 'kestrel-notes.txt' }).innerText(), /file search, code interpreter/);
    const reason = attached.locator('li', { hasText: 'blank.txt' }).getByRole('alert');
    await reason.waitFor({ timeout: 60_000 });
    assert.match(await reason.innerText(), /^Indexing failed: The file contains no text to index\. \(invalid_file\)/);
    await screenshot(page, 'message-attachments');

    const saved = (await server.openai().beta.threads.messages.list(page.url().split('/threads/')[1]!)).data.find((m) => m.role === 'user')!;
    assert.deepEqual(saved.content.map((c) => c.type), ['text', 'image_file']);
    assert.deepEqual(saved.attachments?.map((a) => a.tools?.map((t) => t.type).sort()), [['code_interpreter', 'file_search'], ['code_interpreter'], ['file_search']]);
    // The only error is the browser's note on the refused upload.
    assert.deepEqual(problems.filter((p) => !/status of 413/.test(p)), []);
    await close();
  });

  test('the files page lists, uploads, downloads and deletes files', async () => {
    const { page, problems, close } = await openPage(browser, server.url);
    await page.getByRole('link', { name: 'Files' }).click();
    await page.waitForURL(/\/files$/);
    await page.getByLabel('Upload files').setInputFiles({ name: 'report.txt', mimeType: 'text/plain', buffer: Buffer.from('quarterly numbers\n') });
    const row = page.locator('tr', { hasText: 'report.txt' });
    await row.waitFor();
    const id = await row.getAttribute('data-file-id');
    await page.reload();
    await row.waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: 'Download' }).click()]);
    assert.equal(download.suggestedFilename(), 'report.txt');
    await screenshot(page, 'files-page');
    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Delete report.txt' }).click();
    await row.waitFor({ state: 'detached' });
    await assert.rejects(server.openai().files.retrieve(id!), { status: 404 });
    assert.deepEqual(problems, []);
    await close();
  });

  test('the stores page creates a store, adds and removes files with their status and errors, and searches it', async () => {
    const { page, problems, close } = await openPage(browser, server.url);
    await page.getByRole('link', { name: 'Vector stores' }).click();
    await page.getByLabel('New store name').fill('Kestrel docs');
    await page.getByRole('button', { name: 'Create vector store' }).click();
    await page.waitForURL(/\/stores\/vs_\w+$/);
    const storeId = /\/stores\/(vs_\w+)$/.exec(page.url())![1]!;
    await page.getByLabel('Add files to the store').setInputFiles([
      { name: 'kestrel.txt', mimeType: 'text/plain', buffer: Buffer.from('Kestrel project notes.\n\nThe launch code for the Kestrel probe is 7Q4-ZEBRA-19.\n') },
      { name: 'empty.txt', mimeType: 'text/plain', buffer: Buffer.from('  \n') },
    ]);
    const files = page.getByRole('list', { name: 'Store files' });
    await files.locator('li', { hasText: 'kestrel.txt' }).locator('.badge.status-completed').waitFor({ timeout: 60_000 });
    const failed = files.locator('li', { hasText: 'empty.txt' });
    await failed.locator('.badge.status-failed').waitFor({ timeout: 60_000 });
    assert.match(await failed.innerText(), /The file contains no text to index\. \(invalid_file\)/);

    await page.reload();
    await page.getByLabel('Search query').fill('Kestrel launch code');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const hit = page.getByRole('list', { name: 'Search results' }).locator('li').first();
    await hit.waitFor();
    assert.match(await hit.innerText(), /kestrel\.txt\s+[01]\.\d{3}[\s\S]*7Q4-ZEBRA-19/);
    await screenshot(page, 'stores-page');
    const emptyId = (await server.openai().vectorStores.files.list(storeId)).data.find((f) => f.status === 'failed')!.id;
    await files.getByRole('button', { name: `Remove ${emptyId}` }).click();
    await failed.waitFor({ state: 'detached' });
    assert.equal((await server.openai().vectorStores.files.list(storeId)).data.length, 1);

    // An assistant's file_search uses the existing store.
    await page.getByRole('link', { name: 'Assistants' }).click();
    await createAssistant(page, 'Uses a store', async (p) => {
      await p.getByLabel('File search').check();
      await p.getByLabel('Vector store').selectOption(storeId);
    });
    const assistantId = (await page.locator('.assistant-id').innerText()).trim();
    const saved = await server.openai().beta.assistants.retrieve(assistantId);
    assert.deepEqual(saved.tool_resources?.file_search?.vector_store_ids, [storeId]);
    await send(page, scripted('launch code?', [
      { tool_calls: [{ name: 'file_search', arguments: { queries: ['Kestrel launch code'] } }] },
      { text: 'It is 7Q4-ZEBRA-19.' },
    ]));
    await runStatus(page, 'completed');
    assert.match(await page.locator('.run-panel .search-results').innerText(), /kestrel\.txt/);
    assert.deepEqual(problems, []);
    await close();
  });
});
