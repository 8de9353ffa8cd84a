/**
 * The newcomer walk (issue 19): a business is set up in the browser, then every page each role
 * can open is visited at 1440×900 and 390×844, on both templates. On every page: axe finds no
 * serious or critical violation, the page names itself in the title, nothing fails to load, and a
 * phone never scrolls sideways. A keyboard-only path opens an item from the sidebar at both
 * sizes. Screenshots: e2e/screenshots/newcomer-<template>-<role>-<page>-<width>.png.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMPLATES as BUSINESS_TEMPLATES } from '../src/shared/permissions/templates.ts';
import {
  type ApiClient,
  type AxeViolation,
  apiAs,
  axeViolations,
  createItem,
  createPlacedOrder,
  createUser,
  launchBrowser,
  type Server,
  screenshot,
  sideways,
  signIn,
  startServer,
  tabTo,
} from './support.ts';

const SIZES = [
  { width: 1440, height: 900 },
  { width: 390, height: 844 },
] as const;

const TEMPLATES = {
  stores: { label: 'Lab / department stores', business: 'Northside Lab Stores', roles: ['admin', 'superuser', 'user'] },
  studio: { label: 'Tattoo / beauty studio', business: 'Ink & Needle Studio', roles: ['admin', 'artist', 'assistant'] },
} as const;

type Person = { role: string; email: string; password: string };

/** First-run setup the way a newcomer does it: the setup page, then the sign-in page. */
async function setupInBrowser(browser: Browser, url: string, template: keyof typeof TEMPLATES, owner: Person) {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  page.setDefaultTimeout(15_000);
  await page.goto(url);
  await page.waitForURL('**/setup');
  await page.getByRole('heading', { name: 'Welcome to Steward' }).waitFor();
  await expect.poll(() => page.title()).toBe('Set up · Steward');
  await page.getByLabel('Business name').fill(TEMPLATES[template].business);
  await page.getByRole('radio', { name: TEMPLATES[template].label }).click();
  await page.getByLabel('Your name').fill('Owen Owner');
  await page.getByLabel('Email').fill(owner.email);
  await page.getByLabel(/^Password\s*\*?$/).fill(owner.password);
  await page.getByLabel('Repeat the password').fill(owner.password);
  await screenshot(page, `newcomer-${template}-setup-390`, { fullPage: true });
  await page.getByRole('button', { name: 'Create business and administrator' }).click();
  await page.waitForURL('**/login?email=*');
  await page.getByLabel('Password', { exact: true }).fill(owner.password);
  await page.keyboard.press('Enter');
  await page.getByRole('navigation', { name: 'Modules', includeHidden: true }).waitFor({ state: 'attached' });
  await page.close();
}

/** Every address this person's app offers: the sidebar's links, the settings tabs, a detail page of each list. */
async function pagesOf(page: Page, url: string): Promise<{ name: string; path: string }[]> {
  const hrefs = await page.$$eval('nav[aria-label="Modules"] a[href]', (as) =>
    as.map((a) => a.getAttribute('href') ?? ''),
  );
  const paths = new Set<string>(['/', '/account', ...hrefs]);
  if (paths.has('/settings') || [...paths].some((p) => p.startsWith('/settings/'))) {
    await page.goto(`${url}/settings`);
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await page.waitForLoadState('networkidle');
    const tabs = await page.$$eval('nav[aria-label="Settings"] a[href]', (as) =>
      as.map((a) => a.getAttribute('href') ?? ''),
    );
    for (const t of tabs) paths.add(t);
  }
  for (const list of ['/inventory', '/orders']) {
    if (!paths.has(list)) continue;
    await page.goto(`${url}${list}`);
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    const first = page.locator(`table a[href^="${list}/"]`).first();
    await first.waitFor({ timeout: 5000 }).catch(() => undefined);
    const href = await first.getAttribute('href').catch(() => null);
    if (href) paths.add(href);
  }
  return [...paths].map((path) => ({
    name:
      path === '/'
        ? 'dashboard'
        : path
            .slice(1)
            .replace(/\/[0-9a-f-]{36}$/i, '/detail')
            .replaceAll('/', '-'),
    path,
  }));
}

/** The innermost elements that reach past the viewport's right edge, to say what makes a page scroll sideways. */
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
      )
      .join(', '),
  );

function report(found: Record<string, AxeViolation[]>): string {
  return Object.entries(found)
    .flatMap(([where, violations]) =>
      violations.map(
        (v) => `${where}: ${v.id} (${v.impact}) ${v.help}\n    ${v.nodes.map((n) => n.target).join('\n    ')}`,
      ),
    )
    .join('\n');
}

describe.each(Object.keys(TEMPLATES) as (keyof typeof TEMPLATES)[])('the newcomer walk on %s', (template) => {
  let server: Server;
  let browser: Browser;
  let admin: ApiClient;
  const people: Person[] = [];

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await admin?.close();
    await browser?.close();
    await server?.stop();
  });

  it('sets up the business in the browser, then staff for each role of the template', async () => {
    const owner = { role: 'admin', email: `owner-${template}@example.com`, password: 'Newcomer-Walk-2026' };
    await setupInBrowser(browser, server.url, template, owner);
    people.push(owner);
    admin = await apiAs(server.url, owner.email, owner.password);
    const item = await createItem(admin, { name: 'Walk-in sample item', openingStock: 4 });
    // Purchase orders only where the template switches them on (a studio's are off: their routes answer module-off).
    if ((BUSINESS_TEMPLATES[template].modules as readonly string[]).includes('orders')) {
      await createPlacedOrder(admin, { itemId: item.id, quantity: 3, unitCost: 250 });
    }
    const roles = await admin.get<{ items: { key: string }[] }>('/api/v1/roles');
    for (const r of roles.items.filter((x) => x.key !== 'admin')) {
      const u = await createUser(server.url, admin, {
        name: `Sam ${r.key}`,
        roleKey: r.key,
        password: `Walk-${r.key}-2026A`,
      });
      people.push({ role: r.key, email: u.email, password: u.password });
    }
    expect(people.map((p) => p.role).sort()).toEqual([...TEMPLATES[template].roles]);
  }, 120_000);

  for (const size of SIZES) {
    it.each(TEMPLATES[template].roles)(
      `every page a %s opens at ${size.width} px: axe clean, titled, loaded, no sideways scroll`,
      async (role) => {
        const person = people.find((p) => p.role === role) as Person;
        const context = await browser.newContext({ viewport: size });
        const page = await context.newPage();
        page.setDefaultTimeout(15_000);
        try {
          await signIn(page, server.url, person);
          const found: Record<string, AxeViolation[]> = {};
          const problems: string[] = [];
          for (const p of await pagesOf(page, server.url)) {
            await page.goto(`${server.url}${p.path}`);
            await page.getByRole('heading', { level: 1 }).first().waitFor();
            await page.waitForLoadState('networkidle');
            await page.waitForTimeout(200);
            const where = `${role} ${p.path} @${size.width}`;
            await screenshot(page, `newcomer-${template}-${role}-${p.name}-${size.width}`, { fullPage: true });
            found[where] = await axeViolations(page);
            const title = await page.title();
            if (!/ · Steward$/.test(title)) problems.push(`${where}: title "${title}"`);
            if (await page.getByText('This could not be loaded').count())
              problems.push(`${where}: could not be loaded`);
            if (size.width < 500) {
              const overflow = await sideways(page);
              if (overflow > 0) problems.push(`${where}: scrolls ${overflow} px sideways (${await widest(page)})`);
            }
          }
          expect(problems.join('\n')).toBe('');
          expect(report(found)).toBe('');
        } finally {
          await context.close();
        }
      },
      180_000,
    );

    it(`opens an item from the sidebar by keyboard alone at ${size.width} px`, async () => {
      const context = await browser.newContext({ viewport: size });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      try {
        await signIn(page, server.url, people[0] as Person);
        await page.goto(`${server.url}/`);
        await page.getByRole('heading', { level: 1 }).first().waitFor();
        if (size.width < 500) {
          // On a phone the sidebar is a drawer behind the menu button.
          await tabTo(page, (el) => el.getAttribute('aria-label') === 'Toggle navigation');
          await page.keyboard.press('Enter');
        }
        await tabTo(page, (el) => el.tagName === 'A' && el.getAttribute('href') === '/inventory');
        await page.keyboard.press('Enter');
        await page.waitForURL(/\/inventory$/);
        await page.getByText('Walk-in sample item').first().waitFor();
        await tabTo(page, (el) => el.tagName === 'A' && (el.textContent ?? '').includes('Walk-in sample item'));
        await page.keyboard.press('Enter');
        await page.waitForURL(/\/inventory\/[^/]+$/);
        await expect.poll(() => page.title(), { timeout: 5000 }).toBe('Walk-in sample item · Inventory · Steward');
        await screenshot(page, `newcomer-${template}-keyboard-item-${size.width}`);
      } finally {
        await context.close();
      }
    });
  }
});
