/**
 * Two safety nets in the browser: acting on your own account (your role, a deny on yourself,
 * signing yourself out everywhere) waits until you type your email; and admins are warned on the
 * dashboard when the server's disk runs low.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiAs,
  createUser,
  launchBrowser,
  type Server,
  screenshot,
  setUpSteward,
  setupThroughApi,
  startServer,
} from './support.ts';

const OWNER = { name: 'Olga Owner', email: 'olga@example.com', password: 'Stores-Owner-1' };
const PASSWORD = 'Admin-Passw0rd-7';

async function signIn(page: Page, url: string, email: string, password: string) {
  await page.goto(`${url}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Your access' }).waitFor();
}

describe('acting on yourself asks you to type your email', () => {
  const steward = setUpSteward('stores', OWNER);

  /** A second admin, signed in in a new page; the owner stays an admin, so the server allows the change. */
  async function adminPage(name: string) {
    const me = await createUser(steward.server.url, steward.owner, { name, roleKey: 'admin', password: PASSWORD });
    const page = await steward.browser.newPage({ viewport: { width: 1360, height: 900 } });
    // The permissions page loads a user's whole catalog: allow for a machine shared by many tests.
    page.setDefaultTimeout(20_000);
    await signIn(page, steward.server.url, me.email, PASSWORD);
    return { me, page };
  }

  it('changing your own role', async () => {
    const { me, page } = await adminPage('Ada Self');
    await page.goto(`${steward.server.url}/settings/users`);
    await page.getByRole('button', { name: 'Actions for Ada Self' }).click();
    await page.getByRole('menuitem', { name: 'Edit…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit Ada Self' });
    const save = dialog.getByRole('button', { name: 'Save' });
    expect(await save.isEnabled()).toBe(true);
    await dialog.getByLabel(/^Role/).click();
    await page.getByRole('option', { name: 'Superuser' }).click();
    const confirm = dialog.getByLabel(/To confirm, type/);
    await confirm.waitFor();
    expect(await save.isDisabled()).toBe(true);
    // Beside the off button, and tied to it, is why it is off.
    const reason = await save.getAttribute('aria-describedby');
    expect(reason).toBeTruthy();
    expect(await dialog.locator(`[id="${reason}"]`).textContent()).toBe('Type your email to confirm.');
    await confirm.fill('someone-else@example.com');
    expect(await save.isDisabled()).toBe(true);
    await screenshot(page, 'self-1-role-change');
    await confirm.fill(me.email.toUpperCase());
    expect(await save.isEnabled()).toBe(true);
    await save.click();
    await dialog.waitFor({ state: 'detached' });
    const after = await steward.owner.get<{ role: { key: string } }>(`/api/v1/users/${me.id}`);
    expect(after.role.key).toBe('superuser');
    await page.close();
  });

  it('editing your own name without touching your role asks nothing', async () => {
    const { page } = await adminPage('Nina Self');
    await page.goto(`${steward.server.url}/settings/users`);
    await page.getByRole('button', { name: 'Actions for Nina Self' }).click();
    await page.getByRole('menuitem', { name: 'Edit…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit Nina Self' });
    await dialog.getByLabel(/^Name/).fill('Nina Renamed');
    expect(await dialog.getByTestId('typed-confirmation').count()).toBe(0);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.close();
  });

  it('denying yourself a permission', async () => {
    const { me, page } = await adminPage('Dora Self');
    await page.goto(`${steward.server.url}/settings/permissions?user=${me.id}`);
    const row = page.locator('[data-permission="reports.export"]');
    await row.waitFor();
    await row.getByText('Deny', { exact: true }).click();
    await page.getByRole('button', { name: 'Save (1)' }).click();
    const dialog = page.getByRole('dialog', { name: 'Save permission changes' });
    await dialog.getByLabel(/Reason/).fill('Testing my own access');
    const submit = dialog.getByRole('button', { name: 'Save 1 change' });
    const confirm = dialog.getByLabel(/To confirm, type/);
    await confirm.waitFor();
    expect(await submit.isDisabled()).toBe(true);
    await screenshot(page, 'self-2-deny');
    await confirm.fill(me.email);
    expect(await submit.isEnabled()).toBe(true);
    await submit.click();
    await dialog.waitFor({ state: 'detached' });
    const perms = await steward.owner.get<{ items: { permission: string; state: string }[] }>(
      `/api/v1/users/${me.id}/permissions`,
    );
    expect(perms.items.find((p) => p.permission === 'reports.export')?.state).toBe('deny');
    await page.close();
  });

  it('signing yourself out everywhere', async () => {
    const { me, page } = await adminPage('Sam Self');
    await page.goto(`${steward.server.url}/settings/users`);
    await page.getByRole('button', { name: 'Actions for Sam Self' }).click();
    await page.getByRole('menuitem', { name: 'Sign out everywhere…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sign yourself out everywhere?' });
    const submit = dialog.getByRole('button', { name: 'Sign me out everywhere' });
    expect(await submit.isDisabled()).toBe(true);
    await dialog.getByLabel(/To confirm, type/).fill(me.email);
    await submit.click();
    await page.waitForURL(/\/login/);
    await page.close();
  });

  it('signing someone else out everywhere asks no typing', async () => {
    const other = await createUser(steward.server.url, steward.owner, {
      name: 'Otto Other',
      roleKey: 'user',
      password: PASSWORD,
    });
    const { page } = await adminPage('Ivo Admin');
    await page.goto(`${steward.server.url}/settings/users`);
    await page.getByRole('button', { name: 'Actions for Otto Other' }).click();
    await page.getByRole('menuitem', { name: 'Sign out everywhere…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sign Otto Other out everywhere?' });
    expect(await dialog.getByTestId('typed-confirmation').count()).toBe(0);
    await dialog.getByRole('button', { name: 'Sign out' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(other.email).toContain('@');
    await page.close();
  });
});

describe('the dashboard warns admins when the disk runs low', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function dashboardOf(server: Server, email: string, password: string) {
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.setDefaultTimeout(10_000);
    await signIn(page, server.url, email, password);
    return page;
  }

  it('shows the warning to an admin when below the threshold, and not to a User', async () => {
    // Warn below 100 % free: the real volume under the test's data directory is always below it.
    const server = await startServer({ STEWARD_DISK_WARN_FREE_PERCENT: '100' });
    try {
      await setupThroughApi(server.url, 'stores', OWNER);
      const owner = await apiAs(server.url, OWNER.email, OWNER.password);
      const user = await createUser(server.url, owner, {
        name: 'Uma User',
        roleKey: 'user',
        password: PASSWORD,
      });
      await owner.close();

      const admin = await dashboardOf(server, OWNER.email, OWNER.password);
      const alert = admin.getByRole('alert').filter({ hasText: "The server's disk is almost full" });
      await alert.waitFor();
      expect(await alert.textContent()).toMatch(/free under/);
      await screenshot(admin, 'disk-1-dashboard-warning');
      await admin.close();

      const staff = await dashboardOf(server, user.email, PASSWORD);
      await staff.waitForLoadState('networkidle');
      expect(await staff.getByText("The server's disk is almost full").count()).toBe(0);
      await staff.close();
    } finally {
      await server.stop();
    }
  });

  it('shows no warning with room to spare (default threshold)', async () => {
    const server = await startServer();
    try {
      await setupThroughApi(server.url, 'stores', OWNER);
      const admin = await dashboardOf(server, OWNER.email, OWNER.password);
      await admin.waitForLoadState('networkidle');
      expect(await admin.getByText("The server's disk is almost full").count()).toBe(0);
      await admin.close();
    } finally {
      await server.stop();
    }
  });
});
