import { writeFile } from 'node:fs/promises';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { diskFullCause } from './errors.ts';

describe('diskFullCause', () => {
  it('recognises the kernel refusing a write with ENOSPC (/dev/full)', async () => {
    const err = await writeFile('/dev/full', 'x').catch((e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(diskFullCause(err)).toBe(err);
  });

  it("recognises PostgreSQL's disk_full (SQLSTATE 53100), also as the cause of another error", () => {
    const pgErr = new pg.DatabaseError('could not extend file "base/16384/16385": No space left on device', 0, 'error');
    pgErr.code = '53100';
    expect(diskFullCause(pgErr)).toBe(pgErr);
    const wrapped = new Error('import failed', { cause: pgErr });
    expect(diskFullCause(wrapped)).toBe(pgErr);
  });

  it('does not take other failures for a full disk', () => {
    const unique = new pg.DatabaseError('duplicate key value violates unique constraint', 0, 'error');
    unique.code = '23505';
    expect(diskFullCause(unique)).toBeNull();
    expect(diskFullCause(Object.assign(new Error('constraint'), { code: 'ERR_SQLITE_ERROR', errcode: 19 }))).toBeNull();
    expect(diskFullCause('database or disk is full')).toBeNull();
    const loop = new Error('loop');
    loop.cause = loop;
    expect(diskFullCause(loop)).toBeNull();
  });
});
