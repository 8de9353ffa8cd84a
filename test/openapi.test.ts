/**
 * The served OpenAPI document is usable by client generators: every `$ref` resolves inside
 * the document, every named schema is in components.schemas, and each operation still says
 * which permission it needs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from './harness.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every `$ref` value in the document, with the JSON path it was found at. */
function collectRefs(node: Json, at = '#', out: { ref: string; at: string }[] = []) {
  if (Array.isArray(node)) {
    for (const [i, child] of node.entries()) collectRefs(child, `${at}/${i}`, out);
  } else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') out.push({ ref: value, at });
      else collectRefs(value, `${at}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`, out);
    }
  }
  return out;
}

/** Resolves a local JSON pointer (`#/a/b`) in the document; undefined when it points nowhere. */
function resolvePointer(document: Json, ref: string): Json | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: Json | undefined = document;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (node === null || typeof node !== 'object') return undefined;
    node = Array.isArray(node) ? node[Number(key)] : node[key];
    if (node === undefined) return undefined;
  }
  return node;
}

describe.each(ENGINES)('OpenAPI document on %s', (engine) => {
  let t: TestApp;
  let document: Json & { [key: string]: Json };
  beforeAll(async () => {
    t = await createTestApp(engine);
    const res = await t.app.inject('/api/openapi.json');
    expect(res.statusCode).toBe(200);
    document = res.json();
  });
  afterAll(async () => t.close());

  it('is OpenAPI 3.1 with operations', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths as object).length).toBeGreaterThan(50);
  });

  it('resolves every $ref inside the document', () => {
    const refs = collectRefs(document);
    expect(refs.length).toBeGreaterThan(0);
    const dangling = refs.filter((r) => resolvePointer(document, r.ref) === undefined);
    expect(dangling).toEqual([]);
  });

  it('lists the shared schemas (User, Item, AuditEvent, Problem…) in components.schemas', () => {
    const schemas = (document.components as { schemas?: Record<string, Json> }).schemas ?? {};
    for (const name of ['User', 'Item', 'AuditEvent', 'Problem', 'PurchaseOrder', 'Role']) {
      expect(Object.keys(schemas)).toContain(name);
    }
  });

  it('names the permission of every operation', () => {
    const paths = document.paths as Record<string, Record<string, { 'x-permission'?: string }>>;
    for (const [p, ops] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        expect(op['x-permission'], `${method.toUpperCase()} ${p}`).toBeTruthy();
      }
    }
  });

  it('gives every operation a unique operationId, and public ones no security requirement', () => {
    const paths = document.paths as Record<
      string,
      Record<string, { operationId?: string; security?: unknown[]; 'x-permission'?: string }>
    >;
    const ids: string[] = [];
    for (const ops of Object.values(paths)) {
      for (const op of Object.values(ops)) {
        if (!op.operationId) continue;
        ids.push(op.operationId);
        if (op['x-permission'] === 'public') expect(op.security).toEqual([]);
        else expect(op.security).toBeUndefined();
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('postUsersByIdResetPassword');
    expect(document.security).toEqual([{ session: [] }, { apiKey: [] }]);
  });

  it('app.swagger() and the served document are the same', () => {
    expect(JSON.parse(JSON.stringify(t.app.swagger()))).toEqual(document);
  });
});
