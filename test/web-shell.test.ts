/**
 * The app shell: any GET/HEAD outside /api that is neither a route nor a file answers the
 * built index.html, whatever the Accept header (curl, link checkers); unknown /api paths and
 * missing hashed assets stay problem+json 404s.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ENGINES, type TestApp } from './harness.ts';

const SHELL =
  '<!doctype html><html><body><div id="root"></div><script src="/assets/app-1234.js"></script></body></html>';

describe.each(ENGINES)('app shell on %s', (engine) => {
  let t: TestApp;
  let webDist: string;
  beforeAll(async () => {
    webDist = mkdtempSync(path.join(tmpdir(), 'steward-web-'));
    mkdirSync(path.join(webDist, 'assets'));
    writeFileSync(path.join(webDist, 'index.html'), SHELL);
    writeFileSync(path.join(webDist, 'assets/app-1234.js'), 'console.log(1);');
    writeFileSync(path.join(webDist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    t = await createTestApp(engine, { config: { webDist } });
  });
  afterAll(async () => {
    await t.close();
    rmSync(webDist, { recursive: true, force: true });
  });

  it.each([
    ['/', {}],
    ['/', { accept: '*/*' }],
    ['/', { accept: 'application/json' }],
    ['/inventory/items', {}],
    ['/settings/users?tab=roles', { accept: 'text/plain' }],
    ['/audit', { accept: 'text/html,application/xhtml+xml' }],
  ])('GET %s with %j answers the app shell', async (url, headers) => {
    const res = await t.app.inject({ method: 'GET', url, headers });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.body).toBe(SHELL);
  });

  it('answers HEAD / like GET, without a body', async () => {
    const res = await t.app.inject({ method: 'HEAD', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toBe('');
  });

  it('still serves files as themselves', async () => {
    const js = await t.app.inject('/assets/app-1234.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toContain('javascript');
    expect(js.headers['cache-control']).toContain('immutable');
    const svg = await t.app.inject('/favicon.svg');
    expect(svg.statusCode).toBe(200);
    expect(svg.headers['content-type']).toContain('image/svg+xml');
  });

  it.each([
    ['GET', '/api/v1/nope', {}],
    ['GET', '/api/v1/nope', { accept: 'text/html' }],
    ['GET', '/api', { accept: 'text/html' }],
    ['GET', '/assets/missing-9999.js', { accept: '*/*' }],
    ['POST', '/inventory', { accept: 'text/html' }],
  ] as const)('%s %s with %j stays a problem+json 404', async (method, url, headers) => {
    const res = await t.app.inject({ method, url, headers });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.json().title).toBe('Not found');
  });
});
