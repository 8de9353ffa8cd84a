/**
 * Settings → Business in a browser: the owner renames the business, picks another time zone from
 * the list by keyboard and adds contact details; a wrong email is said in its field and nothing is
 * sent; after saving, the header shows the new name. axe at 1440 and 390 px; screenshots saved.
 */
import { describe, expect, it } from 'vitest';
import { axeViolations, recordWrites, screenshot, setUpSteward, sideways, signIn, tabTo } from './support.ts';

const OWNER = { name: 'Marta Reis', email: 'marta@example.com', password: 'Business-Details-26' };

describe('business details in a browser', () => {
  const steward = setUpSteward('stores', OWNER);

  it('edits name, time zone and contact details, and says what is wrong before sending', async () => {
    const page = await steward.browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.setDefaultTimeout(10_000);
    await signIn(page, steward.server.url, OWNER);
    await page.goto(`${steward.server.url}/settings/business`);
    await page.getByRole('heading', { name: 'Business', exact: true }).waitFor();
    await page.getByText('were chosen at setup and cannot change').waitFor();
    expect(await page.getByRole('button', { name: 'Save details' }).isDisabled()).toBe(true);

    await page.getByLabel('Business name').fill('Reis Lab Supplies');
    const zone = page.getByLabel('Time zone', { exact: true }).and(page.locator('input'));
    // The time zone list: type to filter, pick the match.
    await zone.click();
    expect(await zone.inputValue()).toBe('Europe/Lisbon');
    await zone.fill('');
    await zone.pressSequentially('Azores');
    await page.getByRole('option', { name: 'Atlantic/Azores' }).click();
    await expect.poll(() => zone.inputValue()).toBe('Atlantic/Azores');
    // Typing, then picking the zone already chosen, shows the zone again, not the words typed.
    await zone.fill('');
    await zone.pressSequentially('Azo');
    await page.getByRole('option', { name: 'Atlantic/Azores' }).click();
    await expect.poll(() => zone.inputValue()).toBe('Atlantic/Azores');
    await page.getByLabel('Address').fill('Rua das Flores 12\n1200-195 Lisboa');
    await page.getByLabel('Phone').fill('+351 21 000 0000');
    await page.getByLabel('Email').fill('orders at reis');

    const writes = recordWrites(page);
    await page.getByRole('button', { name: 'Save details' }).click();
    await page.getByText('Enter a valid email address, or leave it empty.').waitFor();
    expect(writes).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'business-1440');

    await page.getByLabel('Email').fill('orders@reis.example');
    await page.getByRole('button', { name: 'Save details' }).click();
    await page.getByText('Business details saved.').waitFor();
    // The toast itself passes axe (its close button has a name).
    expect(await axeViolations(page)).toEqual([]);
    expect(writes.map((w) => w.method)).toEqual(['PUT']);
    await page.getByRole('banner').getByText('Reis Lab Supplies').waitFor();
    const saved = await steward.owner.get<{ timezone: string; email: string }>('/api/v1/settings/business');
    expect(saved).toMatchObject({ timezone: 'Atlantic/Azores', email: 'orders@reis.example' });

    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.getByLabel('Business name').waitFor();
    expect(await page.getByLabel('Business name').inputValue()).toBe('Reis Lab Supplies');
    expect(await sideways(page)).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'business-390', { fullPage: true });
    await page.close();
  }, 60_000);

  it('is reached and saved with Tab, the arrow keys and Enter alone', async () => {
    const page = await steward.browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.setDefaultTimeout(10_000);
    await signIn(page, steward.server.url, OWNER);
    await page.goto(`${steward.server.url}/settings/business`);
    await page.getByLabel('Business name').waitFor();
    // The Business tab is a link Tab reaches; Enter keeps us on it.
    await tabTo(page, (el) => el.textContent === 'Business' && el.tagName === 'A');
    await page.keyboard.press('Enter');
    await tabTo(
      page,
      (el) =>
        el.id !== '' &&
        document.querySelector(`label[for="${el.id}"]`)?.textContent?.startsWith('Business name') === true,
    );
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('Keyboard Lab');
    // Time zone: Tab to it, type to filter, arrow to the match, Enter to choose it.
    await page.keyboard.press('Tab');
    await page.keyboard.type('Madeira');
    await page.getByRole('option', { name: 'Atlantic/Madeira' }).waitFor();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    const zone = page.getByLabel('Time zone', { exact: true }).and(page.locator('input'));
    await expect.poll(() => zone.inputValue()).toBe('Atlantic/Madeira');
    // Enter in a one-line field sends the form.
    await page.keyboard.press('Enter');
    await page.getByText('Business details saved.').waitFor();
    const saved = await steward.owner.get<{ name: string; timezone: string }>('/api/v1/settings/business');
    expect(saved).toMatchObject({ name: 'Keyboard Lab', timezone: 'Atlantic/Madeira' });
    await page.close();
  }, 60_000);
});
