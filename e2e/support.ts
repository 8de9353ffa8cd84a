/** Browser-test support: a real Steward process on a free port, and Debian's Chromium. */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type APIResponse, type Browser, chromium, type Page, request } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { type StewardServer, startSteward } from '../test/cli.ts';
import { itemBody, unique } from '../test/factories.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
export const SCREENSHOTS = path.join(ROOT, 'e2e/screenshots');

export type Server = StewardServer;

/**
 * Starts `steward serve` on an empty data directory (the web app must be built: npm run test:e2e
 * does it). `env` adds or overrides environment variables (e.g. a disk-space warning threshold).
 */
export function startServer(env: Record<string, string> = {}): Promise<Server> {
  return startSteward({ env: { DATABASE_URL: '', ...env }, stdout: 'inherit', cwd: ROOT });
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Debian's Chromium, headless; never a downloaded browser. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH).`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Saves what a person sees (the viewport), or the whole page with `fullPage`. */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: options.fullPage ?? false });
  return file;
}

/** A signed-in API client (its own cookie jar), for arranging what a browser test needs. */
export type ApiClient = {
  get<T = unknown>(path: string): Promise<T>;
  send<T = unknown>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T>;
  /** The raw answer, for asserting refusals. */
  raw(
    method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
};

export async function apiAs(baseURL: string, email: string, password: string): Promise<ApiClient> {
  const ctx = await request.newContext({ baseURL });
  const login = await ctx.post('/api/v1/auth/login', { data: { email, password } });
  if (!login.ok()) throw new Error(`login as ${email} failed: ${login.status()} ${await login.text()}`);
  let csrf = (await login.json()).csrfToken as string;
  const check = async (res: APIResponse) => {
    if (!res.ok()) throw new Error(`${res.url()} answered ${res.status()}: ${await res.text()}`);
    const text = await res.text();
    const data = text ? JSON.parse(text) : undefined;
    if (data && typeof data.csrfToken === 'string') csrf = data.csrfToken;
    return data;
  };
  return {
    get: async (path) => check(await ctx.get(path)),
    send: async (method, path, body) =>
      check(await ctx.fetch(path, { method, data: body ?? {}, headers: { 'x-csrf-token': csrf } })),
    raw: async (method, path, body) => {
      const res = await ctx.fetch(path, { method, data: body ?? {}, headers: { 'x-csrf-token': csrf } });
      return { status: res.status(), body: await res.json().catch(() => null) };
    },
    close: () => ctx.dispose(),
  };
}

// --- factories: each test arranges what it needs, with unique names, so any test runs alone ----

/** A unique address at example.com. */
export function uniqueEmail(who = 'user'): string {
  return `${unique(who).toLowerCase()}@example.com`;
}

/** An item with a unique SKU (see test/factories.ts `itemBody`), created through the API. */
export function createItem(admin: ApiClient, overrides: Record<string, unknown> = {}) {
  return admin.send<{ id: string; sku: string; name: string }>('POST', '/api/v1/items', itemBody(overrides));
}

/** A placed purchase order of one line, from a new supplier unless one is given. */
export async function createPlacedOrder(
  admin: ApiClient,
  line: { itemId: string; quantity: number; unitCost: number },
  supplierId?: string,
): Promise<{ id: string; reference: string }> {
  const supplier =
    supplierId ?? (await admin.send<{ id: string }>('POST', '/api/v1/suppliers', { name: unique('Supplier') })).id;
  const order = await admin.send<{ id: string; reference: string }>('POST', '/api/v1/purchase-orders', {
    supplierId: supplier,
    lines: [line],
  });
  await admin.send('POST', `/api/v1/purchase-orders/${order.id}/place`);
  return order;
}

/**
 * A user of `roleKey` with a unique email. With `password`, they have signed in once and chosen it;
 * without, they still hold the temporary password Steward returned.
 */
export async function createUser(
  baseURL: string,
  admin: ApiClient,
  options: { name: string; roleKey: string; password?: string; temporaryPassword?: string },
): Promise<{ id: string; email: string; password: string }> {
  const email = uniqueEmail(options.roleKey);
  const created = await admin.send<{ user: { id: string }; temporaryPassword: string }>('POST', '/api/v1/users', {
    email,
    name: options.name,
    roleKey: options.roleKey,
    ...(options.temporaryPassword ? { temporaryPassword: options.temporaryPassword } : {}),
  });
  const temporary = options.temporaryPassword ?? created.temporaryPassword;
  if (!options.password) return { id: created.user.id, email, password: temporary };
  const first = await apiAs(baseURL, email, temporary);
  await first.send('POST', '/api/v1/auth/password', { currentPassword: temporary, newPassword: options.password });
  await first.close();
  return { id: created.user.id, email, password: options.password };
}

/** First-run setup through the API. */
export async function setupThroughApi(
  baseURL: string,
  template: 'studio' | 'stores',
  admin: { name: string; email: string; password: string },
): Promise<void> {
  const res = await fetch(`${baseURL}/api/v1/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      businessName: template === 'studio' ? 'Ink & Needle Studio' : 'Northside Lab Stores',
      template,
      admin,
      timezone: 'Europe/Lisbon',
    }),
  });
  if (res.status !== 201) throw new Error(`setup failed: ${res.status} ${await res.text()}`);
}

/** A set-up Steward for one describe block: its server, a browser, and the owner's API client. */
export type Stage = { server: Server; browser: Browser; owner: ApiClient };

/**
 * In a describe block: before its tests, starts Steward on an empty data directory, sets it up
 * from `template` with `owner` as the first admin, launches Chromium and signs an API client in
 * as the owner; after them, stops all three. The fields are there once the tests run.
 */
export function setUpSteward(
  template: 'studio' | 'stores',
  owner: { name: string; email: string; password: string },
): Stage {
  const stage = {} as Stage;
  beforeAll(async () => {
    stage.server = await startServer();
    stage.browser = await launchBrowser();
    await setupThroughApi(stage.server.url, template, owner);
    stage.owner = await apiAs(stage.server.url, owner.email, owner.password);
  });
  afterAll(async () => {
    await stage.owner?.close();
    await stage.browser?.close();
    await stage.server?.stop();
  });
  return stage;
}

/** What axe reports for one rule on one page (serious and critical only: what must be zero). */
export type AxeViolation = { id: string; impact: string; help: string; nodes: { target: string; summary: string }[] };

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * Runs axe-core (WCAG 2.1 A and AA rules) on the page as it is now and returns its serious and
 * critical violations. The source is evaluated through the DevTools protocol, so the page's
 * Content-Security-Policy stays as served (an inline <script> tag would be refused by it).
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await settled(page);
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (tags) => {
    type AxeResult = {
      violations: {
        id: string;
        impact: string | null;
        help: string;
        nodes: { target: unknown[]; failureSummary?: string }[];
      }[];
    };
    const axe = (globalThis as unknown as { axe: { run(ctx: Document, options: object): Promise<AxeResult> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact ?? '',
        help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary ?? '' })),
      }));
  }, AXE_TAGS);
}

/**
 * Waits until no CSS animation or transition runs for three frames in a row (at most 2 s):
 * a dialog fading in has its text at part opacity, and axe measuring then reports a contrast
 * no person sees once it has settled (seen once in CI: 4.4:1 on a dialog's button mid-fade).
 */
export async function settled(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
    const until = performance.now() + 2000;
    let quiet = 0;
    while (quiet < 3 && performance.now() < until) {
      await frame();
      // A spinner or a skeleton loops for ever: only the ones that end are waited for.
      const running = document
        .getAnimations()
        .filter((a) => a.playState === 'running' && a.effect?.getTiming().iterations !== Number.POSITIVE_INFINITY);
      quiet = running.length === 0 ? quiet + 1 : 0;
    }
  });
}

/** Signs in through the login page and waits for the app's navigation. */
export async function signIn(page: Page, url: string, who: { email: string; password: string }): Promise<void> {
  await page.goto(`${url}/login`);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password', { exact: true }).fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Modules' }).waitFor({ state: 'attached' });
}

/** Presses Tab until the focused element matches, or fails after `max` presses. */
export async function tabTo(page: Page, matches: (el: Element) => boolean, max = 60): Promise<void> {
  const source = matches.toString();
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    // biome-ignore lint/security/noGlobalEval: the predicate is the test's own code, sent to the page
    const hit = await page.evaluate((src) => eval(src)(document.activeElement), source);
    if (hit) return;
  }
  throw new Error(`Tab never reached ${source}`);
}

/** Records the API writes (POST, PUT, PATCH, DELETE) a page sends, to prove a form sent nothing. */
export function recordWrites(page: Page): { method: string; url: string }[] {
  const writes: { method: string; url: string }[] = [];
  page.on('request', (r) => {
    if (r.method() !== 'GET' && r.method() !== 'HEAD' && r.url().includes('/api/')) {
      writes.push({ method: r.method(), url: r.url() });
    }
  });
  return writes;
}

/** How far the page scrolls sideways (0 when it fits the viewport). */
export const sideways = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
