/**
 * Uploads are accepted only where a route takes a file (issue 20: the multipart plugin lives in a
 * scope of the three upload routes, its hooks off every other request). Elsewhere a multipart
 * body is a clear 4xx with nothing written — sent 50 times in parallel, and 15 MB large — while
 * the upload routes keep taking their files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrder, multipart } from './factories.ts';
import { createBusinessApp, ENGINES, type Session, type TestApp } from './harness.ts';
import { listenLocal, sessionHeaders } from './net.ts';

describe.each(ENGINES)('multipart bodies outside the upload routes on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let base: string;
  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
    base = await listenLocal(t.app);
  });
  afterAll(async () => t.close());

  const itemCount = async () =>
    (await admin.inject({ method: 'GET', url: '/api/v1/items?pageSize=1' })).json().total as number;

  it('refuses a multipart item creation 50 times in parallel with a 415 problem, and writes nothing', async () => {
    const before = await itemCount();
    const m = multipart('item.csv', 'sku,name\nX-1,Smuggled\n');
    const answers = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const res = await fetch(`${base}/api/v1/items`, {
          method: 'POST',
          headers: { ...sessionHeaders(admin), ...m.headers },
          body: m.payload,
        });
        return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
      }),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(415));
    expect(answers[0]?.type).toContain('application/problem+json');
    expect(JSON.parse(answers[0]?.body ?? '{}').detail).toBe('Send the request body as application/json.');
    expect(await itemCount()).toBe(before);
  });

  it('refuses a 15 MB multipart body on a route without uploads before reading it all, and writes nothing', async () => {
    const before = await itemCount();
    const m = multipart('big.csv', Buffer.alloc(15 * 1024 * 1024, 'a'));
    const res = await admin.inject({ method: 'POST', url: '/api/v1/items', headers: m.headers, payload: m.payload });
    expect([413, 415]).toContain(res.statusCode);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(await itemCount()).toBe(before);
  });

  it('still takes a file on the upload routes (import preview, a purchase order invoice)', async () => {
    const preview = await admin.inject({
      method: 'POST',
      url: '/api/v1/items/import/preview',
      ...multipart('items.csv', 'sku,name\nUP-1,Uploaded\n'),
    });
    expect(preview.statusCode, preview.body).toBe(200);
    const order = await createOrder(admin);
    const invoice = await admin.inject({
      method: 'POST',
      url: `/api/v1/purchase-orders/${order.id}/invoice`,
      ...multipart('invoice.pdf', '%PDF-1.4\n%%EOF\n', 'application/pdf'),
    });
    expect(invoice.statusCode, invoice.body).toBe(200);
  });
});
