import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { axeViolations, createUser, screenshot, setUpSteward, sideways, signIn } from './support.ts';

const OWNER = { name: 'Olga Owner', email: 'olga@example.com', password: 'Stores-Owner-1' };
const PHONE = { width: 390, height: 844 };

/** What sticks out to the right at phone width (empty when nothing does). */
const widest = (page: Page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .filter(
        (el) =>
          ![...el.children].some((c) => c.getBoundingClientRect().right > document.documentElement.clientWidth + 1),
      )
      .filter((el) => !el.closest('[class*="scrollContainer"], .mantine-ScrollArea-root'))
      .slice(0, 4)
      .map(
        (el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} "${(el.textContent ?? '').slice(0, 30)}"`,
      ),
  );

/**
 * Issue 19: the permissions editor warns before saving when a change would leave a permission
 * without the one it needs (export without view), and role changes that add a critical permission
 * wait on the approvals list for a second admin instead of being refused.
 */
describe('permission rules in a browser', () => {
  const steward = setUpSteward('stores', OWNER);

  async function openPermissionsOf(page: Page, name: string) {
    await page.goto(`${steward.server.url}/settings/permissions`);
    await page.getByText(name).click();
    await page.locator('[data-permission="inventory.view"]').waitFor();
  }

  it('denying view warns which permissions stay without effect and denies them too; a grant without view cannot be saved', async () => {
    const pia = await createUser(steward.server.url, steward.owner, { name: 'Pia Manager', roleKey: 'superuser' });
    const page = await steward.browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.setDefaultTimeout(10_000);
    await signIn(page, steward.server.url, OWNER);
    await openPermissionsOf(page, 'Pia Manager');
    await page.locator('[data-permission="inventory.view"]').getByText('Deny', { exact: true }).click();
    const warning = page.getByRole('alert').filter({ hasText: 'Some permissions would stay without effect' });
    await warning.waitFor();
    expect(await warning.textContent()).toMatch(/“Export inventory”.*need “View inventory”/);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'permission-rules-1-deny-view-warning');
    await warning.getByRole('button', { name: 'Deny them too' }).click();
    await warning.waitFor({ state: 'detached' });
    const save = page.getByRole('button', { name: /^Save \(\d+\)$/ });
    const count = Number((await save.textContent())?.match(/\d+/)?.[0]);
    expect(count).toBeGreaterThan(5); // view, add, edit, manage stock, count, bulk edit, import, export
    await save.click();
    const dialog = page.getByRole('dialog', { name: 'Save permission changes' });
    await dialog.getByLabel(/Reason/).fill('Moved to the front desk');
    await dialog.getByRole('button', { name: `Save ${count} changes` }).click();
    await page.getByText('Permissions saved').waitFor();
    const after = await steward.owner.get<{ items: { permission: string; state: string }[] }>(
      `/api/v1/users/${pia.id}/permissions`,
    );
    const state = (p: string) => after.items.find((i) => i.permission === p)?.state;
    expect([state('inventory.view'), state('inventory.export'), state('inventory.edit')]).toEqual([
      'deny',
      'deny',
      'deny',
    ]);

    // Granting export back while view stays denied: Save says why it cannot go.
    await page.locator('[data-permission="inventory.export"]').getByText('Grant', { exact: true }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'A permission it needs is missing' })
      .getByText(/“Export inventory” needs “View inventory”, which Pia Manager would not hold/)
      .waitFor();
    expect(await page.getByRole('button', { name: 'Save (1)' }).isDisabled()).toBe(true);
    await page.getByText(/grant that too first/).waitFor();
    await screenshot(page, 'permission-rules-2-grant-refused');
    await page.close();

    const phone = await steward.browser.newPage({ viewport: PHONE });
    phone.setDefaultTimeout(10_000);
    await signIn(phone, steward.server.url, OWNER);
    await openPermissionsOf(phone, 'Pia Manager');
    await phone.locator('[data-permission="inventory.export"]').getByText('Grant', { exact: true }).click();
    const refused = phone.getByRole('alert').filter({ hasText: 'A permission it needs is missing' });
    await refused.waitFor();
    await refused.scrollIntoViewIfNeeded();
    await screenshot(phone, 'permission-rules-3-phone');
    expect({ overflow: await sideways(phone), widest: await widest(phone) }).toEqual({ overflow: 0, widest: [] });
    await phone.close();
  });

  it('making someone Admin with the second-admin rule on waits on the approvals list; another admin approves it', async () => {
    const second = await createUser(steward.server.url, steward.owner, {
      name: 'Sol Second',
      roleKey: 'admin',
      password: 'Second-Admin-22',
    });
    const sam = await createUser(steward.server.url, steward.owner, { name: 'Sam Promoted', roleKey: 'superuser' });
    const settings = await steward.owner.get<Record<string, unknown>>('/api/v1/settings/security');
    await steward.owner.send('PUT', '/api/v1/settings/security', { ...settings, criticalGrantsNeedApproval: true });
    try {
      const asked = await steward.owner.raw('PUT', `/api/v1/users/${sam.id}/role`, { roleKey: 'admin' });
      expect(asked.status).toBe(202);

      const page = await steward.browser.newPage({ viewport: { width: 1440, height: 900 } });
      page.setDefaultTimeout(10_000);
      await signIn(page, steward.server.url, { email: second.email, password: second.password });
      await page.goto(`${steward.server.url}/settings/permissions`);
      const list = page.getByRole('alert').filter({ hasText: 'role change awaiting a second admin' });
      await list.getByText(/Give Sam Promoted the role Admin/).waitFor();
      expect(await list.textContent()).toMatch(/Restore backups|Deactivate users/);
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'permission-rules-4-role-request');
      const phone = await steward.browser.newPage({ viewport: PHONE });
      await signIn(phone, steward.server.url, { email: second.email, password: second.password });
      await phone.goto(`${steward.server.url}/settings/permissions`);
      await phone.getByText(/Give Sam Promoted the role Admin/).waitFor();
      await screenshot(phone, 'permission-rules-5-role-request-phone', { fullPage: true });
      expect({ overflow: await sideways(phone), widest: await widest(phone) }).toEqual({ overflow: 0, widest: [] });
      await phone.close();
      await list.getByRole('button', { name: 'Approve' }).click();
      await page.getByText('Role change approved and applied.').waitFor();
      const user = await steward.owner.get<{ role: { key: string } }>(`/api/v1/users/${sam.id}`);
      expect(user.role.key).toBe('admin');
      await page.close();
    } finally {
      await steward.owner.send('PUT', '/api/v1/settings/security', settings);
    }
  });
});
