/**
 * Issue 19, "each template shows the modules it has": a studio sees no store concepts (suppliers,
 * categories, purchase orders, charge codes) in the item form, the inventory list, the permission
 * lists or the Add-user dialog; Settings → Modules switches Purchase orders on and the sidebar
 * shows them; switching them off again asks first and deletes nothing. Axe-clean at both sizes.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { axeViolations, createItem, screenshot, setUpSteward, sideways, signIn } from './support.ts';

const OWNER = { name: 'Mara Owner', email: 'mara@example.com', password: 'Studio-Modules-2026' };
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
/** What a studio must not be shown while the store modules are off. */
const STORE_WORDS = /supplier|purchase order|charge code|categor/i;

describe('template modules (issue 19) in a browser', () => {
  const steward = setUpSteward('studio', OWNER);
  let context: BrowserContext | undefined;
  afterAll(async () => {
    await context?.close();
  });

  async function ownerPage(viewport = DESKTOP): Promise<Page> {
    await context?.close();
    context = await steward.browser.newContext({ viewport });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await signIn(page, steward.server.url, OWNER);
    return page;
  }

  const sidebar = (page: Page) => page.getByRole('navigation', { name: 'Modules' });
  const main = (page: Page) => page.locator('main');

  it('shows a studio no store concepts in the inventory list, the item form and the item page', async () => {
    const item = await createItem(steward.owner, { name: 'Black ink 30 ml', openingStock: 4 });
    const page = await ownerPage();
    await page.goto(`${steward.server.url}/inventory`);
    await page.getByRole('link', { name: 'Black ink 30 ml' }).waitFor();
    expect(await main(page).textContent()).not.toMatch(STORE_WORDS);
    expect(await page.getByRole('columnheader', { name: 'Category' }).count()).toBe(0);
    expect(await sidebar(page).textContent()).not.toMatch(STORE_WORDS);

    await page.getByRole('button', { name: 'New item' }).click();
    const dialog = page.getByRole('dialog', { name: 'New item' });
    await dialog.getByLabel('SKU').waitFor();
    expect(await dialog.textContent()).not.toMatch(STORE_WORDS);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'template-modules-item-form-1440');
    await page.keyboard.press('Escape');

    await page.goto(`${steward.server.url}/inventory/${item.id}`);
    await page.getByRole('heading', { name: 'Black ink 30 ml' }).waitFor();
    expect(await main(page).textContent()).not.toMatch(STORE_WORDS);
  });

  it('lists only the studio’s permissions until asked for the others, in the user and role editors', async () => {
    const me = await steward.owner.get<{ user: { id: string } }>('/api/v1/me');
    const page = await ownerPage();
    await page.goto(`${steward.server.url}/settings/permissions?user=${me.user.id}`);
    const show = page.getByRole('switch', { name: 'Show permissions of modules that are off' });
    await show.waitFor();
    await page.getByText('Inventory', { exact: true }).first().waitFor();
    const panel = main(page);
    expect(await panel.textContent()).not.toMatch(STORE_WORDS);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'template-modules-permissions-1440');
    await show.check();
    await page.getByText('Purchase orders', { exact: true }).first().waitFor();
    expect(await panel.textContent()).toMatch(/Suppliers[\s\S]*module switched off/);
    expect(await panel.textContent()).toContain('Charge codes');

    await page.goto(`${steward.server.url}/settings/roles`);
    await page.getByRole('table').waitFor();
    expect(await main(page).textContent()).not.toMatch(STORE_WORDS);
    await page.getByRole('switch', { name: 'Show permissions of modules that are off' }).check();
    await expect.poll(() => main(page).textContent()).toContain('Purchase orders');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'template-modules-roles-off-shown-1440', { fullPage: true });

    await page.goto(`${steward.server.url}/settings/users`);
    await page.getByRole('button', { name: 'Add user' }).click();
    const add = page.getByRole('dialog', { name: 'Add a user' });
    await add.getByLabel('Name').waitFor();
    expect(await add.textContent()).not.toContain('Artist profile');
    expect(await add.getByLabel(/artist/i).count()).toBe(0);
  });

  it('switches Purchase orders on in Settings → Modules, and the sidebar shows them', async () => {
    const page = await ownerPage();
    await page.goto(`${steward.server.url}/settings/modules`);
    await page.getByRole('heading', { name: 'Modules' }).waitFor();
    expect(await page.title()).toBe('Modules · Settings · Steward');
    await expect.poll(() => main(page).textContent()).toContain('nothing is deleted');
    const orders = page.getByRole('switch', { name: 'Purchase orders' });
    expect(await orders.isChecked()).toBe(false);
    expect(await page.getByRole('switch', { name: 'Settings' }).isDisabled()).toBe(true);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'template-modules-settings-1440', { fullPage: true });
    expect(await sidebar(page).getByRole('link', { name: 'Purchase orders' }).count()).toBe(0);

    // By keyboard: focus the switch and press Space.
    await orders.focus();
    await page.keyboard.press('Space');
    await sidebar(page).getByRole('link', { name: 'Purchase orders' }).waitFor();
    await sidebar(page).getByRole('link', { name: 'Suppliers' }).waitFor();
    expect(await orders.isChecked()).toBe(true);
    // Suppliers came with them, and stay on while Purchase orders need them.
    expect(await page.getByRole('switch', { name: 'Suppliers' }).isChecked()).toBe(true);
    expect(await page.getByRole('switch', { name: 'Suppliers' }).isDisabled()).toBe(true);
    await expect.poll(() => main(page).textContent()).toContain('Purchase orders needs it: switch that off first.');

    await sidebar(page).getByRole('link', { name: 'Purchase orders' }).click();
    await page.getByRole('heading', { name: 'Purchase orders', level: 1 }).waitFor();
    // The toast that said so is still up: its close button has a name too.
    await page.getByRole('button', { name: 'Dismiss' }).first().waitFor();
    expect(await axeViolations(page)).toEqual([]);
  });

  it('asks before switching a module off, and then hides it from the sidebar', async () => {
    const page = await ownerPage();
    await page.goto(`${steward.server.url}/settings/modules`);
    const orders = page.getByRole('switch', { name: 'Purchase orders' });
    await orders.waitFor();
    expect(await orders.isChecked()).toBe(true);
    // Mantine draws the track over the input: the keyboard is how the switch is reached and moved.
    await orders.focus();
    await page.keyboard.press('Space');
    const ask = page.getByRole('dialog', { name: 'Switch off Purchase orders?' });
    await ask.waitFor();
    expect(await ask.textContent()).toContain('Nothing is deleted');
    expect(await axeViolations(page)).toEqual([]);
    await ask.getByRole('button', { name: 'Switch off' }).click();
    await ask.waitFor({ state: 'detached' });
    await expect.poll(() => sidebar(page).getByRole('link', { name: 'Purchase orders' }).count()).toBe(0);
    expect(await orders.isChecked()).toBe(false);
    // Suppliers can go now that nothing needs them.
    const suppliers = page.getByRole('switch', { name: 'Suppliers' });
    expect(await suppliers.isDisabled()).toBe(false);
    await suppliers.focus();
    await page.keyboard.press('Space');
    await page
      .getByRole('dialog', { name: 'Switch off Suppliers?' })
      .getByRole('button', { name: 'Switch off' })
      .click();
    await expect.poll(() => sidebar(page).getByRole('link', { name: 'Suppliers' }).count()).toBe(0);
    // Nothing was deleted: the business's modules are as the template left them.
    const me = await steward.owner.get<{ business: { modules: string[] } }>('/api/v1/me');
    expect(me.business.modules).not.toContain('orders');
    expect(me.business.modules).not.toContain('suppliers');
  });

  it('fits a 390 px phone: the Modules tab and the item form, axe-clean, with no sideways scroll', async () => {
    // As the studio started, whichever tests ran before.
    for (const key of ['orders', 'suppliers']) {
      await steward.owner.send('PUT', `/api/v1/settings/modules/${key}`, { on: false });
    }
    const page = await ownerPage(PHONE);
    await page.goto(`${steward.server.url}/settings/modules`);
    await page.getByRole('switch', { name: 'Purchase orders' }).waitFor();
    expect(await sideways(page)).toBeLessThanOrEqual(0);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'template-modules-settings-390', { fullPage: true });

    await page.goto(`${steward.server.url}/inventory`);
    await page.getByRole('button', { name: 'New item' }).click();
    const dialog = page.getByRole('dialog', { name: 'New item' });
    await dialog.getByLabel('SKU').waitFor();
    expect(await dialog.textContent()).not.toMatch(STORE_WORDS);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'template-modules-item-form-390');
  });
});
