/**
 * Reads that decide a write happen inside the write's transaction (issue 18, part 2), shown with
 * real parallel HTTP requests: a password reset decides "the account is active" and a
 * deactivation decides the opposite. Read before the reset's transaction (and before its slow
 * password hash), a deactivation committed in between went unnoticed and the reset then wrote a
 * password into a deactivated account. Read inside it, after the access-change lock, a reset
 * either happens before the deactivation or is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBusinessApp, ENGINES, type Session, type TestApp } from './harness.ts';
import { listenLocal, send, sessionHeaders } from './net.ts';

describe.each(ENGINES)('reads that decide a write, under parallel requests, on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let base: string;
  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
    base = await listenLocal(t.app);
  });
  afterAll(async () => t.close());

  it('never resets the password of an account a parallel request has just deactivated', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await admin.inject({
        method: 'POST',
        url: '/api/v1/users',
        payload: { email: `race-${i}-${Date.now()}@example.com`, name: `Race ${i}`, roleKey: 'user' },
      });
      expect(res.statusCode).toBe(201);
      ids.push((res.json() as { user: { id: string } }).user.id);
    }
    const headers = sessionHeaders(admin);
    const results = await Promise.all(
      ids.flatMap((id) => [
        send(base, 'POST', `/api/v1/users/${id}/reset-password`, {}, headers).then((r) => ({ id, op: 'reset', r })),
        send(base, 'POST', `/api/v1/users/${id}/deactivate`, { reason: 'left' }, headers).then((r) => ({
          id,
          op: 'deactivate',
          r,
        })),
      ]),
    );
    // Each answer is a success or the refusal of a reset on a deactivated account; nothing else.
    for (const { op, r } of results) {
      if (op === 'deactivate') expect(r.status).toBe(200);
      else expect([200, 409]).toContain(r.status);
    }
    const events = await t.app.services.database.db
      .selectFrom('audit_events')
      .select(['seq', 'action', 'target_id'])
      .where('target_id', 'in', ids)
      .where('action', 'in', ['users.reset_password', 'users.deactivate'])
      .orderBy('seq')
      .execute();
    for (const id of ids) {
      const order = events.filter((e) => e.target_id === id).map((e) => e.action);
      const reset = results.find((x) => x.id === id && x.op === 'reset')?.r.status;
      // A reset that answered 200 happened before the deactivation; a refused one wrote nothing.
      expect(order).toEqual(reset === 200 ? ['users.reset_password', 'users.deactivate'] : ['users.deactivate']);
    }
  });
});
