import { DEFAULT_PASSWORD_POLICY, type PasswordPolicy } from '../../../shared/password-policy.ts';
import type { TemplateKey } from '../../../shared/permissions/templates.ts';

/** Setting keys and their shapes. */
export type Business = { name: string; template: TemplateKey; timezone: string; currency: string };

export type SecuritySettings = {
  sessionIdleMinutes: number;
  sessionAbsoluteHours: number;
  elevationMinutes: number;
  loginMaxFailures: number;
  loginLockMinutes: number;
  passwordPolicy: PasswordPolicy;
};

export const DEFAULT_SECURITY: SecuritySettings = {
  sessionIdleMinutes: 60,
  sessionAbsoluteHours: 12,
  elevationMinutes: 5,
  loginMaxFailures: 10,
  loginLockMinutes: 15,
  passwordPolicy: DEFAULT_PASSWORD_POLICY,
};

export const SETTING = {
  business: 'business',
  modules: 'modules',
  security: 'security',
  rolesVersion: 'roles_version',
  setupCompleted: 'setup_completed',
} as const;
