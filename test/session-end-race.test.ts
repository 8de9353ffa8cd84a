/**
 * Ending one session decides on a read: is the session still open? That read happens inside the
 * transaction that ends it (issue 18, "reads that decide a write happen inside the write's
 * transaction"), after the access lock, so parallel requests to end the same session end it
 * once: one 200 and one audit event, every other request a 404 — over real HTTP, on each engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countAuditEvents } from '../src/server/modules/audit/audit.repository.ts';
import {
  ADMIN_PASSWORD,
  createBusinessApp,
  createStaff,
  ENGINES,
  login,
  type Session,
  STAFF_PASSWORD,
  type TestApp,
} from './harness.ts';
import { listenLocal, send, sessionHeaders } from './net.ts';

type Sessions = { items: { id: string; current: boolean }[] };

describe.each(ENGINES)('ending one session under parallel requests on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let adminEmail: string;
  let base: string;
  beforeAll(async () => {
    ({ t, admin, email: adminEmail } = await createBusinessApp(engine, 'stores'));
    base = await listenLocal(t.app);
  });
  afterAll(async () => t.close());

  /** The handle of the one session of `s`'s user that is not `s` itself. */
  async function otherHandle(s: Session, url: string): Promise<string> {
    const res = await send<Sessions>(base, 'GET', url, undefined, sessionHeaders(s));
    expect(res.status).toBe(200);
    const others = res.body.items.filter((i) => !i.current);
    expect(others).toHaveLength(1);
    return (others[0] as { id: string }).id;
  }

  it('30 parallel ends of one of your own sessions: one 200, one audit event, the rest 404', async () => {
    const second = await login(t.app, adminEmail, ADMIN_PASSWORD);
    const handle = await otherHandle(admin, '/api/v1/auth/sessions');
    const before = await countAuditEvents(t.app.services.database.db, 'auth.session_end');
    const ends = await Promise.all(
      Array.from({ length: 30 }, () =>
        send(base, 'DELETE', `/api/v1/auth/sessions/${handle}`, undefined, sessionHeaders(admin)),
      ),
    );
    const statuses = ends.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 200 && s !== 404)).toEqual([]);
    expect(await countAuditEvents(t.app.services.database.db, 'auth.session_end')).toBe(before + 1);
    // The ended session no longer signs in; the one that ended it still does.
    expect((await second.inject({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
    expect((await admin.inject({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(200);
  });

  it('30 parallel ends of another user’s session by an admin: one 200, one audit event, the rest 404', async () => {
    const staff = await createStaff(t.app, admin, 'user', 'Uma Two-Sessions');
    const other = await login(t.app, staff.email, STAFF_PASSWORD);
    const handle = await otherHandle(staff.session, '/api/v1/auth/sessions');
    const before = await countAuditEvents(t.app.services.database.db, 'auth.session_end');
    const ends = await Promise.all(
      Array.from({ length: 30 }, () =>
        send(base, 'DELETE', `/api/v1/users/${staff.id}/sessions/${handle}`, undefined, sessionHeaders(admin)),
      ),
    );
    const statuses = ends.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 200 && s !== 404)).toEqual([]);
    expect(await countAuditEvents(t.app.services.database.db, 'auth.session_end')).toBe(before + 1);
    expect((await other.inject({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
    expect((await staff.session.inject({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(200);
  });
});
