/**
 * Issue 19, "no dead ends": what a person meets on the web app's pages — titles, a favicon, named
 * close buttons, phone layouts, settings tabs as links, disabled buttons that say why, no empty
 * menus, the Roles editor's unsaved edits, number fields that refuse instead of clamping, and
 * toasts that leave the account menu alone.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createItem, createPlacedOrder, createUser, recordWrites, setUpSteward, signIn, tabTo } from './support.ts';

const ADMIN = { name: 'Nia Admin', email: 'nia@example.com', password: 'No-Dead-Ends-2026' };
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const NARROW = { width: 360, height: 780 };
const LONG_SKU = 'NITRILE-GLOVES-M-100';

/** True when the element's text is cut short (an ellipsis or a clipped box). */
const clipped = (page: Page, selector: string) =>
  page.$$eval(selector, (els) =>
    els.filter((el) => el.scrollWidth > el.clientWidth + 1).map((el) => el.textContent ?? ''),
  );

describe('no dead ends (issue 19) in a browser', () => {
  const steward = setUpSteward('stores', ADMIN);
  let item: { id: string; sku: string; name: string };
  let order: { id: string; reference: string };
  let context: BrowserContext;

  beforeAll(async () => {
    item = await createItem(steward.owner, { sku: LONG_SKU, name: 'Nitrile gloves M', openingStock: 3 });
    await createItem(steward.owner, { name: 'Ethanol 1 L', openingStock: 20 });
    order = await createPlacedOrder(steward.owner, { itemId: item.id, quantity: 6, unitCost: 420 });
    // Someone still on their temporary password: the Users list shows two badges for them.
    await createUser(steward.server.url, steward.owner, { name: 'Tomasz Temporary-Password', roleKey: 'user' });
  });
  afterAll(async () => {
    await context?.close();
  });

  /** A new page, signed in as the admin, at the given size. */
  async function adminPage(viewport: { width: number; height: number } = DESKTOP): Promise<Page> {
    context = await steward.browser.newContext({ viewport });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await signIn(page, steward.server.url, ADMIN);
    return page;
  }

  describe('titles, favicon, dialog close buttons', () => {
    it('every page sets document.title, and item and order pages name what they show', async () => {
      const page = await adminPage();
      const expected: [string, string | RegExp][] = [
        ['/', 'Dashboard · Steward'],
        ['/inventory', 'Inventory · Steward'],
        [`/inventory/${item.id}`, 'Nitrile gloves M · Inventory · Steward'],
        ['/inventory/counts', 'Stocktakes · Inventory · Steward'],
        ['/categories', 'Categories · Steward'],
        ['/suppliers', 'Suppliers · Steward'],
        ['/orders', 'Purchase orders · Steward'],
        [`/orders/${order.id}`, new RegExp(`^${order.reference} · .+ · Steward$`)],
        ['/audit', 'Audit log · Steward'],
        ['/settings/users', 'Users · Settings · Steward'],
        ['/settings/roles', 'Roles · Settings · Steward'],
        ['/settings/security', 'Sign-in & keys · Settings · Steward'],
        ['/account', 'Your account · Steward'],
      ];
      const seen: Record<string, string> = {};
      for (const [path, title] of expected) {
        await page.goto(`${steward.server.url}${path}`);
        await page.getByRole('heading', { level: 1 }).first().waitFor();
        await expect
          .poll(() => page.title(), { timeout: 5000 })
          .toMatch(typeof title === 'string' ? new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : title);
        seen[path] = await page.title();
      }
      // Every page has a title of its own.
      expect(new Set(Object.values(seen)).size).toBe(expected.length);
      await context.close();
    });

    it('the sign-in page has its title and an SVG favicon the server serves', async () => {
      const page = await steward.browser.newPage();
      await page.goto(`${steward.server.url}/login`);
      await expect.poll(() => page.title()).toBe('Sign in · Steward');
      const href = await page.locator('link[rel="icon"]').getAttribute('href');
      expect(href).toBeTruthy();
      const res = await fetch(new URL(href as string, steward.server.url));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
      expect(await res.text()).toContain('<svg');
      await page.close();
    });

    it('a dialog’s close button is named “Close”', async () => {
      const page = await adminPage();
      await page.goto(`${steward.server.url}/inventory`);
      await page.getByRole('button', { name: 'New item' }).click();
      const dialog = page.getByRole('dialog', { name: 'New item' });
      await dialog.waitFor();
      await dialog.getByRole('button', { name: 'Close', exact: true }).click();
      await dialog.waitFor({ state: 'hidden' });
      await context.close();
    });
  });

  describe('on a phone', () => {
    it.each([PHONE, NARROW])('table badges and “Bulk edit all N” are not cut short at $width px', async (size) => {
      const page = await adminPage(size);
      await page.goto(`${steward.server.url}/settings/users`);
      await page.getByText('Tomasz Temporary-Password').first().waitFor();
      await page.getByText('Temporary password', { exact: true }).first().waitFor();
      expect(await clipped(page, 'table .mantine-Badge-label')).toEqual([]);
      // Every table's badges, not only the Users page's: "this session" among your sessions.
      await page.goto(`${steward.server.url}/account`);
      await page.getByText('this session').waitFor();
      expect(await clipped(page, 'table .mantine-Badge-label')).toEqual([]);

      await page.goto(`${steward.server.url}/inventory`);
      const bulk = page.getByRole('button', { name: /^Bulk edit all/ });
      await bulk.waitFor();
      expect(await clipped(page, '.mantine-Button-label')).toEqual([]);
      const box = await bulk.boundingBox();
      expect(box && box.x + box.width).toBeLessThanOrEqual(size.width);
      await context.close();
    });

    it('counts are pluralised: “1 item”, never “1 items”', async () => {
      const page = await adminPage(PHONE);
      await page.goto(`${steward.server.url}/inventory`);
      await page.getByRole('searchbox', { name: 'Search items' }).or(page.getByLabel('Search items')).fill(LONG_SKU);
      await page.getByText('1 item', { exact: true }).waitFor();
      await page.getByRole('button', { name: 'Bulk edit all 1 item…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Change 1 item' });
      await dialog.waitFor();
      await dialog.getByRole('button', { name: 'Apply to 1 item' }).waitFor();
      expect(await page.evaluate(() => /\b1 items\b/.test(document.body.textContent ?? ''))).toBe(false);
      await context.close();
    });

    it('a SKU never breaks mid-word, in the list and on the item page', async () => {
      const page = await adminPage(NARROW);
      await page.goto(`${steward.server.url}/inventory`);
      const inList = page.locator(`[data-sku="${LONG_SKU}"] td`).getByText(LONG_SKU, { exact: true });
      await inList.waitFor();
      const lines = (l: typeof inList) => l.evaluate((el) => el.getClientRects().length);
      expect(await lines(inList)).toBe(1);
      await page.goto(`${steward.server.url}/inventory/${item.id}`);
      const onPage = page.getByTestId('item-sku');
      await onPage.waitFor();
      expect(await onPage.evaluate((el) => el.scrollWidth <= el.clientWidth + 1)).toBe(true);
      const height = await onPage.evaluate((el) => el.getBoundingClientRect().height);
      const lineHeight = await onPage.evaluate((el) => Number.parseFloat(getComputedStyle(el).lineHeight));
      expect(height).toBeLessThan(lineHeight * 1.5);
      await context.close();
    });

    it('the New item dialog stacks its fields in one column', async () => {
      const page = await adminPage(PHONE);
      await page.goto(`${steward.server.url}/inventory`);
      await page.getByRole('button', { name: 'New item' }).click();
      const dialog = page.getByRole('dialog', { name: 'New item' });
      await dialog.waitFor();
      const box = async (label: string) => {
        const b = await dialog
          .getByRole('textbox', { name: new RegExp(`^${label}\\b`) })
          .first()
          .boundingBox();
        if (!b) throw new Error(`${label} has no box`);
        return b;
      };
      const sku = await box('SKU');
      const name = await box('Name');
      const cost = await box('Cost');
      const price = await box('Price');
      expect(name.y).toBeGreaterThanOrEqual(sku.y + sku.height);
      expect(price.y).toBeGreaterThanOrEqual(cost.y + cost.height);
      expect(sku.width).toBeGreaterThan(PHONE.width * 0.6);
      await context.close();
    });

    it('settings tabs are links: each has an address, Tab reaches it, Enter opens it, ctrl-click opens a new tab', async () => {
      const page = await adminPage(PHONE);
      await page.goto(`${steward.server.url}/settings/users`);
      const nav = page.getByRole('navigation', { name: 'Settings' });
      await nav.waitFor();
      for (const [label, path] of [
        ['Users', '/settings/users'],
        ['Permissions', '/settings/permissions'],
        ['Roles', '/settings/roles'],
        ['Sign-in & keys', '/settings/security'],
        ['Inventory', '/settings/inventory'],
      ]) {
        await expect(nav.getByRole('link', { name: label, exact: true }).getAttribute('href')).resolves.toBe(path);
      }
      await expect(nav.getByRole('link', { name: 'Users' }).getAttribute('aria-current')).resolves.toBe('page');
      await tabTo(page, (el) => el.tagName === 'A' && el.getAttribute('href') === '/settings/roles');
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/settings\/roles$/);
      const opened = context.waitForEvent('page');
      await nav.getByRole('link', { name: 'Sign-in & keys' }).click({ modifiers: ['Control'] });
      const tab = await opened;
      await tab.waitForURL(/\/settings\/security$/);
      expect(page.url()).toMatch(/\/settings\/roles$/);
      await context.close();
    });
  });

  describe('say why', () => {
    it('a disabled Apply or Save says what is missing, tied to the button', async () => {
      const page = await adminPage();
      const reason = async (button: ReturnType<Page['getByRole']>) => {
        await expect(button.isDisabled()).resolves.toBe(true);
        const ids = (await button.getAttribute('aria-describedby')) ?? '';
        expect(ids).not.toBe('');
        return (await Promise.all(ids.split(/\s+/).map((id) => page.locator(`[id="${id}"]`).textContent()))).join(' ');
      };
      await page.goto(`${steward.server.url}/inventory`);
      await page.getByRole('button', { name: /^Bulk edit all/ }).click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      expect(await reason(dialog.getByRole('button', { name: /^Apply to/ }))).toMatch(/at least one/i);
      await dialog.getByLabel('Reorder level').fill('4');
      await expect(dialog.getByRole('button', { name: /^Apply to/ }).isDisabled()).resolves.toBe(false);
      await dialog.getByRole('button', { name: 'Cancel' }).click();

      await page.goto(`${steward.server.url}/settings/roles`);
      await page
        .getByRole('link', { name: /^User\b/ })
        .or(page.getByRole('button', { name: /^User\b/ }))
        .first()
        .click();
      await page.getByRole('heading', { name: 'User', exact: true }).waitFor();
      expect(await reason(page.getByRole('button', { name: 'Save role' }))).toMatch(/no change/i);

      await page.goto(`${steward.server.url}/settings/security`);
      expect(await reason(page.getByRole('button', { name: 'Save settings' }))).toMatch(/no change/i);
      await context.close();
    });

    it('an actions menu with nothing in it is not shown', async () => {
      const role = await steward.owner.send<{ key: string }>('POST', '/api/v1/roles', {
        key: 'user-list-viewer',
        name: 'User list viewer',
      });
      await steward.owner.send('PUT', `/api/v1/roles/${role.key}`, {
        name: 'User list viewer',
        description: 'Sees the user list, changes nothing.',
        inherits: [],
        entries: { 'users.view': 'allow' },
      });
      const viewer = await createUser(steward.server.url, steward.owner, {
        name: 'Vera Viewer',
        roleKey: role.key,
        password: 'Viewer-Pass-2026',
      });
      context = await steward.browser.newContext({ viewport: DESKTOP });
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      await signIn(page, steward.server.url, viewer);
      await page.goto(`${steward.server.url}/settings/users`);
      await page.getByText('Vera Viewer').first().waitFor();
      await expect(page.getByRole('button', { name: /^Actions for/ }).count()).resolves.toBe(0);
      await context.close();
      // The steward.owner, who can act, still has the menu.
      const adminView = await adminPage();
      await adminView.goto(`${steward.server.url}/settings/users`);
      await adminView.getByRole('button', { name: 'Actions for Vera Viewer' }).waitFor();
      await context.close();
    });

    it('the Roles editor keeps Save in view and asks before leaving with unsaved edits', async () => {
      const page = await adminPage();
      await page.goto(`${steward.server.url}/settings/roles`);
      await page
        .getByRole('link', { name: /^User\b/ })
        .or(page.getByRole('button', { name: /^User\b/ }))
        .first()
        .click();
      await page.getByRole('heading', { name: 'User', exact: true }).waitFor();
      await page.getByRole('radiogroup', { name: 'Delete items in role User' }).getByText('Master code').click();
      // Scrolled to the last permission, Save is still on screen.
      await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      await page.waitForTimeout(200);
      const save = page.getByRole('button', { name: 'Save role' });
      await expect(save.isEnabled()).resolves.toBe(true);
      const box = await save.boundingBox();
      expect(box).not.toBeNull();
      expect(box?.y).toBeGreaterThanOrEqual(0);
      expect((box?.y ?? 0) + (box?.height ?? 0)).toBeLessThanOrEqual(DESKTOP.height);

      // A route change asks first; "Stay" keeps the edits.
      await page.getByRole('navigation', { name: 'Modules' }).getByRole('link', { name: 'Inventory' }).click();
      const ask = page.getByRole('dialog', { name: /unsaved/i });
      await ask.waitFor();
      await ask.getByRole('button', { name: /stay/i }).click();
      expect(page.url()).toMatch(/\/settings\/roles\?role=user$/);
      await expect(save.isEnabled()).resolves.toBe(true);

      // Closing or reloading the tab asks the browser's own question.
      const dialog = page.waitForEvent('dialog');
      void page.close({ runBeforeUnload: true });
      const asked = await dialog;
      expect(asked.type()).toBe('beforeunload');
      await asked.dismiss();

      // Leaving anyway drops the edits.
      await page.getByRole('navigation', { name: 'Modules' }).getByRole('link', { name: 'Inventory' }).click();
      await ask.waitFor();
      await ask.getByRole('button', { name: /leave/i }).click();
      await page.waitForURL(/\/inventory$/);
      await context.close();
    });
  });

  describe('numbers are refused, never clamped', () => {
    /** What the server says about the same body, to show both sides share the rule. */
    async function serverSays(method: 'POST' | 'PUT', path: string, body: unknown, field: string) {
      const res = await steward.owner.raw(method, path, body);
      expect(res.status).toBe(400);
      const errors = (res.body as { errors?: { path: string; message: string }[] }).errors ?? [];
      return errors.find((e) => e.path === field)?.message;
    }

    it('a cost of −5 shows the field error and sends nothing', async () => {
      const page = await adminPage();
      await page.goto(`${steward.server.url}/inventory`);
      await page.getByRole('button', { name: 'New item' }).click();
      const dialog = page.getByRole('dialog', { name: 'New item' });
      const field = (name: string) => dialog.getByRole('textbox', { name: new RegExp(`^${name}\\b`) }).first();
      await field('SKU').fill('NEG-COST');
      await field('Name').fill('Negative cost');
      await field('Cost').fill('-5');
      await field('Name').click();
      const writes = recordWrites(page);
      await dialog.getByRole('button', { name: 'Create item' }).click();
      const message = await serverSays(
        'POST',
        '/api/v1/items',
        { sku: 'NEG-COST', name: 'Negative cost', cost: -500 },
        'cost',
      );
      expect(message).toBeTruthy();
      await dialog.getByText(message as string).waitFor();
      await expect(field('Cost').inputValue()).resolves.toMatch(/^-\D*5/);
      expect(writes).toEqual([]);
      await context.close();
    });

    it('a stock-out of “−4” shows the field error and books nothing', async () => {
      const page = await adminPage();
      await page.goto(`${steward.server.url}/inventory/${item.id}`);
      await page.getByRole('button', { name: 'Stock out' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Quantity').fill('-4');
      const writes = recordWrites(page);
      await dialog.getByRole('button', { name: 'Take from stock' }).click();
      const message = await serverSays(
        'POST',
        `/api/v1/items/${item.id}/stock`,
        { kind: 'out', quantity: -4 },
        'quantity',
      );
      await dialog.getByText(message as string).waitFor();
      expect(writes).toEqual([]);
      await expect(page.getByTestId('on-hand').textContent()).resolves.toMatch(/^3\b/);
      await context.close();
    });

    it('a purchase-order quantity of 0 shows the field error and saves nothing', async () => {
      const page = await adminPage();
      await page.goto(`${steward.server.url}/orders/${order.id}`);
      await page.getByRole('button', { name: 'Change' }).click();
      const dialog = page.getByRole('dialog');
      const quantity = dialog.getByLabel(/^Quantity of/);
      await quantity.fill('0');
      await dialog.getByLabel(/^Unit cost of/).click();
      await expect(quantity.inputValue()).resolves.toBe('0');
      const writes = recordWrites(page);
      await dialog.getByRole('button', { name: 'Save order' }).click();
      const order0 = await steward.owner.get<{ supplier: { id: string } }>(`/api/v1/purchase-orders/${order.id}`);
      const message = await serverSays(
        'POST',
        '/api/v1/purchase-orders',
        { supplierId: order0.supplier.id, lines: [{ itemId: item.id, quantity: 0, unitCost: 420 }] },
        'lines.0.quantity',
      );
      await dialog.getByText(message as string).waitFor();
      expect(writes).toEqual([]);
      await context.close();
    });

    it('an idle timeout of −5 shows the field error and saves nothing', async () => {
      const page = await adminPage();
      await page.goto(`${steward.server.url}/settings/security`);
      const field = page.getByLabel('Idle timeout (minutes)');
      await field.fill('-5');
      await page.getByLabel('Session length (hours)').click();
      await expect(field.inputValue()).resolves.toBe('-5');
      const writes = recordWrites(page);
      await page.getByRole('button', { name: 'Save settings' }).click();
      const current = await steward.owner.get<Record<string, unknown>>('/api/v1/settings/security');
      const message = await serverSays(
        'PUT',
        '/api/v1/settings/security',
        { ...current, sessionIdleMinutes: -5 },
        'sessionIdleMinutes',
      );
      await page.getByText(message as string).waitFor();
      expect(writes).toEqual([]);
      await context.close();
    });

    it('the receive dialog starts every line at 0, offers “Receive all”, and refuses more than is due', async () => {
      const page = await adminPage();
      await page.goto(`${steward.server.url}/orders/${order.id}`);
      await page.getByRole('button', { name: 'Receive delivery' }).click();
      const dialog = page.getByRole('dialog');
      const line = dialog.getByLabel(`Received ${item.name}`);
      await expect(line.inputValue()).resolves.toBe('0');
      await expect(dialog.getByRole('button', { name: 'Receive', exact: true }).isDisabled()).resolves.toBe(true);
      await dialog.getByRole('button', { name: 'Receive all' }).click();
      await expect(line.inputValue()).resolves.toBe('6');
      await line.fill('999');
      await dialog.getByLabel('Note').click();
      await expect(line.inputValue()).resolves.toBe('999');
      const writes = recordWrites(page);
      await dialog.getByRole('button', { name: 'Receive', exact: true }).click();
      await dialog.getByText(/6 (are|is) due/).waitFor();
      expect(writes).toEqual([]);
      await context.close();
    });
  });

  describe('toasts and the forced password change', () => {
    it.each([DESKTOP, PHONE])('a success toast leaves the account menu uncovered at $width px', async (size) => {
      const page = await adminPage(size);
      await page.goto(`${steward.server.url}/settings/inventory`);
      await page.getByLabel('Allow stock to go below zero').click({ force: true });
      const toast = page.locator('.mantine-Notification-root').filter({ hasText: 'Inventory settings saved.' });
      await toast.waitFor();
      const account = page.getByRole('button', { name: /^Account menu/ });
      const a = await account.boundingBox();
      const t = await toast.boundingBox();
      if (!a || !t) throw new Error('no boxes');
      const overlaps = a.x < t.x + t.width && t.x < a.x + a.width && a.y < t.y + t.height && t.y < a.y + a.height;
      expect(overlaps).toBe(false);
      await account.click();
      await page.getByRole('menuitem', { name: 'Sign out' }).waitFor();
      await context.close();
    });

    it('the forced password-change page has a Sign out', async () => {
      const fresh = await createUser(steward.server.url, steward.owner, {
        name: 'Freya First-Day',
        roleKey: 'user',
        temporaryPassword: 'Temp-Pass-4412',
      });
      context = await steward.browser.newContext({ viewport: PHONE });
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      await page.goto(`${steward.server.url}/login`);
      await page.getByLabel('Email').fill(fresh.email);
      await page.getByLabel('Password', { exact: true }).fill(fresh.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Choose your password' }).waitFor();
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/login/);
      await page.goto(`${steward.server.url}/`);
      await page.waitForURL(/\/login/);
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      await context.close();
    });
  });
});
