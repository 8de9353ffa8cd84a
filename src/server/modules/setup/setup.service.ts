import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { SetupBody, SetupStatus } from '../../../shared/contracts/setup.ts';
import { TEMPLATE_KEYS, TEMPLATES } from '../../../shared/permissions/templates.ts';
import { isUniqueViolation } from '../../db/dialect.ts';
import { ConflictError, ValidationError } from '../../http/errors.ts';
import type { AuthService } from '../auth/auth.service.ts';
import { assertPasswordAcceptable } from '../auth/password.ts';
import { type AnyContext, asActor, inTransaction } from '../context.ts';
import type { Core } from '../module.ts';
import {
  type Business,
  DEFAULT_SECURITY,
  getSetting,
  insertSettingOnce,
  putSetting,
  SETTING,
} from '../settings/settings.service.ts';

type SetupInput = z.output<typeof SetupBody>;

/** Staff accounts added with demo data: one per non-admin built-in role, with no password until an admin sets one. */
const DEMO_STAFF: Record<keyof typeof TEMPLATES, { name: string; email: string; role: string }[]> = {
  studio: [
    { name: 'Sam Rivera (demo assistant)', email: 'sam.assistant@demo.invalid', role: 'assistant' },
    { name: 'Riley Chen (demo artist)', email: 'riley.artist@demo.invalid', role: 'artist' },
  ],
  stores: [
    { name: 'Uma Okafor (demo user)', email: 'uma.user@demo.invalid', role: 'user' },
    { name: 'Sid Novak (demo superuser)', email: 'sid.superuser@demo.invalid', role: 'superuser' },
  ],
};

function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export class SetupService {
  private readonly deps: Pick<Core, 'audit' | 'hasher' | 'now' | 'roles'> & { auth: AuthService };
  constructor(deps: SetupService['deps']) {
    this.deps = deps;
  }

  async status(ctx: AnyContext): Promise<SetupStatus> {
    const done = await getSetting(ctx.db, SETTING.setupCompleted);
    return {
      needed: done === undefined,
      templates: TEMPLATE_KEYS.map((key) => ({
        key,
        label: TEMPLATES[key].label,
        description: TEMPLATES[key].description,
        roles: TEMPLATES[key].roles.map((r) => r.name),
      })),
    };
  }

  /**
   * First run: business, built-in roles of the template, the first admin, optional demo staff.
   * Allowed once; a second attempt (even a concurrent one) is a 409 and writes nothing.
   */
  async complete(ctx: AnyContext, input: SetupInput): Promise<{ adminId: string }> {
    const security = DEFAULT_SECURITY;
    assertPasswordAcceptable(input.admin.password, security.passwordPolicy, 'admin.password');
    if (!validTimezone(input.timezone)) {
      throw new ValidationError(`"${input.timezone}" is not a known time zone.`, [
        { path: 'timezone', message: 'Use a time zone name such as Europe/Lisbon.' },
      ]);
    }
    // A quick refusal before the bcrypt hash; the transaction below decides (insertSettingOnce).
    if ((await this.status(ctx)).needed === false || (await this.deps.auth.countAccounts(ctx)) > 0) {
      throw new ConflictError('Steward is already set up. Sign in instead.');
    }
    const template = TEMPLATES[input.template];
    const passwordHash = await this.deps.hasher.hash(input.admin.password);
    const now = new Date(this.deps.now()).toISOString();
    const adminId = randomUUID();
    try {
      await inTransaction(asActor(ctx, null), async (tx) => {
        const trx = tx.db;
        if ((await this.deps.auth.countAccounts(tx)) > 0)
          throw new ConflictError('Steward is already set up. Sign in instead.');
        await insertSettingOnce(trx, SETTING.setupCompleted, { at: now, template: template.key }, now);
        const business: Business = {
          name: input.businessName,
          template: template.key,
          timezone: input.timezone,
          currency: input.currency,
        };
        await putSetting(trx, SETTING.business, business, now);
        await putSetting(trx, SETTING.modules, template.modules, now);
        await putSetting(trx, SETTING.security, security, now);
        await this.deps.roles.insert(
          trx,
          template.roles.map((r) => ({ ...r, builtin: true })),
          now,
        );
        await this.deps.auth.createAccount(tx, {
          id: adminId,
          email: input.admin.email,
          name: input.admin.name,
          passwordHash,
          roleKey: template.adminRole,
          mustChangePassword: false,
          now,
        });
        const actor = { userId: adminId, label: input.admin.email };
        await this.deps.audit.record(tx, {
          action: 'setup.completed',
          actor,
          target: { type: 'business', id: null },
          after: {
            ...business,
            modules: template.modules,
            roles: template.roles.map((r) => r.key),
            demoData: input.demoData,
          },
        });
        await this.deps.audit.record(tx, {
          action: 'users.create',
          actor,
          target: { type: 'user', id: adminId },
          after: { email: input.admin.email, name: input.admin.name, role: template.adminRole },
        });
        if (input.demoData) {
          for (const staff of DEMO_STAFF[template.key]) {
            const id = randomUUID();
            await this.deps.auth.createAccount(tx, {
              id,
              ...staff,
              roleKey: staff.role,
              passwordHash: null,
              mustChangePassword: true,
              now,
            });
            await this.deps.audit.record(tx, {
              action: 'users.create',
              actor,
              target: { type: 'user', id },
              after: { email: staff.email, name: staff.name, role: staff.role, demo: true },
            });
          }
        }
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError('Steward is already set up. Sign in instead.');
      throw err;
    }
    return { adminId };
  }
}
