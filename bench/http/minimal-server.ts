/**
 * The honest limit of each benchmarked route: a minimal server doing the same work as Steward,
 * written directly — Fastify plus the same driver (`node:sqlite` or `pg`) on the same database,
 * prepared statements, no framework of Steward's own. Per request it does what Steward does: the
 * API key (by hash, with its user) or the session cookie, the roles version, the user's
 * overrides and the permission check in the same engine (`src/authz`, pure), the query, and the
 * response serialised from the route's JSON schema (derived from the same Zod contract).
 *
 * Run by bench/http.bench.ts as a child process:
 *   node bench/http/minimal-server.ts <sqlite-file | postgres-url> <port>
 */
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import pg from 'pg';
import { z } from 'zod';
import { Authz, type Override, type Subject } from '../../src/authz/index.ts';
import { hashEvent } from '../../src/server/modules/audit/audit.repository.ts';
import { DEFAULT_DISK_THRESHOLDS, DiskMonitor } from '../../src/server/modules/health/disk-space.ts';
import type { ItemRow } from '../../src/server/modules/inventory/inventory.repository.ts';
import { itemsOf, type SupplierLinkRow } from '../../src/server/modules/inventory/item-view.ts';
import { AuditPage } from '../../src/shared/contracts/audit.ts';
import { Me } from '../../src/shared/contracts/auth.ts';
import { Health } from '../../src/shared/contracts/health.ts';
import { Item, ItemList, StockChangeResult } from '../../src/shared/contracts/inventory.ts';
import { PERMISSION_KEYS } from '../../src/shared/permissions/catalog.ts';

const [target = '', portArg = '0'] = process.argv.slice(2);
const engine = target.startsWith('postgres') ? 'postgres' : 'sqlite';

type Row = Record<string, unknown>;
type Conn = {
  all(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs `fn` in one transaction on one connection; PostgreSQL takes the audit chain's advisory lock. */
  tx<T>(fn: (c: Conn) => Promise<T>): Promise<T>;
};

/** `?` placeholders, as SQLite writes them; numbered for PostgreSQL. */
const numbered = (sql: string) => {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
};

function sqliteConn(file: string): Conn {
  const db = new DatabaseSync(file);
  for (const p of ['journal_mode = WAL', 'synchronous = FULL', 'foreign_keys = ON', 'busy_timeout = 5000']) {
    db.exec(`PRAGMA ${p}`);
  }
  const cache = new Map<string, StatementSync>();
  const stmt = (sql: string) => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
  const conn: Conn = {
    all: async (sql, params = []) => stmt(sql).all(...(params as never[])) as Row[],
    tx: async (fn) => {
      db.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(conn);
        db.exec('COMMIT');
        return out;
      } catch (err) {
        db.exec('ROLLBACK');
        throw err;
      }
    },
  };
  return conn;
}

function postgresConn(url: string): Conn {
  pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on('error', () => {});
  const names = new Map<string, string>();
  const named = (sql: string) => {
    let n = names.get(sql);
    if (!n) {
      n = `m${names.size}`;
      names.set(sql, n);
    }
    return n;
  };
  const on = (client: pg.Pool | pg.PoolClient): Conn['all'] => {
    return async (sql, params = []) =>
      (await client.query({ name: named(sql), text: numbered(sql), values: params as unknown[] })).rows as Row[];
  };
  return {
    all: on(pool),
    tx: async (fn) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const out = await fn({ all: on(client), tx: () => Promise.reject(new Error('nested')) });
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      } finally {
        client.release();
      }
    },
  };
}

const db = engine === 'sqlite' ? sqliteConn(target) : postgresConn(target);

// --- who is asking, and may they ----------------------------------------------------------------

let roles: { version: number; engine: Authz } | null = null;

async function engineAt(version: number): Promise<Authz> {
  if (roles?.version === version) return roles.engine;
  const [rs, parents, entries] = await Promise.all([
    db.all('select key, name from roles order by key'),
    db.all('select role_key, parent_key from role_parents'),
    db.all('select role_key, permission, policy from role_entries'),
  ]);
  const defs = rs.map((r) => ({
    key: r.key as string,
    name: r.name as string,
    inherits: parents.filter((p) => p.role_key === r.key).map((p) => p.parent_key as string),
    entries: Object.fromEntries(entries.filter((e) => e.role_key === r.key).map((e) => [e.permission, e.policy])),
  }));
  const engine = new Authz({ permissions: PERMISSION_KEYS, roles: defs as never, now: Date.now });
  roles = { version, engine };
  return engine;
}

async function settings(keys: string[]): Promise<Map<string, unknown>> {
  const rows = await db.all(`select key, value from settings where key in (${keys.map(() => '?').join(', ')})`, keys);
  return new Map(rows.map((r) => [r.key as string, JSON.parse(r.value as string) as unknown]));
}

async function overrides(userId: string): Promise<Override[]> {
  const rows = await db.all(
    `select o.permission, o.effect, o.scope, o.expires_at, o.reason, o.created_at, b.name as by_name
       from user_overrides o left join users b on b.id = o.granted_by where o.user_id = ?`,
    [userId],
  );
  return rows.map((o) => ({
    permission: o.permission as string,
    effect: o.effect as 'grant' | 'deny',
    scope: o.scope as 'any' | 'own',
    expiresAt: o.expires_at ? Date.parse(o.expires_at as string) : null,
    reason: o.reason as string | null,
    byName: o.by_name as string | null,
    at: Date.parse(o.created_at as string),
  }));
}

type Who = { user: Row; subject: Subject; version: number; session: Row | null; key: Row | null };

const USER_COLUMNS =
  'users.id, users.email, users.name, users.role_key, users.artist_id, users.active, users.must_change_password';

async function whoIs(request: FastifyRequest): Promise<Who | null> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const key = /^Bearer\s+(stw_\S+)$/.exec(header)?.[1];
    if (!key) return null;
    const [row] = await db.all(
      `select api_keys.id as key_id, api_keys.name as key_name, api_keys.permissions as key_permissions,
         api_keys.expires_at, api_keys.revoked_at, ${USER_COLUMNS}
       from api_keys join users on users.id = api_keys.user_id where api_keys.token_hash = ?`,
      [createHash('sha256').update(key).digest('hex')],
    );
    if (!row || row.revoked_at !== null || row.active !== 1) return null;
    if (row.expires_at !== null && Date.parse(row.expires_at as string) <= Date.now()) return null;
    const version = Number((await settings(['roles_version'])).get('roles_version') ?? 0);
    const subject = subjectOf(
      row,
      await overrides(row.id as string),
      new Set(JSON.parse(row.key_permissions as string)),
    );
    return { user: row, subject, version, session: null, key: row };
  }
  const token = /(?:^|;\s*)steward_session=([^;]+)/.exec(request.headers.cookie ?? '')?.[1];
  if (!token) return null;
  const [row] = await db.all(
    `select sessions.id as session_id, sessions.csrf_token, sessions.last_seen_at, sessions.expires_at,
       sessions.elevated_until, sessions.ended_at, sessions.handle, ${USER_COLUMNS}
     from sessions join users on users.id = sessions.user_id where sessions.id = ?`,
    [createHash('sha256').update(token).digest('hex')],
  );
  if (!row || row.ended_at !== null || row.active !== 1) return null;
  const s = await settings(['security', 'roles_version']);
  const idle = ((s.get('security') as { sessionIdleMinutes?: number } | undefined)?.sessionIdleMinutes ?? 60) * 60_000;
  if (Date.parse(row.expires_at as string) <= Date.now()) return null;
  if (Date.now() - Date.parse(row.last_seen_at as string) > idle) return null;
  const subject = subjectOf(row, await overrides(row.id as string), null);
  return { user: row, subject, version: Number(s.get('roles_version') ?? 0), session: row, key: null };
}

function subjectOf(u: Row, o: Override[], limitTo: ReadonlySet<string> | null): Subject {
  const id = u.id as string;
  const artist = u.artist_id as string | null;
  return {
    id,
    active: u.active === 1,
    roles: [u.role_key as string],
    overrides: o,
    elevatedUntil: null,
    ownerIds: artist ? [id, artist] : [id],
    limitTo,
  };
}

/** The request's principal holding `permission` (everywhere), or a 401/403 already sent. */
async function guard(request: FastifyRequest, reply: FastifyReply, permission: string | null): Promise<Who | null> {
  const who = await whoIs(request);
  if (!who) {
    reply.code(401).send({ title: 'Unauthorized' });
    return null;
  }
  if (permission && (await engineAt(who.version)).access(who.subject, permission) !== 'all') {
    reply.code(403).send({ title: 'Forbidden' });
    return null;
  }
  return who;
}

// --- items -----------------------------------------------------------------------------------

const ITEM_SELECT = `select items.*, categories.name as category_name from items
  left join categories on categories.id = items.category_id`;

async function toItems(c: Conn, rows: Row[]) {
  const ids = rows.map((r) => r.id);
  const links =
    ids.length === 0
      ? []
      : await c.all(
          `select l.item_id, l.supplier_id, s.name as supplier_name, l.supplier_sku, l.supplier_price, l.preferred
             from item_suppliers l join suppliers s on s.id = l.supplier_id
            where l.item_id in (${ids.map(() => '?').join(', ')}) order by l.preferred desc, s.name`,
          ids,
        );
  // Steward's own mapping (pure): the same bounds checks, the same body.
  return itemsOf(rows as ItemRow[], links as SupplierLinkRow[]);
}

async function itemById(c: Conn, id: string) {
  const rows = await c.all(`${ITEM_SELECT} where items.id in (?)`, [id]);
  return (await toItems(c, rows))[0];
}

/**
 * Counts as Steward keeps them: computed with the item-count data version in one statement, served
 * again while the version stands.
 */
const counts = new Map<string, { version: number; n: number }>();
/**
 * MINIMAL_VARIANT=before: the queries as they were before issue 20 part 3, for the bench's
 * before/after figures: a count on every request, every search sorted from the FTS index, and on
 * SQLite the page through the old `(active, name)` index (the bench recreates it).
 */
const BEFORE = process.env.MINIMAL_VARIANT === 'before';
const COUNT_CACHE = !BEFORE;
const PAGE_INDEX = BEFORE && engine === 'sqlite' ? ' indexed by items_active_idx' : '';
const VERSION = "select version from data_versions where name = 'item_counts'";

async function count(key: string, countSql: string, params: unknown[]): Promise<number> {
  if (!COUNT_CACHE) return Number((await db.all(countSql, params))[0]?.n ?? 0);
  const hit = counts.get(key);
  if (hit && hit.version === Number((await db.all(VERSION))[0]?.version)) return hit.n;
  const [row] = await db.all(`select (${VERSION}) as version, (${countSql}) as n`, params);
  const entry = { version: Number(row?.version), n: Number(row?.n ?? 0) };
  counts.set(key, entry);
  return entry.n;
}

/** The first page of active items by name, or of those matching a search (every word a substring). */
async function itemPage(q: string | undefined, page: number, pageSize: number) {
  const words = (q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const offset = (page - 1) * pageSize;
  if (words.length > 0 && engine === 'sqlite' && words.every((w) => w.length >= 3)) {
    // Steward's SQLite search: the FTS5 trigram table counts the matches; a common word walks the
    // items in name order (from the cached counts: few rows to read), another sorts its FTS matches.
    const match = words.map((w) => `"${w.replaceAll('"', '""')}"`).join(' AND ');
    const n = await count(
      `fts ${match}`,
      'select count(*) as n from items_fts where items_fts match ? and active = ?',
      [match, 1],
    );
    const all = COUNT_CACHE ? await count('all', 'select count(*) as n from items where active = ?', [1]) : 0;
    const walk = COUNT_CACHE && n > 0 && ((offset + pageSize) * all) / n <= 3000;
    const like = words.map((w) => `%${w.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`);
    const ids = walk
      ? await db.all(
          `select id as item_id from items where active = ?${like.map(() => " and search_text like ? escape '\\'").join('')}
              order by name, id limit ? offset ?`,
          [1, ...like, pageSize, offset],
        )
      : await db.all(
          'select item_id from items_fts where items_fts match ? and active = ? order by name asc, item_id limit ? offset ?',
          [match, 1, pageSize, offset],
        );
    const order = ids.map((r) => r.item_id as string);
    const rows =
      order.length === 0
        ? []
        : await db.all(`${ITEM_SELECT} where items.id in (${order.map(() => '?').join(', ')})`, order);
    rows.sort((a, b) => order.indexOf(a.id as string) - order.indexOf(b.id as string));
    return { items: await toItems(db, rows), total: n, page, pageSize };
  }
  const where = ['items.active = ?', ...words.map(() => "items.search_text like ? escape '\\'")].join(' and ');
  const params = [1, ...words.map((w) => `%${w.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`)];
  const [rows, n] = await Promise.all([
    db.all(
      `${ITEM_SELECT.replace('from items', `from items${PAGE_INDEX}`)} where ${where} order by items.name asc, items.id limit ? offset ?`,
      [...params, pageSize, offset],
    ),
    count(`like ${params.join(' ')}`, `select count(*) as n from items where ${where}`, params),
  ]);
  return { items: await toItems(db, rows), total: n, page, pageSize };
}

// --- the audit log ----------------------------------------------------------------------------

const parse = (v: unknown): unknown => (v === null ? null : (JSON.parse(v as string) as unknown));

async function auditFirstPage(limit: number) {
  const rows = await db.all('select * from audit_events order by seq desc limit ?', [limit + 1]);
  const page = rows.slice(0, limit);
  const users = [...new Set(page.map((r) => r.actor_user_id).filter((v) => v !== null))];
  const byType = new Map<string, Set<string>>();
  for (const r of page) {
    if (r.target_type && r.target_id) {
      const set = byType.get(r.target_type as string) ?? new Set<string>();
      set.add(r.target_id as string);
      byType.set(r.target_type as string, set);
    }
  }
  for (const u of users) {
    const set = byType.get('user') ?? new Set<string>();
    set.add(u as string);
    byType.set('user', set);
  }
  const LOOKUP: Record<string, (ids: string[]) => Promise<Row[]>> = {
    user: (ids) => db.all(`select id, name from users where id in (${ids.map(() => '?').join(', ')})`, ids),
    item: async (ids) =>
      (await db.all(`select id, name, sku from items where id in (${ids.map(() => '?').join(', ')})`, ids)).map(
        (r) => ({ id: r.id, name: `${r.name} (${r.sku})` }),
      ),
    role: (ids) => db.all(`select key as id, name from roles where key in (${ids.map(() => '?').join(', ')})`, ids),
    api_key: (ids) => db.all(`select id, name from api_keys where id in (${ids.map(() => '?').join(', ')})`, ids),
  };
  const names = new Map<string, string>();
  await Promise.all(
    [...byType].map(async ([type, ids]) => {
      const lookup = LOOKUP[type];
      if (!lookup) return;
      for (const r of await lookup([...ids])) names.set(`${type}:${r.id}`, r.name as string);
    }),
  );
  const items = page.map((r) => ({
    seq: r.seq,
    at: r.at,
    actor: {
      userId: r.actor_user_id,
      label: r.actor_label,
      name: r.actor_user_id ? (names.get(`user:${r.actor_user_id}`) ?? null) : null,
    },
    elevated: r.elevated === 1,
    action: r.action,
    outcome: r.outcome,
    target: r.target_type
      ? {
          type: r.target_type,
          id: r.target_id,
          name: r.target_id ? (names.get(`${r.target_type}:${r.target_id}`) ?? null) : null,
        }
      : null,
    before: parse(r.before),
    after: parse(r.after),
    reason: r.reason,
    requestId: r.request_id,
    ip: r.ip,
    userAgent: r.user_agent,
    hash: r.hash,
  }));
  return { items, nextCursor: rows.length > limit ? (items.at(-1)?.seq ?? null) : null };
}

// --- a stock movement with its audit event -------------------------------------------------------

async function stockIn(who: Who, itemId: string, quantity: number, request: FastifyRequest) {
  const now = new Date().toISOString();
  const result = await db.tx(async (c) => {
    const [setting] = await c.all('select value from settings where key = ?', ['inventory']);
    const allowNegative =
      (setting ? (JSON.parse(setting.value as string) as { allowNegativeStock?: boolean }) : {}).allowNegativeStock ===
      true;
    const floor = allowNegative || quantity >= 0 ? -1_000_000_000 : 0;
    const [row] = await c.all(
      'update items set on_hand = on_hand + ?, updated_at = ? where id = ? and on_hand + ? <= ? and on_hand + ? >= ? returning on_hand',
      [quantity, now, itemId, quantity, 1_000_000_000, quantity, floor],
    );
    if (!row) throw new Error('stock refused');
    const after = Number(row.on_hand);
    const [movement] = await c.all(
      `insert into stock_movements (item_id, kind, quantity, before, after, reason, reference_type, reference_id,
         actor_user_id, created_at, elevated) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`,
      [itemId, 'in', quantity, after - quantity, after, null, null, null, who.user.id, now, 0],
    );
    if (engine === 'postgres') await c.all('select pg_advisory_xact_lock(?)', [0x5354_4157]);
    const [head] = await c.all('select seq, hash from audit_events order by seq desc limit 1');
    const event = {
      seq: Number(head?.seq ?? 0) + 1,
      at: now,
      actor_user_id: who.user.id as string,
      actor_label: who.key ? `${who.user.email} (API key “${who.key.key_name}”)` : (who.user.email as string),
      elevated: 0,
      action: 'inventory.stock',
      outcome: 'success' as const,
      target_type: 'item',
      target_id: itemId,
      before: JSON.stringify({ onHand: after - quantity }),
      after: JSON.stringify({ onHand: after, kind: 'in', quantity, reference: null }),
      reason: null,
      request_id: request.id,
      ip: request.ip,
      user_agent: request.headers['user-agent'] ?? null,
      prev_hash: (head?.hash as string | undefined) ?? '0'.repeat(64),
      area: 'inventory',
    };
    await c.all(
      `insert into audit_events (seq, at, actor_user_id, actor_label, elevated, action, outcome, target_type,
         target_id, before, after, reason, request_id, ip, user_agent, prev_hash, area, hash)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [...Object.values(event), hashEvent(event as never)],
    );
    return { before: after - quantity, after, movementId: Number(movement?.id) };
  });
  return {
    item: await itemById(db, itemId),
    movement: {
      id: result.movementId,
      kind: 'in',
      quantity,
      before: result.before,
      after: result.after,
      reason: null,
      reference: null,
      actor: { id: who.user.id, name: who.user.name },
      elevated: false,
      at: now,
    },
  };
}

// --- the server -------------------------------------------------------------------------------

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { target: 'draft-7', io: 'output', unrepresentable: 'any' });

const app = Fastify({ logger: false, genReqId: () => randomUUID() });
const NO_STORE = 'no-store';

// The same work as Steward's /healthz: free space under the data directory, measured at most every 5 s.
const disk = new DiskMonitor(process.env.STEWARD_DATA_DIR ?? path.dirname(target), DEFAULT_DISK_THRESHOLDS);
app.get('/healthz', { schema: { response: { 200: json(Health) } } }, async () => ({
  status: 'ok',
  disk: await disk.status(),
}));

app.get('/api/v1/me', { schema: { response: { 200: json(Me) } } }, async (request, reply) => {
  const who = await guard(request, reply, null);
  if (!who) return reply;
  const s = await settings(['business', 'modules', 'roles_version']);
  const authz = await engineAt(Number(s.get('roles_version') ?? 0));
  const role = authz.roleDefs().find((r) => r.key === who.user.role_key);
  const u = who.user;
  reply.header('cache-control', NO_STORE);
  return {
    user: {
      id: u.id,
      email: u.email,
      name: u.name,
      roleKey: u.role_key,
      artistId: u.artist_id,
      mustChangePassword: u.must_change_password === 1,
      role: { key: u.role_key, name: role?.name ?? u.role_key },
    },
    business: { ...(s.get('business') as object), modules: s.get('modules') ?? [] },
    permissions: authz
      .effective(who.subject)
      .map((e) => ({ permission: e.permission, state: e.state, access: e.access })),
    elevatedUntil: null,
    csrfToken: who.session?.csrf_token ?? null,
    session: who.session ? { handle: who.session.handle ?? '' } : null,
    apiKey: who.key ? { id: who.key.key_id, name: who.key.key_name } : null,
  };
});

const ListQuery = { type: 'object', properties: { q: { type: 'string', maxLength: 100 } } };

app.get<{ Querystring: { q?: string } }>(
  '/api/v1/items',
  { schema: { querystring: ListQuery, response: { 200: json(ItemList) } } },
  async (request, reply) => {
    if (!(await guard(request, reply, 'inventory.view'))) return reply;
    reply.header('cache-control', NO_STORE);
    return itemPage(request.query.q?.trim() || undefined, 1, 50);
  },
);

app.get<{ Params: { id: string } }>(
  '/api/v1/items/:id',
  { schema: { response: { 200: json(Item) } } },
  async (request, reply) => {
    if (!(await guard(request, reply, 'inventory.view'))) return reply;
    const item = await itemById(db, request.params.id);
    if (!item) return reply.code(404).send({ title: 'Not found' });
    reply.header('cache-control', NO_STORE);
    return item;
  },
);

app.get('/api/v1/audit', { schema: { response: { 200: json(AuditPage) } } }, async (request, reply) => {
  if (!(await guard(request, reply, 'security.audit'))) return reply;
  reply.header('cache-control', NO_STORE);
  return auditFirstPage(50);
});

app.post<{ Params: { id: string }; Body: { kind: 'in'; quantity: number } }>(
  '/api/v1/items/:id/stock',
  {
    schema: {
      body: {
        type: 'object',
        properties: { kind: { const: 'in' }, quantity: { type: 'integer', minimum: 1 } },
        required: ['kind', 'quantity'],
      },
      response: { 200: json(StockChangeResult) },
    },
  },
  async (request, reply) => {
    const who = await guard(request, reply, 'inventory.manage_stock');
    if (!who) return reply;
    reply.header('cache-control', NO_STORE);
    return stockIn(who, request.params.id, request.body.quantity, request);
  },
);

await app.listen({ port: Number(portArg), host: '127.0.0.1' });
process.send?.({ ready: true });
process.once('SIGTERM', () => {
  app.close().then(() => process.exit(0));
});
