/**
 * A full disk (reliability promise 32): a write that cannot be stored answers 507 "The server's
 * disk is full" with nothing of it kept, the log names the real cause, reads keep working, and
 * writes resume once there is room again.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createOrder, itemBody, multipart, unique } from './factories.ts';
import { createBusinessApp, ENGINES } from './harness.ts';
import { post, send, sessionHeaders, signInOver } from './net.ts';

const FIXTURE = path.join(import.meta.dirname, 'fixtures/capped-disk-server.ts');
const PASSWORD = 'Correct-Horse-9';

describe('a full SQLite disk, in a real server process', () => {
  let child: ChildProcess;
  let base: string;
  let dataDir: string;
  let log = '';
  let admin: { cookie: string; csrfToken: string };

  const command = (cap: boolean) =>
    new Promise<void>((resolve) => {
      child.once('message', () => resolve());
      child.send({ cap });
    });

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'steward-disk-full-'));
    child = fork(FIXTURE, [dataDir], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    child.stdout?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    const port = await new Promise<number>((resolve) =>
      child.once('message', (m: { port: number }) => resolve(m.port)),
    );
    base = `http://127.0.0.1:${port}`;
    const email = `${unique('admin').toLowerCase()}@example.com`;
    const setup = await post(base, '/api/v1/setup', {
      businessName: 'Full Disk Ltd',
      template: 'stores',
      admin: { name: 'Ada Admin', email, password: PASSWORD },
    });
    expect(setup.status).toBe(201);
    admin = await signInOver(base, email, PASSWORD);
  }, 60_000);

  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.disconnect();
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 507 with nothing written, logs the cause, keeps reading, and writes again once there is room', async () => {
    const headers = sessionHeaders(admin);
    const auditCount = async () =>
      (await send<{ items: { seq: number }[] }>(base, 'GET', '/api/v1/audit?limit=1', undefined, headers)).body.items[0]
        ?.seq ?? 0;
    await command(true);

    // Each item (and its audit event) takes about a page: the database runs out within a few.
    let refused: { status: number; body: Record<string, unknown> } | null = null;
    let refusedBody: Record<string, unknown> = {};
    let eventsBefore = 0;
    for (let i = 0; i < 40 && !refused; i++) {
      const body = itemBody({ description: 'x'.repeat(1500) });
      eventsBefore = await auditCount();
      const res = await post(base, '/api/v1/items', body, headers);
      if (res.status !== 201) {
        refused = res;
        refusedBody = body;
      }
    }
    expect(refused?.status).toBe(507);
    expect(refused?.body).toMatchObject({
      type: 'urn:steward:problem:disk-full',
      title: "The server's disk is full",
      status: 507,
    });
    expect(String(refused?.body.detail)).toMatch(/Nothing was saved/);

    // Nothing of the refused write was kept; reads keep working while the disk is full.
    const found = await send<{ items: unknown[] }>(
      base,
      'GET',
      `/api/v1/items?q=${refusedBody.sku as string}`,
      undefined,
      headers,
    );
    expect(found.status).toBe(200);
    expect(found.body.items).toEqual([]);
    expect(await auditCount()).toBe(eventsBefore);

    // The log names SQLite's cause at error level, never a rollback error in its place.
    await new Promise((r) => setTimeout(r, 200));
    const lines = log
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message: string } });
    const full = lines.find((l) => l.msg.includes('disk is full'));
    expect(full?.level).toBe(50);
    expect(full?.err?.message).toBe('database or disk is full');
    expect(log).not.toMatch(/cannot rollback|cannot commit/);

    await command(false);
    const again = await post(base, '/api/v1/items', refusedBody, headers);
    expect(again.status).toBe(201);
    expect(await auditCount()).toBe(eventsBefore + 1);
  }, 60_000);
});

describe.each(ENGINES)('a full disk under the invoices (%s)', (engine) => {
  let ctx: Awaited<ReturnType<typeof createBusinessApp>>;
  beforeAll(async () => {
    ctx = await createBusinessApp(engine);
  });
  afterAll(() => ctx.t.close());

  it('answers 507 when the invoice file cannot be written (ENOSPC), and the order keeps no invoice', async () => {
    const { t, admin } = ctx;
    const order = await createOrder(admin);
    // The kernel's /dev/full answers every write with ENOSPC, like a full volume.
    const dir = path.join(t.config.dataDir, 'invoices');
    mkdirSync(dir, { recursive: true });
    // The upload is written beside the final file first, then renamed over it.
    symlinkSync('/dev/full', path.join(dir, `${order.id}.pdf.part`));
    const events = async () =>
      (await admin.inject({ method: 'GET', url: '/api/v1/audit?limit=1' })).json().items[0].seq as number;
    const before = await events();
    const upload = multipart('invoice.pdf', Buffer.from('%PDF-1.4\n%%EOF\n'), 'application/pdf');
    const res = await admin.inject({ method: 'POST', url: `/api/v1/purchase-orders/${order.id}/invoice`, ...upload });
    expect(res.statusCode).toBe(507);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json()).toMatchObject({ type: 'urn:steward:problem:disk-full', title: "The server's disk is full" });
    const after = await admin.inject({ method: 'GET', url: `/api/v1/purchase-orders/${order.id}` });
    expect(after.json().invoice).toBeNull();
    expect(await events()).toBe(before);
  });
});

describe.each(ENGINES)('a full disk under the sessions and keys (%s)', (engine) => {
  let ctx: Awaited<ReturnType<typeof createBusinessApp>>;
  beforeAll(async () => {
    ctx = await createBusinessApp(engine);
  });
  afterAll(() => ctx.t.close());

  /** Makes every stamp of "last seen" or "last used" fail as a full disk does, until the returned undo. */
  async function fillDiskUnderStamps(): Promise<() => Promise<void>> {
    const db = ctx.t.app.services.database.db;
    if (engine === 'postgres') {
      await sql`create function disk_is_full() returns trigger language plpgsql as $$
        begin raise exception 'could not extend file: No space left on device' using errcode = 'disk_full'; end $$`.execute(
        db,
      );
      await sql`create trigger sessions_full before update of last_seen_at on sessions for each row execute function disk_is_full()`.execute(
        db,
      );
      await sql`create trigger keys_full before update of last_used_at on api_keys for each row execute function disk_is_full()`.execute(
        db,
      );
      return async () => {
        await sql`drop function disk_is_full() cascade`.execute(db);
      };
    }
    // SQLite's real SQLITE_FULL: each stamp writes a blob that needs pages the capped database has not.
    await sql`create table disk_filler (b blob)`.execute(db);
    await sql`create trigger sessions_full after update of last_seen_at on sessions begin insert into disk_filler values (randomblob(65536)); end`.execute(
      db,
    );
    await sql`create trigger keys_full after update of last_used_at on api_keys begin insert into disk_filler values (randomblob(65536)); end`.execute(
      db,
    );
    const { rows } = await sql<{ page_count: number }>`pragma page_count`.execute(db);
    await sql.raw(`pragma max_page_count = ${Number(rows[0]?.page_count)}`).execute(db);
    return async () => {
      await sql.raw('pragma max_page_count = 1073741823').execute(db);
      await sql`drop table disk_filler`.execute(db);
      await sql`drop trigger sessions_full`.execute(db);
      await sql`drop trigger keys_full`.execute(db);
    };
  }

  it('keeps answering reads whose session or API key is due its "last seen" stamp', async () => {
    const { t, admin } = ctx;
    const { key } = await createApiKey(admin, ['users.view']);
    const undo = await fillDiskUnderStamps();
    try {
      t.clock.advance(61_000);
      const me = await admin.inject({ method: 'GET', url: '/api/v1/me' });
      expect(me.statusCode).toBe(200);
      const users = await t.app.inject({
        method: 'GET',
        url: '/api/v1/users',
        headers: { authorization: `Bearer ${key}` },
      });
      expect(users.statusCode).toBe(200);
    } finally {
      await undo();
    }
    // Once there is room, the stamps are written again.
    t.clock.advance(61_000);
    expect((await admin.inject({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(200);
    const stamped = await t.app.services.database.db
      .selectFrom('sessions')
      .select('last_seen_at')
      .where('ended_at', 'is', null)
      .orderBy('last_seen_at', 'desc')
      .executeTakeFirstOrThrow();
    expect(Date.parse(stamped.last_seen_at)).toBe(t.clock.now);
  });
});

describe('the API description', () => {
  it('lists the full-disk refusal (507) on every operation that writes, and on no read', async () => {
    const { t } = await createBusinessApp(ENGINES[0] as 'sqlite');
    try {
      const doc = (await t.app.inject('/api/openapi.json')).json() as {
        paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      };
      let writes = 0;
      for (const [url, item] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(item)) {
          const has507 = Object.hasOwn(op.responses ?? {}, '507');
          if (['post', 'put', 'patch', 'delete'].includes(method)) {
            writes += 1;
            expect(has507, `${method} ${url}`).toBe(true);
          } else expect(has507, `${method} ${url}`).toBe(false);
        }
      }
      expect(writes).toBeGreaterThan(30);
    } finally {
      await t.close();
    }
  });
});
