/**
 * The business's details: what first run set (name, time zone, currency, template) and the contact
 * details printed on the documents it sends. Name, time zone and contact details can change;
 * currency and template cannot (money already recorded is in that currency; the built-in roles
 * came from that template).
 */
import type { BusinessDetails, BusinessDetailsBody } from '../../../shared/contracts/business.ts';
import type { Engine } from '../../db/dialect.ts';
import { ConflictError } from '../../http/errors.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { type AnyContext, type Context, inTransaction } from '../context.ts';
import { type Business, loadBusiness, putSetting, SETTING } from '../settings/settings.service.ts';
import { lockBusiness } from './business.repository.ts';

type Deps = { engine: Engine; audit: AuditService; now: () => number };

type Editable = keyof BusinessDetailsBody;
const EDITABLE: readonly Editable[] = ['name', 'timezone', 'address', 'phone', 'email', 'taxId'];

export function detailsOf(b: Business): BusinessDetails {
  return {
    name: b.name,
    timezone: b.timezone,
    address: b.address ?? '',
    phone: b.phone ?? '',
    email: b.email ?? '',
    taxId: b.taxId ?? '',
    currency: b.currency,
    template: b.template,
  };
}

export class BusinessService {
  private readonly deps: Deps;
  constructor(deps: Deps) {
    this.deps = deps;
  }

  async details(ctx: AnyContext): Promise<BusinessDetails> {
    const b = await loadBusiness(ctx.db);
    if (!b) throw new ConflictError('The business has not been set up yet.');
    return detailsOf(b);
  }

  /** Saves the editable details; the audit event lists only the fields that changed. */
  async save(ctx: Context, body: BusinessDetailsBody): Promise<BusinessDetails> {
    return inTransaction(ctx, async (tx) => {
      await lockBusiness(tx.db, this.deps.engine);
      const stored = await loadBusiness(tx.db);
      if (!stored) throw new ConflictError('The business has not been set up yet.');
      const before = detailsOf(stored);
      const changed = EDITABLE.filter((k) => before[k] !== body[k]);
      if (changed.length === 0) return before;
      const next: Business = { ...stored, ...body };
      await putSetting(tx.db, SETTING.business, next, new Date(this.deps.now()).toISOString());
      await this.deps.audit.record(tx, {
        action: 'settings.business',
        target: { type: 'settings', id: 'business' },
        before: Object.fromEntries(changed.map((k) => [k, before[k]])),
        after: Object.fromEntries(changed.map((k) => [k, body[k]])),
      });
      return detailsOf(next);
    });
  }
}
