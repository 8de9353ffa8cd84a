/**
 * Accessibility: axe-core (WCAG 2.1 A + AA) on every main page, signed in as the owner of a
 * stores business with some data, must report no serious or critical violation. Each page is
 * also saved as a screenshot (e2e/screenshots/a11y-*.png) to look at.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  type ApiClient,
  type AxeViolation,
  apiAs,
  axeViolations,
  launchBrowser,
  type Server,
  screenshot,
  setupThroughApi,
  startServer,
} from './support.ts';

const ADMIN = { name: 'Ana Ruiz', email: 'ana@example.com', password: 'Lab-Stores-2026' };

/** Each page, and something on it to wait for before axe looks. */
type Check = { name: string; path: string; ready: (page: Page) => Promise<unknown> };

function report(found: Record<string, AxeViolation[]>): string {
  return Object.entries(found)
    .flatMap(([page, violations]) =>
      violations.map(
        (v) =>
          `${page}: ${v.id} (${v.impact}) ${v.help}\n    ${v.nodes.map((n) => `${n.target} — ${n.summary}`).join('\n    ')}`,
      ),
    )
    .join('\n');
}

describe('accessibility (axe-core, WCAG 2.1 AA) in a browser', () => {
  let server: Server;
  let browser: Browser;
  let admin: ApiClient;
  let itemId: string;
  let orderId: string;
  let countId: string;
  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await admin?.close();
    await browser?.close();
    await server?.stop();
  });

  it('the setup page has no serious or critical violation', async () => {
    // A server of its own: the setup page shows only before any business exists.
    const fresh = await startServer();
    onTestFinished(() => fresh.stop());
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    await page.goto(`${fresh.url}/setup`);
    await page.getByRole('heading', { name: 'Welcome to Steward' }).waitFor();
    // Show the validation messages too: they have colours of their own.
    await page.getByRole('button', { name: 'Create business and administrator' }).click();
    await screenshot(page, 'a11y-setup', { fullPage: true });
    const found = { setup: await axeViolations(page) };
    expect(report(found)).toBe('');
    await page.close();
  });

  it('every main page has no serious or critical violation', async () => {
    await setupThroughApi(server.url, 'stores', ADMIN);
    admin = await apiAs(server.url, ADMIN.email, ADMIN.password);
    const category = await admin.send<{ id: string }>('POST', '/api/v1/categories', { name: 'Consumables' });
    const supplier = await admin.send<{ id: string }>('POST', '/api/v1/suppliers', { name: 'LabSupply Co' });
    const item = await admin.send<{ id: string }>('POST', '/api/v1/items', {
      sku: 'GLV-M',
      name: 'Nitrile gloves M',
      categoryId: category.id,
      unit: 'box',
      price: 799,
      cost: 420,
      location: 'Shelf B2',
      reorderLevel: 5,
      openingStock: 2,
      suppliers: [{ supplierId: supplier.id, supplierPrice: 420, preferred: true }],
    });
    itemId = item.id;
    await admin.send('POST', '/api/v1/items', { sku: 'ETH-1L', name: 'Ethanol 1 L', price: 1250, openingStock: 20 });
    const order = await admin.send<{ id: string; reference: string }>('POST', '/api/v1/purchase-orders', {
      supplierId: supplier.id,
      lines: [{ itemId, quantity: 10, unitCost: 420 }],
    });
    orderId = order.id;
    await admin.send('POST', `/api/v1/purchase-orders/${orderId}/place`);
    const count = await admin.send<{ id: string }>('POST', '/api/v1/stock-counts', { note: 'Year-end count' });
    countId = count.id;
    await admin.send('POST', '/api/v1/users', { name: 'Bo Li', email: 'bo@example.com', roleKey: 'user' });

    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.setDefaultTimeout(10_000);
    const found: Record<string, AxeViolation[]> = {};

    // The sign-in page, with its error shown.
    await page.goto(`${server.url}/login`);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password', { exact: true }).fill('Wrong-Password-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Could not sign in' }).waitFor();
    await screenshot(page, 'a11y-login');
    found.login = await axeViolations(page);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: /Ana/ }).waitFor();

    const heading = (name: string | RegExp) => (p: Page) => p.getByRole('heading', { name }).first().waitFor();
    const checks: Check[] = [
      { name: 'dashboard', path: '/', ready: heading(/Ana/) },
      { name: 'inventory', path: '/inventory', ready: (p) => p.locator('[data-sku="GLV-M"]').waitFor() },
      { name: 'item', path: `/inventory/${itemId}`, ready: (p) => p.getByTestId('on-hand').waitFor() },
      { name: 'stocktakes', path: '/inventory/counts', ready: (p) => p.getByText('Year-end count').first().waitFor() },
      {
        name: 'stocktake',
        path: `/inventory/counts/${countId}`,
        ready: (p) => p.getByText('Nitrile gloves M').first().waitFor(),
      },
      { name: 'categories', path: '/categories', ready: (p) => p.getByText('Consumables').first().waitFor() },
      { name: 'suppliers', path: '/suppliers', ready: (p) => p.getByText('LabSupply Co').first().waitFor() },
      { name: 'orders', path: '/orders', ready: (p) => p.getByText(order.reference).first().waitFor() },
      { name: 'order', path: `/orders/${orderId}`, ready: (p) => p.getByTestId('order-status').waitFor() },
      { name: 'audit', path: '/audit', ready: (p) => p.getByRole('heading', { name: 'Audit log' }).waitFor() },
      { name: 'settings-users', path: '/settings/users', ready: (p) => p.getByText('Bo Li').first().waitFor() },
      {
        name: 'settings-permissions',
        path: '/settings/permissions',
        ready: (p) => p.getByText('Bo Li').first().waitFor(),
      },
      {
        name: 'settings-roles',
        path: '/settings/roles',
        ready: (p) => p.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Roles' }).waitFor(),
      },
      {
        name: 'settings-security',
        path: '/settings/security',
        ready: (p) =>
          p.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Sign-in & keys' }).waitFor(),
      },
      {
        name: 'settings-inventory',
        path: '/settings/inventory',
        ready: (p) =>
          p.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Inventory' }).waitFor(),
      },
      { name: 'account', path: '/account', ready: heading(/account|Account/) },
    ];
    for (const check of checks) {
      await page.goto(`${server.url}${check.path}`);
      await check.ready(page);
      // Let transitions (Mantine fades in ~150 ms) settle before measuring colours.
      await page.waitForTimeout(250);
      await screenshot(page, `a11y-${check.name}`, { fullPage: true });
      found[check.name] = await axeViolations(page);
    }
    // One user's permissions: every state mark and its colour.
    await page.goto(`${server.url}/settings/permissions`);
    await page.getByText('Bo Li').first().click();
    await page.locator('[data-permission="inventory.view"]').waitFor();
    await page.waitForTimeout(250);
    await screenshot(page, 'a11y-settings-permissions-user', { fullPage: true });
    found['settings-permissions-user'] = await axeViolations(page);
    // The audit page with an event opened.
    await page.goto(`${server.url}/audit`);
    await page.getByRole('button', { name: 'Ana Ruiz set up Steward' }).click();
    await page.waitForTimeout(300);
    await screenshot(page, 'a11y-audit-detail', { fullPage: true });
    found['audit-detail'] = await axeViolations(page);

    const counts = Object.fromEntries(
      Object.entries(found).map(([k, v]) => [k, v.reduce((n, x) => n + x.nodes.length, 0)]),
    );
    console.log('axe serious/critical nodes per page:', counts);
    expect(report(found)).toBe('');
    await page.close();
    // Eighteen pages with full-page screenshots and axe: more than the default minute on a busy machine.
  }, 180_000);
});
