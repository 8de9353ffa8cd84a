/**
 * Reliability #26 on inventory: items have no owner, so an `own` grant reaches none of them, on
 * every path — including the extra permission a bulk edit needs for a field (archiving is
 * inventory.delete) and the conditional GET, whose 304 must never come before the refusal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createItem, setOverride } from './factories.ts';
import { createBusinessApp, createStaff, ENGINES, type Session, type TestApp } from './harness.ts';

describe.each(ENGINES)('own grants on inventory on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let clerk: { id: string; session: Session };
  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
    clerk = await createStaff(t.app, admin, 'user', 'Olga Own');
    await setOverride(admin, clerk.id, 'inventory.bulk_edit', { effect: 'grant' });
    await setOverride(admin, clerk.id, 'inventory.delete', { effect: 'grant', scope: 'own' });
  });
  afterAll(async () => t.close());

  it('refuses a bulk archive to a user whose inventory.delete covers only own records, and archives nothing', async () => {
    const item = await createItem(admin, { name: 'Own bulk' });
    const res = await clerk.session.inject({
      method: 'POST',
      url: '/api/v1/items/bulk-edit',
      payload: { itemIds: [item.id], set: { active: false } },
    });
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json()).toMatchObject({ type: 'urn:steward:problem:own-only', permission: 'inventory.delete' });
    const after = (await admin.inject({ method: 'GET', url: `/api/v1/items/${item.id}` })).json();
    expect(after.active).toBe(true);
  });

  it('refuses own inventory.view on the item list and an item before answering 304', async () => {
    const role = await admin.inject({
      method: 'POST',
      url: '/api/v1/roles',
      payload: { key: 'own-viewer', name: 'Own viewer', inherits: [], entries: { 'inventory.view': 'own' } },
    });
    expect(role.statusCode, role.body).toBe(201);
    const viewer = await createStaff(t.app, admin, 'own-viewer', 'Vera Viewer');
    const item = await createItem(admin);
    const full = await admin.inject({ method: 'GET', url: `/api/v1/items/${item.id}` });
    const tag = full.headers.etag as string;
    expect(tag).toMatch(/^W\/"items-\d+"$/);
    for (const url of ['/api/v1/items', `/api/v1/items/${item.id}`]) {
      const res = await viewer.session.inject({ method: 'GET', url, headers: { 'if-none-match': tag } });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(403);
      expect(res.json()).toMatchObject({ type: 'urn:steward:problem:own-only', resource: 'item' });
    }
  });
});
