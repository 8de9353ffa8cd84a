/**
 * The web app's data layer: which failures are retried, responses checked against the shared
 * contracts, query keys that nest so one invalidation reaches every view of a record, the
 * shared table's states and links, and pages that fetch only through their feature's hooks.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { MantineProvider } from '@mantine/core';
import { QueryClient } from '@tanstack/react-query';
import { createElement, type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';
import { ItemList } from '../src/shared/contracts/inventory.ts';
import { ApiError } from '../src/web/app/api.ts';
import { PARSE_RESPONSES, parseResponse, queryDefaults, shouldRetry } from '../src/web/app/query.ts';
import { keys } from '../src/web/app/query-keys.ts';
import { type Column, DataTable, type DataTableProps } from '../src/web/components/DataTable.tsx';
import { ErrorState } from '../src/web/components/states.tsx';

const problem = (status: number, slug = 'x') => ({
  type: `urn:steward:problem:${slug}`,
  title: 'T',
  status,
  detail: `detail ${status}`,
  instance: '/api/v1/x',
  requestId: 'r',
});
const apiError = (status: number, slug?: string) => new ApiError(status, problem(status, slug));

const render = (node: ReactNode) =>
  renderToStaticMarkup(createElement(MantineProvider, null, createElement(MemoryRouter, null, node as never)));

describe('retry policy', () => {
  it('retries no 4xx, and network errors and 5xx at most twice', () => {
    for (const status of [400, 401, 403, 404, 409, 422]) expect(shouldRetry(0, apiError(status))).toBe(false);
    for (const status of [0, 500, 502, 503]) {
      expect(shouldRetry(0, apiError(status))).toBe(true);
      expect(shouldRetry(1, apiError(status))).toBe(true);
      expect(shouldRetry(2, apiError(status))).toBe(false);
    }
    // A programming error (e.g. a response that breaks its contract) is not retried either.
    expect(shouldRetry(0, new Error('does not match its contract'))).toBe(false);
  });

  it('a query with the shared options asks once on a 404 and three times on a 503', async () => {
    const client = new QueryClient({ defaultOptions: { queries: { retryDelay: 0 } } });
    const calls = { 404: 0, 503: 0 };
    for (const status of [404, 503] as const) {
      await expect(
        client.fetchQuery({
          ...queryDefaults,
          queryKey: ['probe', status],
          queryFn: async () => {
            calls[status] += 1;
            throw apiError(status);
          },
        }),
      ).rejects.toBeInstanceOf(ApiError);
    }
    expect(calls).toEqual({ 404: 1, 503: 3 });
    client.clear();
  });
});

describe('responses checked against the contracts', () => {
  it('is on in tests', () => expect(PARSE_RESPONSES).toBe(true));

  it('passes a conforming answer and names the first field that breaks the contract', () => {
    const good = { items: [], total: 0, page: 1, pageSize: 50 };
    expect(parseResponse(ItemList, good, '/api/v1/items')).toEqual(good);
    expect(() => parseResponse(ItemList, { ...good, total: '0' }, '/api/v1/items')).toThrow(
      /\/api\/v1\/items does not match its contract: total:/,
    );
    // With parsing off (a production build) the answer is trusted as it is.
    expect(parseResponse(ItemList, { total: '0' }, '/api/v1/items', false)).toEqual({ total: '0' });
  });
});

describe('query keys', () => {
  it('nest under their area, so invalidating the area refreshes lists, pages and details', () => {
    const under = (prefix: readonly unknown[], key: readonly unknown[]) =>
      expect(key.slice(0, prefix.length)).toEqual([...prefix]);
    under(keys.items.all, keys.items.list('q=a'));
    under(keys.items.all, keys.items.one('i1'));
    under(keys.items.all, keys.items.movements('i1'));
    under(keys.items.all, keys.items.search('gl'));
    under(keys.orders.all, keys.orders.list('open'));
    under(keys.orders.all, keys.orders.one('o1'));
    under(keys.orders.all, keys.orders.suggestions);
    under(keys.users.all, keys.users.list('', 'all'));
    under(keys.permissions.all, keys.permissions.ofUser('u1'));
    under(keys.permissions.all, keys.permissions.explain('u1', 'inventory.view'));
    under(keys.categories.all, keys.categories.list(true));
    under(keys.suppliers.all, keys.suppliers.list(false));
    under(keys.stockCounts.all, keys.stockCounts.one('c1'));
  });
});

describe('error state', () => {
  it('says "no access" or "not found" for a 403 or 404, without a button', () => {
    const forbidden = render(createElement(ErrorState, { error: apiError(403, 'forbidden'), onRetry: () => {} }));
    expect(forbidden).toContain('You don’t have access to this page');
    expect(forbidden).not.toContain('<button');
    const missing = render(createElement(ErrorState, { error: apiError(404, 'not-found'), onRetry: () => {} }));
    expect(missing).toContain('Not found');
    expect(missing).not.toContain('<button');
  });

  it('offers to try again after a server or network failure', () => {
    for (const status of [0, 500]) {
      const html = render(createElement(ErrorState, { error: apiError(status), onRetry: () => {} }));
      expect(html).toContain('This could not be loaded');
      expect(html).toContain('Try again');
    }
  });
});

type Row = { id: string; name: string; qty: number };
const rows: Row[] = Array.from({ length: 120 }, (_, i) => ({ id: `r${i}`, name: `Item ${i}`, qty: 120 - i }));
const columns: Column<Row>[] = [
  { key: 'name', header: 'Name', sortValue: (r) => r.name, cell: (r) => r.name },
  { key: 'qty', header: 'Quantity', sortValue: (r) => r.qty, cell: (r) => String(r.qty) },
];
const table = (props: Partial<DataTableProps<Row>>) =>
  render(
    createElement(DataTable<Row>, {
      label: 'Things',
      columns,
      rows,
      rowKey: (r) => r.id,
      empty: { title: 'Nothing here yet' },
      ...props,
    }),
  );

describe('DataTable', () => {
  it('links each row’s primary cell to its page, so it opens with Enter or in a new tab', () => {
    const html = table({ rowHref: (r) => `/things/${r.id}` });
    expect(html).toContain('aria-label="Things"');
    expect(html).toContain('href="/things/r0"');
    expect(html).toMatch(/<a [^>]*href="\/things\/r0"[^>]*>Item 0<\/a>/);
  });

  it('makes rows without an address but with an action focusable', () => {
    const html = table({ onRowActivate: () => {} });
    expect((html.match(/<tr[^>]*tabindex="0"/g) ?? []).length).toBe(50);
    expect(table({}).match(/<tr[^>]*tabindex="0"/g)).toBeNull();
  });

  it('pages long lists 50 at a time and marks sortable columns', () => {
    const html = table({});
    expect((html.match(/<tbody[\s\S]*<\/tbody>/)?.[0].match(/<tr/g) ?? []).length).toBe(50);
    expect(html).toContain('Item 49');
    expect(html).not.toContain('Item 50<');
    expect(html).toContain('aria-label="Page 3"');
    expect(html).toContain('aria-sort="none"');
    expect(html).toContain('aria-label="Sort by Quantity"');
  });

  it('shows the server’s sort and paging', () => {
    const html = table({
      rows: rows.slice(0, 10),
      sort: { by: 'qty', order: 'desc' },
      onSort: () => {},
      paging: { page: 2, pageSize: 10, total: 35, onPage: () => {} },
    });
    expect(html).toContain('aria-sort="descending"');
    expect(html).toContain('aria-label="Page 4"');
    expect(html).not.toContain('aria-label="Page 5"');
  });

  it('shows loading, empty and error states instead of the table', () => {
    expect(table({ isPending: true })).toContain('aria-busy="true"');
    expect(table({ rows: [] })).toContain('Nothing here yet');
    const missing = table({ error: apiError(404), onRetry: () => {} });
    expect(missing).toContain('Not found');
    expect(missing).not.toContain('<table');
  });
});

describe('pages fetch through their feature’s query module', () => {
  it('no page or component calls api.get or builds a query inline', () => {
    const root = path.resolve(import.meta.dirname, '../src/web');
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter(
      (f) => /\.tsx?$/.test(f) && !f.endsWith('.queries.ts') && !f.startsWith('app/'),
    );
    const offenders = files.filter((f) =>
      /api\.get[<(]|use(Infinite)?Query\(\{|queryKey: \[/.test(readFileSync(path.join(root, f), 'utf8')),
    );
    expect(offenders).toEqual([]);
    expect(files.length).toBeGreaterThan(20);
  });
});
