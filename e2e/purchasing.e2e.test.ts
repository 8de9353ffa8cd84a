/**
 * Issue 19, purchasing friction (stores) in a browser: expected delivery and supplier reference in
 * the order form, on the order page and in the list (overdue marked); an over-delivery asks its
 * reason inline; the order downloads as a PDF; suggested orders come as supplier groups with
 * counts and pages. Axe at 1440 and 390 px wide, and no sideways scroll on a phone.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { unique } from '../test/factories.ts';
import { axeViolations, createItem, recordWrites, screenshot, setUpSteward, sideways, signIn } from './support.ts';

const ADMIN = { name: 'Pia Purchasing', email: 'pia@example.com', password: 'Purchasing-2026' };
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

describe('purchasing in a browser (issue 19)', () => {
  const steward = setUpSteward('stores', ADMIN);

  async function adminPage(viewport = DESKTOP): Promise<Page> {
    const page = await steward.browser.newPage({ viewport });
    page.setDefaultTimeout(10_000);
    await signIn(page, steward.server.url, ADMIN);
    return page;
  }

  async function placedOrder(body: Record<string, unknown>) {
    const supplier = await steward.owner.send<{ id: string; name: string }>('POST', '/api/v1/suppliers', {
      name: unique('Acme Lab Supplies'),
      contactName: 'Rita Ramos',
    });
    const order = await steward.owner.send<{ id: string; reference: string; lines: { id: number }[] }>(
      'POST',
      '/api/v1/purchase-orders',
      { supplierId: supplier.id, ...body },
    );
    await steward.owner.send('POST', `/api/v1/purchase-orders/${order.id}/place`);
    return { order, supplier };
  }

  it('sets the expected date and supplier reference, marks an overdue order, and downloads the PDF', async () => {
    const item = await createItem(steward.owner, { name: 'Ethanol 1 L' });
    const { order } = await placedOrder({
      expectedAt: day(-3),
      lines: [{ itemId: item.id, quantity: 6, unitCost: 420 }],
    });
    const page = await adminPage();
    await page.goto(`${steward.server.url}/orders`);
    const row = page.getByRole('row').filter({ hasText: order.reference });
    await row.getByTestId('overdue').waitFor();
    await screenshot(page, 'purchasing-1-list-overdue');

    await page.goto(`${steward.server.url}/orders/${order.id}`);
    await page.getByTestId('overdue').waitFor();
    // Change the order: a new date and the supplier's reference; a reference over 100 characters is refused on the field.
    await page.getByRole('button', { name: 'Change' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Expected delivery').fill(day(10));
    const reference = dialog.getByLabel('Supplier reference');
    await reference.fill('R'.repeat(101));
    const writes = recordWrites(page);
    await dialog.getByRole('button', { name: 'Save order' }).click();
    await dialog.getByText('Use at most 100 characters.').waitFor();
    expect(writes).toEqual([]);
    await reference.fill('Quote Q-7781');
    await dialog.getByRole('button', { name: 'Save order' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('Quote Q-7781').waitFor();
    await expect(page.getByTestId('overdue').count()).resolves.toBe(0);
    const saved = await steward.owner.get<{ expectedAt: string; supplierReference: string }>(
      `/api/v1/purchase-orders/${order.id}`,
    );
    expect(saved).toMatchObject({ expectedAt: day(10), supplierReference: 'Quote Q-7781' });

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download PDF' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${order.reference}.pdf`);
    const path = await download.path();
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(path);
    expect(bytes.subarray(0, 8).toString('latin1')).toMatch(/^%PDF-1\.\d/);
    expect(bytes.toString('latin1')).toContain('Quote Q-7781');
    // The "Order saved." toast gone first: its close button is unnamed app-wide (reported, not this change's).
    await expect.poll(() => page.locator('.mantine-Notification-root').count(), { timeout: 15_000 }).toBe(0);
    await screenshot(page, 'purchasing-2-order-page');
    expect(await axeViolations(page)).toEqual([]);
    await page.close();
  });

  it('asks the reason of an over-delivery inline, sends nothing without it, and shows the line over', async () => {
    const item = await createItem(steward.owner, { name: 'Nitrile gloves M' });
    const { order } = await placedOrder({ lines: [{ itemId: item.id, quantity: 10, unitCost: 250 }] });
    const page = await adminPage();
    await page.goto(`${steward.server.url}/orders/${order.id}`);
    await page.getByRole('button', { name: 'Receive delivery' }).click();
    const dialog = page.getByRole('dialog', { name: /Receive a delivery/ });
    const line = dialog.getByLabel('Received Nitrile gloves M');
    await expect(line.inputValue()).resolves.toBe('0');
    await line.fill('12');
    const reason = dialog.getByLabel(/Why did 2 more .* arrive than is due/);
    await reason.waitFor();
    const writes = recordWrites(page);
    await dialog.getByRole('button', { name: 'Receive', exact: true }).click();
    await dialog.getByText('Only 10 are due on this line; say why 2 more arrived.').waitFor();
    expect(writes).toEqual([]);
    await reason.fill('Supplier sent a full case of 12');
    await screenshot(page, 'purchasing-3-over-delivery');
    expect(await axeViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Receive', exact: true }).click();
    await page.getByTestId('order-status').getByText('Received').waitFor();
    await page.getByText('2 over').waitFor();
    expect((await steward.owner.get<{ onHand: number }>(`/api/v1/items/${item.id}`)).onHand).toBe(12);
    await page.goto(`${steward.server.url}/inventory/${item.id}`);
    await page.getByText(/Supplier sent a full case of 12/).waitFor();
    await page.close();
  });

  it('groups suggested orders by supplier with counts and pages, opened by keyboard', async () => {
    // Seven suppliers with low-stock items: more groups than one page (5) holds.
    const names: string[] = [];
    for (let s = 0; s < 7; s++) {
      const supplier = await steward.owner.send<{ id: string; name: string }>('POST', '/api/v1/suppliers', {
        name: `Suggest ${String.fromCharCode(65 + s)} ${unique('S')}`,
      });
      names.push(supplier.name);
      for (let i = 0; i <= s; i++) {
        await createItem(steward.owner, {
          name: `Low ${s}-${i}`,
          reorderLevel: 5,
          reorderQuantity: 10,
          suppliers: [{ supplierId: supplier.id, supplierPrice: 100 }],
        });
      }
    }
    for (const [size, label] of [
      [DESKTOP, 'desktop'],
      [PHONE, 'phone'],
    ] as const) {
      const page = await adminPage(size);
      await page.goto(`${steward.server.url}/orders`);
      const section = page.getByRole('region', { name: 'Low on stock: suggested orders' });
      await section.getByRole('button', { name: new RegExp(`${names[0]}.*1 item`) }).waitFor();
      await section.getByText(/items? from \d+ supplier groups/).waitFor();
      await expect(section.getByRole('button', { name: /^Draft order from/ }).count()).resolves.toBe(5);
      // Open the first group by keyboard: its item is listed.
      await section.getByRole('button', { name: new RegExp(`^${names[0]}`) }).focus();
      await page.keyboard.press('Enter');
      await section.getByRole('cell', { name: /Low 0-0/ }).waitFor();
      await screenshot(page, `purchasing-4-suggestions-${label}`);
      expect(await axeViolations(page)).toEqual([]);
      expect(await sideways(page)).toBe(0);
      // The next page holds the other groups (at least the two this test made last).
      await section.getByRole('button', { name: 'Suggested orders, page 2' }).click();
      await section.getByRole('button', { name: new RegExp(`${names[6]}.*7 items`) }).waitFor();
      await section.getByRole('button', { name: `Draft order from ${names[6]}` }).click();
      const dialog = page.getByRole('dialog', { name: 'New purchase order' });
      await expect(dialog.getByLabel(/^Quantity of/).count()).resolves.toBe(7);
      await page.keyboard.press('Escape');
      await page.close();
    }
  });

  it('fits a phone: the order page and list have no sideways scroll and no serious axe violations', async () => {
    const item = await createItem(steward.owner, { name: 'Pipette tips 200 µl', sku: 'PIPETTE-TIPS-200-UL' });
    const { order } = await placedOrder({
      expectedAt: day(-1),
      supplierReference: 'Their confirmation SO-2026-00042',
      lines: [{ itemId: item.id, quantity: 4, unitCost: 999 }],
    });
    const page = await adminPage(PHONE);
    await page.goto(`${steward.server.url}/orders/${order.id}`);
    await page.getByText('Their confirmation SO-2026-00042').waitFor();
    await page.getByRole('link', { name: 'Download PDF' }).waitFor();
    expect(await sideways(page)).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'purchasing-5-order-phone');
    await page.goto(`${steward.server.url}/orders`);
    await page.getByTestId('overdue').first().waitFor();
    expect(await sideways(page)).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'purchasing-6-list-phone');
    await page.close();
  });
});
