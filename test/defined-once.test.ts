/**
 * Rules defined once (issue 18, part 4): the policy union, the purchase-order statuses, the API-key
 * format and "which permissions a key may carry" live in src/shared and are imported by server and
 * web. This scan fails when one of them is written out again anywhere else in src/ (migrations,
 * which are frozen history, aside), and the key generator is checked against the shared format.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY_LIKE, API_KEY_PATTERN, API_KEY_PREFIX, keyablePermissions } from '../src/shared/api-keys.ts';
import { createApiKey } from './factories.ts';
import { createBusinessApp, ENGINES, type Session, type TestApp } from './harness.ts';

const SRC = path.resolve(import.meta.dirname, '../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'migrations' ? [] : sources(full);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [full] : [];
  });
}

/** Each rule: what writing it out again looks like, and the one file allowed to. */
const RULES = [
  {
    rule: 'the policy union',
    pattern: /'allow',\s*'own',\s*'elevated'|'allow' \| 'own' \| 'elevated'/,
    home: 'shared/permissions/policy.ts',
  },
  {
    rule: 'the purchase-order statuses',
    pattern: /'draft',\s*'ordered',\s*'partially_received'|'draft' \| 'ordered'/,
    home: 'shared/contracts/inventory.ts',
  },
  { rule: 'the API-key format', pattern: /stw_/, home: 'shared/api-keys.ts' },
  {
    rule: 'which permissions a key may carry',
    pattern: /access === 'all' \|\| \w+\.access === 'own'/,
    home: 'shared/api-keys.ts',
  },
];

describe('rules defined once', () => {
  it.each(RULES)('$rule is written only in src/$home', ({ pattern, home }) => {
    const found = sources(SRC)
      .filter((f) => pattern.test(readFileSync(f, 'utf8')))
      .map((f) => path.relative(SRC, f));
    expect(found).toEqual([home]);
  });

  it('the key format accepts what the generator makes and nothing near it', () => {
    const key = `${API_KEY_PREFIX}${'a'.repeat(43)}`;
    expect(API_KEY_PATTERN.test(key)).toBe(true);
    expect(API_KEY_PATTERN.test(`${key}a`)).toBe(false);
    expect(API_KEY_PATTERN.test(key.replace('stw_', 'stx_'))).toBe(false);
    expect(API_KEY_PATTERN.test(`${API_KEY_PREFIX}${'a'.repeat(42)}+`)).toBe(false);
    expect(API_KEY_LIKE.test(`?x=${key.slice(0, 30)}`)).toBe(true);
    expect(
      keyablePermissions([
        { permission: 'a', access: 'all' },
        { permission: 'b', access: 'own' },
        { permission: 'c', access: 'elevation-required' },
        { permission: 'd', access: 'none' },
      ]),
    ).toEqual(['a', 'b']);
  });
});

describe.each(ENGINES)('API keys in the shared format on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
  });
  afterAll(async () => t.close());

  it('issues keys that match the shared pattern, and offers exactly the keyable permissions', async () => {
    const me = (await admin.inject({ method: 'GET', url: '/api/v1/me' })).json();
    const keyable = keyablePermissions(me.permissions as { permission: string; access: string }[]);
    expect(keyable.length).toBeGreaterThan(0);
    const { key } = await createApiKey(admin, keyable);
    expect(key).toMatch(API_KEY_PATTERN);
    const bearer = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: `Bearer ${key}` },
    });
    expect(bearer.statusCode).toBe(200);
  });
});
