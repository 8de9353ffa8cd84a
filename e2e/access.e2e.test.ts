import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createItem, createUser, screenshot, setUpSteward, uniqueEmail } from './support.ts';

const ADMIN = { name: 'Marta Admin', email: 'marta@example.com', password: 'Studio-Owner-1' };

async function signIn(page: Page, url: string, email: string, password: string) {
  await page.goto(`${url}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Each test creates the people and items it needs (unique emails), so any one of them runs alone. */
describe('accounts and access in a browser', () => {
  const steward = setUpSteward('studio', ADMIN);

  it('an admin grants reports.export to a user and the mark turns green', async () => {
    await createUser(steward.server.url, steward.owner, { name: 'Rui Artist', roleKey: 'artist' });
    const page = await steward.browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.setDefaultTimeout(10_000);
    await signIn(page, steward.server.url, ADMIN.email, ADMIN.password);
    await page.getByRole('navigation', { name: 'Modules' }).getByText('Settings', { exact: true }).click();
    await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Permissions' }).click();
    await page.getByText('Rui Artist').click();
    const row = page.locator('[data-permission="reports.export"]');
    await row.waitFor();
    expect(await row.locator('[data-state]').getAttribute('data-state')).toBe('none');
    // An inherited one says where it comes from.
    expect(await page.locator('[data-permission="agenda.view"] [data-state]').getAttribute('data-state')).toBe(
      'inherited',
    );
    await row.getByText('Grant', { exact: true }).click();
    await page.getByRole('button', { name: 'Save (1)' }).click();
    const dialog = page.getByRole('dialog', { name: 'Save permission changes' });
    await dialog.getByLabel(/Reason/).fill('Prepares the monthly commission export');
    await screenshot(page, 'access-1-save-dialog');
    await dialog.getByRole('button', { name: 'Save 1 change' }).click();
    await page.getByText('Permissions saved').waitFor();
    await page.locator('[data-permission="reports.export"] [data-state="grant"]').waitFor();
    await row.getByRole('button', { name: 'Why?' }).click();
    await page
      .getByTestId('explanation')
      .getByText(/Granted explicitly by Marta Admin/)
      .waitFor();
    await screenshot(page, 'access-2-granted-green');

    // A critical permission asks for confirmation before it can be saved. The Backups area is
    // folded (he has nothing there); it opens with a click.
    await page.getByRole('button', { name: /^Backups/ }).click();
    await page.locator('[data-permission="backup.restore"]').getByText('Grant', { exact: true }).click();
    await page.getByRole('button', { name: 'Save (1)' }).click();
    const critical = page.getByRole('dialog', { name: 'Save permission changes' });
    await critical.getByLabel(/Reason/).fill('Runs the restore drill');
    await critical.getByText('Critical permissions').waitFor();
    expect(await critical.getByRole('button', { name: 'Save 1 change' }).isDisabled()).toBe(true);
    await screenshot(page, 'access-3-critical-confirmation');
    await critical.getByRole('button', { name: 'Cancel' }).click();
    await page.close();
  });

  it('an assistant hits an action that needs the master code, enters it, and it goes through', async () => {
    // The studio template locks stock changes for assistants behind the master code.
    const ink = await createItem(steward.owner, { name: 'Black ink 30 ml', unit: 'bottle', openingStock: 2 });
    const ana = await createUser(steward.server.url, steward.owner, {
      name: 'Ana Assistant',
      roleKey: 'assistant',
      temporaryPassword: 'Front-Desk-2026',
    });
    const { code } = await steward.owner.send<{ code: string }>('POST', '/api/v1/security/master-code/rotate');

    const page = await steward.browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.setDefaultTimeout(10_000);
    await signIn(page, steward.server.url, ana.email, 'Front-Desk-2026');
    // A temporary password: she chooses her own first.
    await page.getByRole('heading', { name: 'Choose your password' }).waitFor();
    await page.getByLabel('Current password').fill('Front-Desk-2026');
    await page.getByLabel('New password', { exact: true }).fill('Ana-Desk-Pass-7');
    await page.getByLabel('New password again').fill('Ana-Desk-Pass-7');
    await page.getByRole('button', { name: 'Save and continue' }).click();
    await page.getByRole('heading', { name: /Ana/ }).waitFor();

    await page.goto(`${steward.server.url}/inventory/${ink.id}`);
    await page.getByTestId('on-hand').getByText('2 bottle').waitFor();
    await page.getByRole('button', { name: 'Stock in' }).click();
    const stock = page.getByRole('dialog', { name: /Stock of Black ink/ });
    await stock.getByLabel('Quantity').fill('6');
    await stock.getByRole('button', { name: 'Add to stock' }).click();
    const ask = page.getByRole('dialog', { name: 'Master code required' });
    await ask.waitFor();
    await ask.getByLabel('Master code').fill('00000000' === code ? '11111111' : '00000000');
    await ask.getByRole('button', { name: 'Unlock' }).click();
    await ask.getByText('The master code is not correct.').waitFor();
    await screenshot(page, 'access-4-master-code-wrong');
    await ask.getByLabel('Master code').fill(code);
    await ask.getByRole('button', { name: 'Unlock' }).click();
    // The retried call went through: the stock rose, and the session shows it is unlocked.
    await page.getByTestId('on-hand').getByText('8 bottle').waitFor();
    await page
      .getByText(/Unlocked until/)
      .first()
      .waitFor();
    await screenshot(page, 'access-5-elevated-action-done');
    // The ledger and the audit log name her, elevated.
    const audit = await steward.owner.get<{ items: { actor: { label: string }; elevated: boolean }[] }>(
      '/api/v1/audit?action=inventory.stock&limit=1',
    );
    expect(audit.items[0]).toMatchObject({ actor: { label: ana.email }, elevated: true });
    await page.close();
  });

  it('an admin adds a user, rotates the master code and creates an API key from the settings pages', async () => {
    const bea = uniqueEmail('bea');
    const page = await steward.browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.setDefaultTimeout(10_000);
    await signIn(page, steward.server.url, ADMIN.email, ADMIN.password);
    await page.getByRole('heading', { name: /Marta/ }).waitFor();
    await page.goto(`${steward.server.url}/settings/users`);
    await page.getByRole('button', { name: 'Add user' }).click();
    const form = page.getByRole('dialog', { name: 'Add a user' });
    await form.getByRole('button', { name: 'Add user' }).click();
    await form.getByText('Enter a name.').waitFor();
    await form.getByLabel(/^Name/).fill('Bea Assistant');
    await form.getByLabel(/^Email/).fill('marta@example.com');
    await form.getByLabel(/^Role/).click();
    await page.getByRole('option', { name: 'Assistant' }).click();
    await form.getByRole('button', { name: 'Add user' }).click();
    await form.getByText('Another user already has this email address.').waitFor();
    await screenshot(page, 'access-7-add-user-errors');
    await form.getByLabel(/^Email/).fill(bea);
    await form.getByRole('button', { name: 'Add user' }).click();
    await page.getByRole('dialog', { name: 'Temporary password' }).waitFor();
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.locator(`[data-user="${bea}"]`).getByText('Temporary password').waitFor();
    await screenshot(page, 'access-8-users');

    await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Roles' }).click();
    await page.getByRole('heading', { name: 'Admin', exact: true }).waitFor();
    await page.getByText('Assistant', { exact: true }).first().click();
    await page.getByRole('heading', { name: 'Assistant', exact: true }).waitFor();
    await screenshot(page, 'access-9-roles');

    await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Sign-in & keys' }).click();
    await page.getByRole('button', { name: 'Rotate the code…' }).click();
    await page.getByRole('button', { name: 'Issue new code' }).click();
    await page.getByRole('dialog', { name: 'New master code' }).waitFor();
    expect(await page.getByTestId('secret').textContent()).toMatch(/^\d{8}$/);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('button', { name: 'New key' }).click();
    const key = page.getByRole('dialog', { name: 'New API key' });
    await key.getByLabel(/^Name/).fill('Accounting export');
    await key.getByLabel(/^Permissions/).click();
    await page.getByRole('option', { name: /View users/ }).click();
    await page.keyboard.press('Escape');
    await key.getByRole('button', { name: 'Create key' }).click();
    await page.getByRole('dialog', { name: 'Your new API key' }).waitFor();
    expect(await page.getByTestId('secret').textContent()).toMatch(/^stw_/);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.getByText('Accounting export').scrollIntoViewIfNeeded();
    await screenshot(page, 'access-10-security');

    await page.goto(`${steward.server.url}/account`);
    await page.getByText('this session').waitFor();
    await screenshot(page, 'access-11-account');
    await page.close();
  });

  it('throws a deactivated user’s open session out', async () => {
    const rita = await createUser(steward.server.url, steward.owner, { name: 'Rita Artist', roleKey: 'artist' });
    const page = await steward.browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(10_000);
    await signIn(page, steward.server.url, rita.email, rita.password);
    await page.getByLabel('Current password').fill(rita.password);
    await page.getByLabel('New password', { exact: true }).fill('Rita-Tattoo-42');
    await page.getByLabel('New password again').fill('Rita-Tattoo-42');
    await page.getByRole('button', { name: 'Save and continue' }).click();
    await page.getByRole('heading', { name: /Rita/ }).waitFor();

    await steward.owner.send('POST', `/api/v1/users/${rita.id}/deactivate`, { reason: 'Left the studio' });
    // His next click reaches the server, which no longer knows the session.
    await page.getByRole('button', { name: 'Account menu' }).click();
    await page.getByRole('menuitem', { name: 'Your account' }).click();
    await page.waitForURL('**/login');
    await page.getByText('Your session has ended').waitFor();
    await screenshot(page, 'access-6-thrown-out');
    // And he cannot sign back in.
    await page.getByLabel('Email').fill(rita.email);
    await page.getByLabel('Password', { exact: true }).fill('Rita-Tattoo-42');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Could not sign in' }).waitFor();
    await page.close();
  });
});
