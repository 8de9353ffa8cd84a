/**
 * The settings store (one JSON value per key) and the shapes of the settings the core reads.
 * Other modules read and write settings through this file, never through settings.repository.ts;
 * the functions take the database or an open transaction (a write takes the write's transaction).
 */
import { DEFAULT_SECURITY, type SecuritySettings } from '../../../shared/contracts/security.ts';
import type { TemplateKey } from '../../../shared/permissions/templates.ts';
import type { Db } from '../context.ts';
import { getSetting } from './settings.repository.ts';

export { getSetting, getSettings, insertSettingOnce, putSetting } from './settings.repository.ts';
export { DEFAULT_SECURITY, type SecuritySettings };

/** Setting keys and their shapes. */
export type Business = {
  name: string;
  template: TemplateKey;
  timezone: string;
  currency: string;
  /** Contact details printed on documents (absent until first saved in Settings → Business). */
  address?: string;
  phone?: string;
  email?: string;
  taxId?: string;
};

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

export async function loadSecurity(db: Db): Promise<SecuritySettings> {
  return securityFrom(await getSetting(db, SETTING.security));
}

/** The business as set up, or undefined before first setup. */
export function loadBusiness(db: Db): Promise<Business | undefined> {
  return getSetting<Business>(db, SETTING.business);
}
