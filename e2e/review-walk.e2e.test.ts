import { beforeAll, describe, expect, it } from 'vitest';
import { createItem, createPlacedOrder, screenshot, setUpSteward, sideways, signIn, tabTo } from './support.ts';

const ADMIN = { name: 'Walt Admin', email: 'walt@example.com', password: 'Walk-Stores-2026' };
const PAGES = [
  { name: 'dashboard', path: '/' },
  { name: 'inventory', path: '/inventory' },
  { name: 'purchase-orders', path: '/orders' },
  { name: 'audit', path: '/audit' },
  { name: 'settings', path: '/settings' },
] as const;
const SIZES = [
  { width: 1440, height: 900 },
  { width: 390, height: 844 },
] as const;

describe('walk through the main pages as an admin (stores)', () => {
  const steward = setUpSteward('stores', ADMIN);
  let itemName: string;
  beforeAll(async () => {
    const item = await createItem(steward.owner, { name: 'Walk-through pipette tips', openingStock: 3 });
    itemName = item.name;
    await createPlacedOrder(steward.owner, { itemId: item.id, quantity: 4, unitCost: 100 });
  });

  it.each(SIZES)('shows each main page at $width px without sideways scroll at phone width', async (size) => {
    const page = await steward.browser.newPage({ viewport: size });
    page.setDefaultTimeout(10_000);
    await signIn(page, steward.server.url, ADMIN);
    for (const p of PAGES) {
      await page.goto(`${steward.server.url}${p.path}`);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      await page.waitForLoadState('networkidle');
      await screenshot(page, `walk-${p.name}-${size.width}`);
      if (size.width < 500)
        expect({ page: p.name, overflow: await sideways(page) }).toEqual({ page: p.name, overflow: 0 });
    }
    await page.close();
  });

  it('reaches the sidebar, an item, a purchase order and a settings tab by keyboard alone', async () => {
    const page = await steward.browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.setDefaultTimeout(10_000);
    await signIn(page, steward.server.url, ADMIN);

    // Every sidebar entry that leads somewhere is a real link Tab stops on.
    const nav = page.getByRole('navigation', { name: 'Modules' });
    for (const label of [
      'Dashboard',
      'Inventory',
      'Categories',
      'Suppliers',
      'Purchase orders',
      'Audit log',
      'Settings',
    ]) {
      await expect(nav.getByRole('link', { name: label, exact: true }).count()).resolves.toBe(1);
    }
    await page.goto(`${steward.server.url}/`);
    await tabTo(page, (el) => el.tagName === 'A' && el.textContent?.trim() === 'Inventory');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/inventory$/);

    // Open the item from the list.
    await page.getByText(itemName).first().waitFor();
    await tabTo(page, (el) => (el.textContent ?? '').includes('Walk-through pipette tips') && el.matches('a'));
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/inventory\/[^/]+$/);

    // Open a purchase order from its list.
    await page.goto(`${steward.server.url}/orders`);
    await page.getByRole('table').waitFor();
    await tabTo(
      page,
      (el) => el.matches('a[href*="/orders/"], tr[tabindex], button') && /PO-/.test(el.textContent ?? ''),
    );
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/orders\/[^/]+$/);

    // Open a settings tab: each tab is a link of its own.
    await page.goto(`${steward.server.url}/settings`);
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await tabTo(page, (el) => el.tagName === 'A' && el.getAttribute('href') === '/settings/roles');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/settings\/roles$/);
    await page.close();
  });
});
