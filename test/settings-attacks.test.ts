/**
 * Settings → Business and Settings → Modules attacked as an outsider would: an own-only
 * settings.edit grant (settings have no owner), a User with one delegated permission, 50 parallel
 * saves mixing valid and invalid bodies, and a 2 MB business name. Over real HTTP, both engines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setOverride } from './factories.ts';
import { createBusinessApp, createStaff, ENGINES, type Session, type TestApp } from './harness.ts';
import { listenLocal, send, sessionHeaders } from './net.ts';

const BODY = { name: 'Attacked Stores', timezone: 'Europe/Lisbon', phone: '+351 21 000 0000' };

describe.each(ENGINES)('settings attacks on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let base: string;
  let ownOnly: Session;

  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
    base = await listenLocal(t.app);
    const staff = await createStaff(t.app, admin, 'user');
    await setOverride(admin, staff.id, 'settings.edit', { effect: 'grant', scope: 'own' });
    ownOnly = staff.session;
  });
  afterAll(async () => t.close());

  const business = async () => (await admin.inject({ method: 'GET', url: '/api/v1/settings/business' })).json();
  const auditCount = async (action: string) =>
    (await admin.inject({ method: 'GET', url: `/api/v1/audit?action=${action}&limit=200` })).json().items.length;

  it('refuses an own-only settings.edit grant on the business details and the module switches, 50 times in parallel', async () => {
    const before = await business();
    const modulesBefore = (await admin.inject({ method: 'GET', url: '/api/v1/settings/modules' })).json();
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0
          ? send(base, 'PUT', '/api/v1/settings/business', { ...BODY, name: `Own ${i}` }, sessionHeaders(ownOnly))
          : send(base, 'PUT', '/api/v1/settings/modules/quotes', { on: false }, sessionHeaders(ownOnly)),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(403));
    for (const a of answers) expect((a.body as { type: string }).type).toBe('urn:steward:problem:own-only');
    expect(await business()).toEqual(before);
    expect((await admin.inject({ method: 'GET', url: '/api/v1/settings/modules' })).json()).toEqual(modulesBefore);
    expect(await auditCount('settings.business')).toBe(0);
    expect(await auditCount('settings.modules')).toBe(0);
  });

  it('keeps every valid save of 50 parallel ones and writes nothing for the invalid ones', async () => {
    const events = await auditCount('settings.business');
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        send(
          base,
          'PUT',
          '/api/v1/settings/business',
          i % 5 === 0 ? { ...BODY, timezone: 'Nowhere/Atlantis' } : { ...BODY, name: `Parallel ${i}` },
          sessionHeaders(admin),
        ),
      ),
    );
    const ok = answers.filter((a) => a.status === 200).length;
    expect(ok).toBe(40);
    expect(answers.filter((a) => a.status === 400)).toHaveLength(10);
    // Every valid save renamed the business (each name differs), so each wrote one event.
    expect((await auditCount('settings.business')) - events).toBe(40);
    expect((await business()).name).toMatch(/^Parallel \d+$/);
  });

  it('refuses a 2 MB business name without writing it, and keeps answering', async () => {
    const before = await business();
    const res = await send(
      base,
      'PUT',
      '/api/v1/settings/business',
      { ...BODY, name: 'x'.repeat(2 * 1024 * 1024) },
      sessionHeaders(admin),
    );
    expect([400, 413]).toContain(res.status);
    expect(await business()).toEqual(before);
    expect((await send(base, 'GET', '/healthz', undefined, {})).status).toBe(200);
  });
});
