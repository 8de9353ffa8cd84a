import { businessModule, neededBy, withNeeds } from '../../../shared/business-modules.ts';
import type { BusinessModule } from '../../../shared/contracts/modules.ts';
import { MODULES } from '../../../shared/permissions/templates.ts';
import type { Engine } from '../../db/dialect.ts';
import { ConflictError, NotFoundError } from '../../http/errors.ts';
import { type AnyContext, type Context, inTransaction } from '../context.ts';
import type { Core } from '../module.ts';
import { getSetting, putSetting, SETTING } from '../settings/settings.service.ts';
import { lockSettingRow } from './business-modules.repository.ts';

type Deps = Pick<Core, 'audit' | 'now'> & { engine: Engine };

/** The modules of the catalog in its order, each as Settings → Modules shows it. */
function listOf(on: readonly string[]): BusinessModule[] {
  return MODULES.map((m) => ({
    key: m.key,
    label: m.label,
    description: m.description,
    on: 'alwaysOn' in m || on.includes(m.key),
    alwaysOn: 'alwaysOn' in m,
    needs: withNeeds(m.key).filter((k) => k !== m.key),
    neededBy: neededBy(m.key, on),
  }));
}

/** Keeps `keys` in the catalog's order (the stored list reads the same whatever order they were switched in). */
function ordered(keys: ReadonlySet<string>): string[] {
  return MODULES.map((m) => m.key as string).filter((k) => keys.has(k));
}

/**
 * The business's modules (Settings → Modules): which are on, and switching one on or off. Off hides
 * a module's screens and permissions and the route guard refuses its routes; nothing is deleted.
 * Switching one on switches on what it needs; one that a switched-on module needs stays on.
 */
export class BusinessModulesService {
  private readonly deps: Deps;
  constructor(deps: Deps) {
    this.deps = deps;
  }

  async list(ctx: AnyContext): Promise<BusinessModule[]> {
    return listOf((await getSetting<string[]>(ctx.db, SETTING.modules)) ?? []);
  }

  /** Switches `key` on or off in one audited transaction; the list as it now stands. */
  async switch(ctx: Context, key: string, on: boolean): Promise<BusinessModule[]> {
    const def = businessModule(key);
    if (!def) throw new NotFoundError(`There is no module called “${key}”.`);
    return inTransaction(ctx, async (tx) => {
      // Two admins switching at once: the second reads what the first wrote, so neither change is lost.
      await lockSettingRow(tx.db, this.deps.engine, SETTING.modules);
      const before = (await getSetting<string[]>(tx.db, SETTING.modules)) ?? [];
      const next = new Set(before);
      if (on) {
        for (const k of withNeeds(key)) next.add(k);
      } else {
        if (def.alwaysOn) {
          throw new ConflictError(
            `${def.label} is always on: without it nobody could run Steward or see what happened.`,
          );
        }
        const dependents = neededBy(key, before);
        if (dependents.length > 0) {
          const names = dependents.map((k) => businessModule(k)?.label ?? k);
          throw new ConflictError(
            `${names.join(' and ')} ${names.length === 1 ? 'needs' : 'need'} ${def.label}: switch ${names.length === 1 ? 'it' : 'them'} off first.`,
          );
        }
        next.delete(key);
      }
      const after = ordered(next);
      const switchedOn = after.filter((k) => !before.includes(k));
      const switchedOff = before.filter((k) => !next.has(k));
      if (switchedOn.length === 0 && switchedOff.length === 0) return listOf(before);
      await putSetting(tx.db, SETTING.modules, after, new Date(this.deps.now()).toISOString());
      await this.deps.audit.record(tx, {
        action: 'settings.modules',
        target: { type: 'settings', id: 'modules' },
        before: { modules: before },
        after: { modules: after, switchedOn, switchedOff },
      });
      return listOf(after);
    });
  }
}
