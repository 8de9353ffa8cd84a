import { describe, expect, it } from 'vitest';
import { unique } from '../test/factories.ts';
import { apiAs, createItem, createPlacedOrder, createUser, screenshot, setUpSteward } from './support.ts';

const ADMIN = { name: 'Ines Admin', email: 'ines@example.com', password: 'Lab-Stores-2026' };

/**
 * Each test arranges its own items, orders and users (unique SKUs and emails), so any one of them
 * runs alone: `npx vitest run --config e2e/vitest.config.ts -t "<name>"`.
 */
describe('inventory and purchase orders in a browser', () => {
  const steward = setUpSteward('stores', ADMIN);

  it('receives a delivery against a purchase order, and the stock rises', async () => {
    const category = await steward.owner.send<{ id: string }>('POST', '/api/v1/categories', {
      name: unique('Consumables'),
    });
    const item = await createItem(steward.owner, {
      name: 'Pipette tips 200 µl',
      categoryId: category.id,
      unit: 'box',
      price: 799,
      cost: 420,
      vatRateBp: 2300,
      location: 'Shelf B2',
      reorderLevel: 5,
      openingStock: 2,
    });
    const other = await createItem(steward.owner, {
      name: 'Nitrile gloves M',
      categoryId: category.id,
      openingStock: 20,
    });
    const order = await createPlacedOrder(steward.owner, { itemId: item.id, quantity: 10, unitCost: 420 });
    const page = await steward.browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.setDefaultTimeout(10_000);
    await page.goto(`${steward.server.url}/login`);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Modules' }).getByText('Inventory', { exact: true }).click();
    await page.locator(`[data-sku="${item.sku}"]`).waitFor();
    await page.getByLabel('Search items').fill('tips');
    await page.locator(`[data-sku="${other.sku}"]`).waitFor({ state: 'detached' });
    await screenshot(page, 'inventory-1-items');
    await page.locator(`[data-sku="${item.sku}"]`).click();
    await page.getByTestId('on-hand').getByText('2 box').waitFor();

    await page.getByRole('navigation', { name: 'Modules' }).getByText('Purchase orders', { exact: true }).click();
    await page.getByText(order.reference).click();
    await page.getByRole('button', { name: 'Receive delivery' }).click();
    const dialog = page.getByRole('dialog', { name: /Receive a delivery/ });
    await dialog.getByLabel('Received Pipette tips 200 µl').fill('6');
    await dialog.getByLabel('Note').fill('Delivery note 4471');
    await screenshot(page, 'inventory-2-receive');
    await dialog.getByRole('button', { name: 'Receive', exact: true }).click();
    await page.getByTestId('order-status').getByText('Partly received').waitFor();
    // The rest arrives: every line starts at 0, and "Receive all" fills in what is due.
    await page.getByRole('button', { name: 'Receive delivery' }).click();
    const rest = page.getByRole('dialog', { name: /Receive a delivery/ });
    await rest.getByRole('button', { name: 'Receive all' }).click();
    await rest.getByRole('button', { name: 'Receive', exact: true }).click();
    await page.getByTestId('order-status').getByText('Received').waitFor();
    await screenshot(page, 'inventory-3-order-received');

    await page.goto(`${steward.server.url}/inventory/${item.id}`);
    await page.getByTestId('on-hand').getByText('12 box').waitFor();
    await page.getByText('Delivery note 4471').waitFor();
    await screenshot(page, 'inventory-4-stock-rose');
    await page.close();
  });

  it('shows import problems by row and column before anything is written', async () => {
    const page = await steward.browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.setDefaultTimeout(10_000);
    await page.goto(`${steward.server.url}/login`);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: /Ines/ }).waitFor();
    await page.goto(`${steward.server.url}/inventory`);
    await page.getByRole('button', { name: 'Import' }).click();
    const csv = 'sku,name,price,vat_rate\nNEW-1,Petri dishes,4.50,23\n,No SKU,1,23\nNEW-3,Agar,abc,23\n';
    await page
      .getByRole('dialog', { name: 'Import items' })
      .locator('input[type=file]')
      .setInputFiles({ name: 'items.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByText('Nothing will be imported until every row is right').waitFor();
    await page.getByRole('cell', { name: '"abc" is not an amount such as 12.50.' }).waitFor();
    expect(await page.getByRole('button', { name: 'Import 3 rows' }).isDisabled()).toBe(true);
    await screenshot(page, 'inventory-5-import-errors');
    await page.close();
  });

  it('shows a stores User no Adjust button, and refuses the same call made to the API', async () => {
    const clerk = await createUser(steward.server.url, steward.owner, {
      name: 'Tom Clerk',
      roleKey: 'user',
      password: 'Counter-Clerk-7',
    });
    const item = await createItem(steward.owner, { name: 'Pipette tips 200 µl', unit: 'box', openingStock: 12 });
    const page = await steward.browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.setDefaultTimeout(10_000);
    await page.goto(`${steward.server.url}/login`);
    await page.getByLabel('Email').fill(clerk.email);
    await page.getByLabel('Password', { exact: true }).fill(clerk.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: /Tom/ }).waitFor();
    await page.goto(`${steward.server.url}/inventory/${item.id}`);
    await page.getByTestId('on-hand').getByText('12 box').waitFor();
    await expect(page.getByRole('button', { name: 'Adjust' }).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Stock in' }).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Edit' }).count()).resolves.toBe(0);
    await screenshot(page, 'inventory-6-user-view');
    const api = await apiAs(steward.server.url, clerk.email, clerk.password);
    const refused = await api.raw('POST', `/api/v1/items/${item.id}/stock`, {
      kind: 'adjustment',
      quantity: 50,
      reason: 'found some',
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ permission: 'inventory.manage_stock' });
    await api.close();
    // Nothing changed.
    expect((await steward.owner.get<{ onHand: number }>(`/api/v1/items/${item.id}`)).onHand).toBe(12);
    await page.close();
  });
});
