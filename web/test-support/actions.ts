import type { Page } from 'playwright-core';

// What a person does in the playground, shared by the browser tests.

export async function createAssistant(page: Page, name: string, setup?: (page: Page) => Promise<void>) {
  await page.getByLabel('Assistant', { exact: true }).selectOption('');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Instructions').fill('Be brief.');
  await page.getByLabel('Model').fill('scripted');
  await setup?.(page);
  await page.getByRole('button', { name: 'Create assistant' }).click();
  await page.getByText(/^Created asst_/).waitFor();
}

export async function send(page: Page, text: string) {
  await page.getByLabel('Message').fill(text);
  await page.getByRole('button', { name: 'Add and run' }).click();
}

export /** Waits for the latest run of the thread to show this status in the run panel. */
async function runStatus(page: Page, status: string) {
  await page.locator(`.run-panel [data-run-status="${status}"]`).waitFor({ timeout: 30_000 });
}
