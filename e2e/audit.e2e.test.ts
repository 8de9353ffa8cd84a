import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type Server, screenshot, setupThroughApi, startServer } from './support.ts';

const ADMIN = { name: 'Ines Admin', email: 'ines@example.com', password: 'Lab-Stores-2026' };

describe('the audit log in a browser', () => {
  let server: Server;
  let browser: Browser;
  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    await setupThroughApi(server.url, 'stores', ADMIN);
    // Someone guesses a password.
    await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ADMIN.email, password: 'Guess-Number-1' }),
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('finds a failed sign-in, shows its details, verifies the chain and exports what it shows', async () => {
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
    page.setDefaultTimeout(10_000);
    await page.goto(`${server.url}/login`);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Modules' }).getByText('Audit log', { exact: true }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    // Each event reads as a sentence with names, not codes and ids.
    await page.getByRole('button', { name: 'Ines Admin set up Steward' }).waitFor();
    await expect(page.getByText('setup.completed').count()).resolves.toBe(0);

    await page.getByRole('switch', { name: 'Failures only' }).click({ force: true });
    await page.getByRole('button', { name: 'Ines Admin set up Steward' }).waitFor({ state: 'detached' });
    await page.getByText('failed', { exact: true }).first().waitFor();
    const failure = page.getByRole('button', { name: 'Someone failed to sign in as Ines Admin' }).first();
    // The raw code is on hover, and in the details with the raw ids.
    expect(await failure.getAttribute('title')).toMatch(/^auth\.login · user [0-9a-f-]{36}$/);
    await failure.click();
    expect(await failure.getAttribute('aria-expanded')).toBe('true');
    await page.getByText(/"why": "wrong-password"/).waitFor();
    await page.getByText('auth.login', { exact: true }).waitFor();

    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.getByText('The audit log verifies').waitFor();
    await screenshot(page, 'audit-1-failures-verified');

    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'CSV' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^steward-audit-\d{4}-\d{2}-\d{2}\.csv$/);
    const body = await (await file.createReadStream()).toArray();
    const text = Buffer.concat(body as Buffer[]).toString('utf8');
    const lines = text.trim().split('\r\n');
    expect(lines.length).toBe(2); // the header and the one failure
    expect(lines[1]).toContain('auth.login');
    // The export itself is in the log.
    await page.getByRole('switch', { name: 'Failures only' }).click({ force: true });
    await page.reload();
    await page.getByRole('button', { name: 'Ines Admin exported the audit log' }).waitFor();
    await page.close();
  });
});
