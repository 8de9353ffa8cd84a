import type { Kysely } from 'kysely';
import { DEFAULT_SECURITY, type SecuritySettings } from '../../../shared/contracts/security.ts';
import type { TemplateKey } from '../../../shared/permissions/templates.ts';
import type { DB } from '../../db/schema.ts';
import { getSetting } from './settings.repository.ts';

export { DEFAULT_SECURITY, type SecuritySettings };

/** Setting keys and their shapes. */
export type Business = { name: string; template: TemplateKey; timezone: string; currency: string };

export const SETTING = {
  business: 'business',
  modules: 'modules',
  security: 'security',
  rolesVersion: 'roles_version',
  setupCompleted: 'setup_completed',
} as const;

/** The security settings with defaults filled in for anything never saved. */
export function securityFrom(stored: unknown): SecuritySettings {
  const s = (stored ?? {}) as Partial<SecuritySettings>;
  return { ...DEFAULT_SECURITY, ...s, passwordPolicy: { ...DEFAULT_SECURITY.passwordPolicy, ...s.passwordPolicy } };
}

export async function loadSecurity(db: Kysely<DB>): Promise<SecuritySettings> {
  return securityFrom(await getSetting(db, SETTING.security));
}
