import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type Server, screenshot, startServer } from './support.ts';

describe('first run in a browser', () => {
  let server: Server;
  let browser: Browser;
  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('walks setup → login → dashboard', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.setDefaultTimeout(10_000);
    await page.goto(server.url);
    await page.waitForURL('**/setup');
    await page.getByRole('heading', { name: 'Welcome to Steward' }).waitFor();

    await page.getByLabel('Business name').fill('Northside Lab Stores');
    await page.getByRole('radio', { name: 'Lab / department stores' }).click();
    await page.getByLabel('Your name').fill('Grace Hopper');
    await page.getByLabel('Email').fill('grace@example.com');
    // A weak password is refused with the policy shown beside the field.
    await page.getByLabel(/^Password\s*\*?$/).fill('weak');
    await page.getByLabel('Repeat the password').fill('weak');
    await page.getByRole('button', { name: 'Create business and administrator' }).click();
    await page.getByText('Use at least 8 characters.').waitFor();
    await screenshot(page, 'first-run-1-setup-validation', { fullPage: true });

    await page.getByLabel(/^Password\s*\*?$/).fill('Compiler-1952');
    await page.getByLabel('Repeat the password').fill('Compiler-1952');
    await page.getByRole('button', { name: 'Create business and administrator' }).click();

    await page.waitForURL('**/login?email=*');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByLabel('Email').inputValue()).toBe('grace@example.com');
    await page.getByLabel('Password', { exact: true }).fill('Wrong-Password-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Could not sign in' }).waitFor();
    await screenshot(page, 'first-run-2-login-error');

    await page.getByLabel('Password', { exact: true }).fill('Compiler-1952');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${server.url}/`);
    await page.getByRole('heading', { name: /Grace/ }).waitFor();
    await expect(page.getByText('Northside Lab Stores').first().isVisible()).resolves.toBe(true);
    const nav = page.getByRole('navigation', { name: 'Modules' });
    for (const module of ['Inventory', 'Suppliers', 'Purchase orders', 'Quotes', 'Charge codes']) {
      await expect(nav.getByText(module, { exact: true }).isVisible()).resolves.toBe(true);
    }
    // Studio-only modules are not part of a stores business.
    await expect(nav.getByText('Agenda', { exact: true }).count()).resolves.toBe(0);
    await screenshot(page, 'first-run-3-dashboard');

    // The session survives a reload, and signing out returns to the login page.
    await page.reload();
    await page.getByRole('heading', { name: /Grace/ }).waitFor();
    await page.getByRole('button', { name: 'Account menu' }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.waitForURL('**/login');
  });
});
