/** Staff-facing refusals name a permission by its label (“Manage stock”), never by its key. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { permissionDef } from '../src/shared/permissions/catalog.ts';
import { createItem } from './factories.ts';
import { createBusinessApp, createStaff, ENGINES } from './harness.ts';

describe.each(ENGINES)('permission labels in refusals (%s)', (engine) => {
  let ctx: Awaited<ReturnType<typeof createBusinessApp>>;
  beforeAll(async () => {
    ctx = await createBusinessApp(engine, 'studio');
  });
  afterAll(() => ctx.t.close());

  it('asks for the master code naming the action by its label, with the key kept for programs', async () => {
    const { t, admin } = ctx;
    const item = await createItem(admin);
    // The studio Assistant changes stock only under the master code.
    const assistant = await createStaff(t.app, admin, 'assistant');
    const res = await assistant.session.inject({
      method: 'POST',
      url: `/api/v1/items/${item.id}/stock`,
      payload: { kind: 'in', quantity: 1 },
    });
    expect(res.statusCode).toBe(403);
    const body = res.json();
    expect(body.type).toBe('urn:steward:problem:elevation-required');
    expect(body.permission).toBe('inventory.manage_stock');
    expect(body.detail).toContain(`“${permissionDef('inventory.manage_stock').label}”`);
    expect(body.detail).not.toContain('inventory.manage_stock');
  });
});
