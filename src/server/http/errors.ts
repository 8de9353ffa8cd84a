import { isPermission, permissionDef } from '../../shared/permissions/catalog.ts';

/**
 * Typed errors that services throw; the problem handler maps each to RFC 9457 problem+json.
 * No handler writes a status code by hand.
 */
export type FieldError = { path: string; message: string };

export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  /** Short slug; the problem `type` is `urn:steward:problem:<slug>`. */
  readonly slug: string;
  readonly title: string;
  readonly errors: FieldError[] | undefined;
  readonly extra: Record<string, unknown> | undefined;

  constructor(
    status: number,
    slug: string,
    title: string,
    detail: string,
    options?: { errors?: FieldError[]; extra?: Record<string, unknown> },
  ) {
    super(detail);
    this.status = status;
    this.slug = slug;
    this.title = title;
    this.errors = options?.errors;
    this.extra = options?.extra;
  }
}

export class ValidationError extends HttpError {
  constructor(detail: string, errors?: FieldError[]) {
    super(422, 'validation', 'Some values need attention', detail, errors ? { errors } : undefined);
  }
}

export class UnauthorizedError extends HttpError {
  constructor(detail = 'Please sign in to continue.') {
    super(401, 'unauthenticated', 'Not signed in', detail);
  }
}

export class ForbiddenError extends HttpError {
  constructor(detail: string, extra?: Record<string, unknown>) {
    super(403, 'forbidden', 'Not allowed', detail, extra ? { extra } : undefined);
  }
}

/**
 * How a refusal names a permission to staff: its label (“Manage stock”), or the key itself when it
 * is not in the catalog. Programs read the key in the problem's `permission` field.
 */
export function permissionLabel(permission: string): string {
  return isPermission(permission) ? permissionDef(permission).label : permission;
}

export class ElevationRequiredError extends HttpError {
  constructor(permission: string) {
    super(
      403,
      'elevation-required',
      'Master code required',
      `This action (“${permissionLabel(permission)}”) needs the master code.`,
      { extra: { permission } },
    );
  }
}

/** The actor lacks the permission this action needs. */
export class MissingPermissionError extends ForbiddenError {
  constructor(permission: string) {
    super(`You do not have the permission “${permissionLabel(permission)}”.`, { permission });
  }
}

/** The route belongs to a business module this business has switched off (Settings → Modules). */
export class ModuleOffError extends HttpError {
  constructor(module: { key: string; label: string }) {
    super(
      403,
      'module-off',
      'Module switched off',
      `${module.label} is switched off for this business. An admin can switch it on in Settings → Modules; nothing of it was deleted.`,
      { extra: { module: module.key } },
    );
  }
}

export class NotFoundError extends HttpError {
  constructor(detail = 'Nothing was found at this address.') {
    super(404, 'not-found', 'Not found', detail);
  }
}

export class ConflictError extends HttpError {
  constructor(detail: string) {
    super(409, 'conflict', 'Conflict', detail);
  }
}

export class TooManyRequestsError extends HttpError {
  constructor(detail: string, retryAfterSeconds: number) {
    super(429, 'too-many-requests', 'Too many attempts', detail, { extra: { retryAfter: retryAfterSeconds } });
  }
}

/**
 * The disk under the database or the data directory is full: the change was refused and nothing
 * of it was kept. 507 Insufficient Storage tells clients it is not their request's fault.
 */
export class DiskFullError extends HttpError {
  constructor() {
    super(
      507,
      'disk-full',
      "The server's disk is full",
      'Nothing was saved: the server has run out of disk space. Ask your administrator to free some space, then try again.',
    );
  }
}

/** SQLite's primary result code SQLITE_FULL ("database or disk is full"); extended codes keep it in the low byte. */
const SQLITE_FULL = 13;
/** PostgreSQL's SQLSTATE disk_full ("could not extend file …: No space left on device"). */
const PG_DISK_FULL = '53100';

/**
 * The error that says the disk is full, if `err` is one or was caused by one (following `cause`):
 * SQLite's SQLITE_FULL from `node:sqlite`, PostgreSQL's disk_full, or a file write's ENOSPC/EDQUOT.
 */
export function diskFullCause(err: unknown): Error | null {
  const seen = new Set<unknown>();
  let e = err;
  while (e instanceof Error && !seen.has(e)) {
    seen.add(e);
    const { code, errcode } = e as { code?: unknown; errcode?: unknown };
    if (code === 'ERR_SQLITE_ERROR' && typeof errcode === 'number' && (errcode & 0xff) === SQLITE_FULL) return e;
    if (code === PG_DISK_FULL || code === 'ENOSPC' || code === 'EDQUOT') return e;
    e = e.cause;
  }
  return null;
}

/**
 * Awaits a write whose loss does no harm (a "last seen" or "last used" stamp): on a full disk it is
 * skipped, so the request it serves, often a read, still answers (reads keep working on a full disk).
 */
export async function unlessDiskFull(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (err) {
    if (!diskFullCause(err)) throw err;
  }
}
