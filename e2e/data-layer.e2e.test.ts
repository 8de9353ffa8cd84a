/**
 * The shared list table and the data layer in a real browser: rows open from the keyboard and
 * carry real links; a 403 or 404 is said at once, asked once (no retries) and offers no button.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiAs, screenshot, setUpSteward } from './support.ts';

const ADMIN = { name: 'Ines Admin', email: 'ines@example.com', password: 'Lab-Stores-2026' };
const CLERK = { email: 'tom@example.com', password: 'Counter-Clerk-7' };

describe('lists and load errors in a browser', () => {
  const steward = setUpSteward('stores', ADMIN);
  let itemId: string;
  beforeAll(async () => {
    for (const [sku, name] of [
      ['PIP-200', 'Pipette tips 200 µl'],
      ['ETH-1L', 'Ethanol 96 % 1 L'],
      ['GLV-M', 'Nitrile gloves M'],
    ]) {
      const item = await steward.owner.send<{ id: string }>('POST', '/api/v1/items', {
        sku,
        name,
        price: 100,
        openingStock: 1,
      });
      if (sku === 'PIP-200') itemId = item.id;
    }
    const created = await steward.owner.send<{ temporaryPassword: string }>('POST', '/api/v1/users', {
      email: CLERK.email,
      name: 'Tom Clerk',
      roleKey: 'user',
    });
    const first = await apiAs(steward.server.url, CLERK.email, created.temporaryPassword);
    await first.send('POST', '/api/v1/auth/password', {
      currentPassword: created.temporaryPassword,
      newPassword: CLERK.password,
    });
    await first.close();
  });

  async function signIn(who: { email: string; password: string }): Promise<Page> {
    const page = await steward.browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.setDefaultTimeout(10_000);
    await page.goto(`${steward.server.url}/login`);
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password', { exact: true }).fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Modules' }).waitFor();
    return page;
  }

  /** Counts the browser's GETs of one API path. */
  function countRequests(page: Page, path: string): { n: number } {
    const seen = { n: 0 };
    page.on('request', (r) => {
      if (r.method() === 'GET' && new URL(r.url()).pathname === path) seen.n += 1;
    });
    return seen;
  }

  it('sorts by a header, and opens an item from the keyboard through its row link', async () => {
    const page = await signIn(ADMIN);
    await page.goto(`${steward.server.url}/inventory`);
    await page.locator('[data-sku="PIP-200"]').waitFor();
    const names = () => page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-sku')));
    await expect(names()).resolves.toEqual(['ETH-1L', 'GLV-M', 'PIP-200']);
    await page.getByRole('button', { name: 'Sort by SKU' }).click();
    await page.getByRole('button', { name: 'Sort by SKU' }).click();
    await page.locator('th[aria-sort="descending"]').waitFor();
    await expect.poll(names).toEqual(['PIP-200', 'GLV-M', 'ETH-1L']);

    const link = page.getByRole('link', { name: 'Pipette tips 200 µl' });
    await expect(link.getAttribute('href')).resolves.toBe(`/inventory/${itemId}`);
    await link.focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('on-hand').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/inventory/${itemId}`);
    await page.close();
  });

  it('opens a user from the keyboard where a row has no page of its own', async () => {
    const page = await signIn(ADMIN);
    await page.goto(`${steward.server.url}/settings/users`);
    const row = page.locator('[data-user="tom@example.com"]');
    await row.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Edit Tom Clerk' }).waitFor();
    await page.close();
  });

  it('says "Not found" for a missing item at once, asks once, and offers no button', async () => {
    const page = await signIn(ADMIN);
    const asked = countRequests(page, '/api/v1/items/no-such-item');
    await page.goto(`${steward.server.url}/inventory/no-such-item`);
    const said = page.getByRole('alert', { name: 'Not found' });
    await said.waitFor({ timeout: 2_000 });
    await page.waitForTimeout(1_500); // TanStack Query's first retry would come after 1 s
    expect(asked.n).toBe(1);
    await expect(said.getByRole('button').count()).resolves.toBe(0);
    await screenshot(page, 'data-layer-1-not-found');
    await page.close();
  });

  it('tells a user without the permission they have no access, asks once, and offers no button', async () => {
    const page = await signIn(CLERK);
    const asked = countRequests(page, '/api/v1/audit');
    await page.goto(`${steward.server.url}/audit`);
    const said = page.getByRole('alert', { name: 'You don’t have access to this page' });
    await said.waitFor({ timeout: 2_000 });
    await page.waitForTimeout(1_500);
    expect(asked.n).toBe(1);
    await expect(said.getByRole('button').count()).resolves.toBe(0);
    // None of the log's tools either.
    await expect(page.getByRole('button', { name: 'Verify the chain' }).count()).resolves.toBe(0);
    await expect(page.getByRole('search').count()).resolves.toBe(0);
    await screenshot(page, 'data-layer-2-no-access');
    await page.close();
  });
});
