/**
 * Conditional requests for items (issue 20, part 5): the item list and an item send an ETag from
 * the `items` data version that triggers bump in every writing transaction; `If-None-Match` with
 * the current tag answers 304 with no body, and any change of what an item page shows, made on
 * this or another server instance, makes the next one answer in full. The permission check still
 * comes first.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/server/app.ts';
import { openDatabase } from '../src/server/db/database.ts';
import { createApiKey, createCategory, createItem, createSupplier } from './factories.ts';
import { createBusinessApp, ENGINES, type Session, type TestApp } from './harness.ts';

describe.each(ENGINES)('conditional item requests on %s', (engine) => {
  let t: TestApp;
  let admin: Session;
  let other: FastifyInstance;
  /** The admin's requests on the second instance (same database, its own connections). */
  const onOther = (opts: InjectOptions) =>
    other.inject({
      ...opts,
      headers: { ...(opts.headers ?? {}), cookie: admin.cookie, 'x-csrf-token': admin.csrfToken },
    });
  beforeAll(async () => {
    ({ t, admin } = await createBusinessApp(engine, 'stores'));
    other = await buildApp(t.config, { database: openDatabase(t.config.database), migrate: false });
    await other.ready();
  });
  afterAll(async () => {
    await other.close();
    await t.close();
  });

  const get = (url: string, tag?: string) =>
    admin.inject({ method: 'GET', url, headers: tag ? { 'if-none-match': tag } : {} });

  it('answers 304 with no body while nothing changed, and in full after a change on another instance', async () => {
    const category = await createCategory(admin, { name: 'Etag category' });
    const item = await createItem(admin, { categoryId: category.id });
    for (const url of ['/api/v1/items', `/api/v1/items/${item.id}`, '/api/v1/items?q=etag']) {
      const first = await get(url);
      expect(first.statusCode, url).toBe(200);
      const tag = first.headers.etag as string;
      expect(tag, url).toMatch(/^W\/"items-\d+"$/);
      const again = await get(url, tag);
      expect(again.statusCode, url).toBe(304);
      expect(again.body, url).toBe('');
      expect(again.headers.etag, url).toBe(tag);
      // Compared weakly: the same tag without its W/, or among others, matches too.
      expect((await get(url, tag.slice(2))).statusCode, url).toBe(304);
      expect((await get(url, `"other", ${tag.slice(2)}`)).statusCode, url).toBe(304);
      // Another tag, or a list of tags without the current one: the full answer.
      expect((await get(url, 'W/"items-0", "other"')).statusCode, url).toBe(200);
    }

    const tagOf = async (url: string) => (await get(url)).headers.etag as string;
    const url = `/api/v1/items/${item.id}`;
    const changes: [string, () => Promise<{ statusCode: number }>][] = [
      ['stock', () => onOther({ method: 'POST', url: `${url}/stock`, payload: { kind: 'in', quantity: 2 } })],
      ['edit', () => onOther({ method: 'PATCH', url, payload: { name: 'Etag renamed' } })],
      [
        'category rename',
        () =>
          onOther({ method: 'PUT', url: `/api/v1/categories/${category.id}`, payload: { name: 'Etag category 2' } }),
      ],
    ];
    for (const [what, change] of changes) {
      const tag = await tagOf(url);
      const listTag = await tagOf('/api/v1/items');
      const res = await change();
      expect(res.statusCode, what).toBeLessThan(300);
      const item = await get(url, tag);
      expect(item.statusCode, what).toBe(200);
      expect(item.headers.etag, what).not.toBe(tag);
      expect((await get('/api/v1/items', listTag)).statusCode, what).toBe(200);
    }
    const renamed = (await get(url)).json();
    expect(renamed).toMatchObject({ name: 'Etag renamed', onHand: 2, category: { name: 'Etag category 2' } });

    const supplier = await createSupplier(admin, { name: 'Etag supplier' });
    const tag = await tagOf(url);
    const linked = await onOther({
      method: 'PATCH',
      url,
      payload: { suppliers: [{ supplierId: supplier.id, supplierSku: 'E-1', supplierPrice: 5 }] },
    });
    expect(linked.statusCode).toBe(200);
    const withLink = await get(url, tag);
    expect(withLink.statusCode).toBe(200);
    expect(withLink.json().suppliers[0]).toMatchObject({ supplierName: 'Etag supplier' });
  });

  it('reads the data versions once for a page of the list, its ETag and its cached total together', async () => {
    await createItem(admin, { name: 'Etag once' });
    const executor = t.app.services.database.db.getExecutor();
    const seen: string[] = [];
    const execute = executor.executeQuery.bind(executor);
    executor.executeQuery = ((query, queryId) => {
      seen.push(query.sql);
      return execute(query, queryId);
    }) as typeof executor.executeQuery;
    try {
      for (const url of ['/api/v1/items', '/api/v1/items?q=etag', '/api/v1/items?lowStock=true']) {
        await get(url); // the total is counted and cached
        seen.length = 0;
        const res = await get(url);
        expect(res.statusCode, url).toBe(200);
        // Once on PostgreSQL; on SQLite not at all when nothing was committed since the first
        // request (the versions are kept until the data version moves: test/unchanged-reads).
        expect(seen.filter((q) => q.includes('data_versions')).length, `${url}: ${seen.join(' | ')}`).toBe(
          t.engine === 'sqlite' ? 0 : 1,
        );
      }
      // After a commit the versions are read again (and the total recounted with its version).
      await createItem(admin, { name: 'Etag once more' });
      seen.length = 0;
      const fresh = await get('/api/v1/items?q=etag');
      expect(fresh.json().items.map((i: { name: string }) => i.name)).toContain('Etag once more');
      expect(
        seen.filter((q) => q.startsWith('select "name", "version" from "data_versions"')),
        seen.join(' | '),
      ).toHaveLength(1);
    } finally {
      executor.executeQuery = execute;
    }
  });

  it('checks the permission before answering 304', async () => {
    const item = await createItem(admin);
    const tag = (await get(`/api/v1/items/${item.id}`)).headers.etag as string;
    const { key } = await createApiKey(admin, ['categories.view']);
    for (const url of ['/api/v1/items', `/api/v1/items/${item.id}`]) {
      const res = await t.app.inject({
        method: 'GET',
        url,
        headers: { authorization: `Bearer ${key}`, 'if-none-match': tag },
      });
      expect(res.statusCode, url).toBe(403);
      const anonymous = await t.app.inject({ method: 'GET', url, headers: { 'if-none-match': tag } });
      expect(anonymous.statusCode, url).toBe(401);
    }
  });
});
