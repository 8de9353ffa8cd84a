/**
 * Issue 19, inventory items in a browser: quantities agree with their unit ("31 bottles",
 * "1 bottle", "1 pc"), the bulk-edit dialog sets the preferred supplier (keyboard and axe), and the
 * item's ledger marks an entry booked under the master code with a badge a screen reader reads.
 * Each at 1440 and 390 px wide.
 */
import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { unique } from '../test/factories.ts';
import { apiAs, axeViolations, createItem, createUser, screenshot, setUpSteward, sideways, signIn } from './support.ts';

const WIDE = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };

async function pageAs(browser: Browser, size: { width: number; height: number }): Promise<Page> {
  const page = await browser.newPage({ viewport: size });
  page.setDefaultTimeout(10_000);
  return page;
}

describe('items: units, bulk supplier (stores)', () => {
  const ADMIN = { name: 'Ines Admin', email: 'ines-19@example.com', password: 'Lab-Stores-2026' };
  const steward = setUpSteward('stores', ADMIN);

  it.each([WIDE, PHONE])(
    'shows "31 bottles", "1 bottle" and "1 pc", and bulk-sets the preferred supplier at $width px',
    async (size) => {
      const tag = unique('Tonic').toLowerCase();
      const supplier = await steward.owner.send<{ id: string; name: string }>('POST', '/api/v1/suppliers', {
        name: unique('Bottle Barn'),
      });
      const many = await createItem(steward.owner, { name: `${tag} big`, unit: 'bottle', openingStock: 31 });
      const one = await createItem(steward.owner, { name: `${tag} one`, unit: 'bottles', openingStock: 1 });
      const piece = await createItem(steward.owner, { name: `${tag} piece`, unit: 'pcs', openingStock: 1 });

      const page = await pageAs(steward.browser, size);
      await signIn(page, steward.server.url, ADMIN);
      await page.goto(`${steward.server.url}/inventory`);
      await page.getByLabel('Search items').fill(tag);
      const row = (sku: string) => page.locator(`[data-sku="${sku}"]`);
      await row(many.sku).getByText('31 bottles', { exact: true }).waitFor();
      await row(one.sku).getByText('1 bottle', { exact: true }).waitFor();
      await row(piece.sku).getByText('1 pc', { exact: true }).waitFor();
      expect(await page.evaluate(() => /\b1 (items|bottles|pcs)\b/.test(document.body.textContent ?? ''))).toBe(false);

      // Two items chosen, then the bulk-edit dialog, by keyboard: the supplier picker is a combobox.
      await page.getByRole('checkbox', { name: `Select ${many.name}` }).check();
      await page.getByRole('checkbox', { name: `Select ${one.name}` }).check();
      await page.getByRole('button', { name: 'Bulk edit 2 selected…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Change 2 items' });
      await dialog.waitFor();
      const picker = dialog.getByLabel('Preferred supplier');
      await picker.focus();
      await page.keyboard.type(supplier.name.slice(0, 14));
      await page.getByRole('option', { name: supplier.name }).waitFor();
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      expect(await picker.inputValue()).toBe(supplier.name);
      expect(await axeViolations(page)).toEqual([]);
      expect(await sideways(page)).toBe(0);
      await screenshot(page, `items-19-bulk-supplier-${size.width}`);
      await dialog.getByRole('button', { name: 'Apply to 2 items' }).click();
      await page.getByText('2 of 2 items changed.').waitFor();

      for (const id of [many.id, one.id]) {
        const item = await steward.owner.get<{ suppliers: { supplierId: string; preferred: boolean }[] }>(
          `/api/v1/items/${id}`,
        );
        expect(item.suppliers).toEqual([expect.objectContaining({ supplierId: supplier.id, preferred: true })]);
      }
      const untouched = await steward.owner.get<{ suppliers: unknown[] }>(`/api/v1/items/${piece.id}`);
      expect(untouched.suppliers).toEqual([]);

      await page.goto(`${steward.server.url}/inventory/${many.id}`);
      await page.getByTestId('on-hand').getByText('31 bottles', { exact: true }).waitFor();
      await page.getByText(`${supplier.name} (preferred)`).waitFor();
      await page.close();
    },
  );
});

describe('the ledger marks master-code entries (studio)', () => {
  const ADMIN = { name: 'Marta Admin', email: 'marta-19@example.com', password: 'Studio-Owner-1' };
  const steward = setUpSteward('studio', ADMIN);

  it('an assistant’s stock-out under the master code carries the mark; the owner’s stock-in does not', async () => {
    const ink = await createItem(steward.owner, { name: 'Black ink 30 ml', unit: 'bottle', openingStock: 3 });
    const { code } = await steward.owner.send<{ code: string }>('POST', '/api/v1/security/master-code/rotate');
    const ana = await createUser(steward.server.url, steward.owner, {
      name: 'Ana Assistant',
      roleKey: 'assistant',
      password: 'Ana-Desk-Pass-7',
    });
    const assistant = await apiAs(steward.server.url, ana.email, ana.password);
    await assistant.send('POST', '/api/v1/auth/elevate', { code });
    await assistant.send('POST', `/api/v1/items/${ink.id}/stock`, { kind: 'out', quantity: 1, reason: 'Session 12' });
    await assistant.close();
    await steward.owner.send('POST', `/api/v1/items/${ink.id}/stock`, { kind: 'in', quantity: 4 });

    for (const size of [WIDE, PHONE]) {
      const page = await pageAs(steward.browser, size);
      await signIn(page, steward.server.url, ADMIN);
      await page.goto(`${steward.server.url}/inventory/${ink.id}`);
      await page.getByTestId('on-hand').getByText('6 bottles', { exact: true }).waitFor();
      const marks = page.getByTestId('master-code-mark');
      await marks.first().waitFor();
      expect(await marks.count()).toBe(1);
      expect(await marks.textContent()).toBe('booked under the master code');
      // The mark is on Ana's row (the reason names it), and on no other.
      const marked = page.getByRole('row').filter({ has: marks });
      expect(await marked.textContent()).toContain('Ana Assistant');
      expect(await marked.textContent()).toContain('Session 12');
      expect(await axeViolations(page)).toEqual([]);
      await marks.scrollIntoViewIfNeeded();
      await screenshot(page, `items-19-ledger-master-code-${size.width}`);
      await page.close();
    }
  });
});
