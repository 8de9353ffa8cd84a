/** The business time zone is one the runtime knows, picked from a list (issue 19). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTimeZone, timeZones } from '../src/shared/contracts/setup.ts';
import { ADMIN_PASSWORD, createTestApp, ENGINES, type TestApp } from './harness.ts';

describe('time zones', () => {
  it('knows IANA zones and refuses made-up ones', () => {
    expect(isTimeZone('Europe/Lisbon')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('America/Argentina/Buenos_Aires')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isTimeZone('Europe/Lisbon; drop table')).toBe(false);
    expect(timeZones()).toContain('UTC');
    expect(timeZones().length).toBeGreaterThan(300);
  });
});

describe.each(ENGINES)('setup with a time zone on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t.close());

  it('refuses an unknown time zone with a message that says what to do, and creates nothing', async () => {
    const body = {
      businessName: 'Zone Shop',
      template: 'stores',
      admin: { name: 'Zed', email: 'zed@example.com', password: ADMIN_PASSWORD },
      timezone: 'Mars/Olympus_Mons',
    };
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/setup', payload: body });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/Choose a time zone from the list/);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/setup' })).json().needed).toBe(true);
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/v1/setup',
      payload: { ...body, timezone: 'Asia/Tokyo' },
    });
    expect(ok.statusCode).toBe(201);
  });
});
