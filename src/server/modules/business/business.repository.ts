import { type Engine, lockChain } from '../../db/dialect.ts';
import type { Trx } from '../context.ts';

const BUSINESS_LOCK = 0x5354_4244; // "STBD"

/**
 * Holds the business details for the transaction, so a save reads the value it replaces and
 * writes before the next save reads: each audit event's "before" is the previous one's "after"
 * (PostgreSQL takes an advisory lock; SQLite already runs one writer at a time).
 */
export function lockBusiness(trx: Trx, engine: Engine): Promise<void> {
  return lockChain(trx, engine, BUSINESS_LOCK);
}
