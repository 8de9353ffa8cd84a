import { Switch } from '@mantine/core';
import { type ReactNode, useState } from 'react';
import { isPermissionOn } from '../../../shared/business-modules.ts';
import type { Me } from '../../../shared/contracts/auth.ts';
import { PERMISSIONS } from '../../../shared/permissions/catalog.ts';

export type ModuleFilter = {
  /** True when the permission is listed: its module is on, or the user asked to see the others too. */
  visible(permission: string): boolean;
  /** True when the permission's module is switched off (to mark it when shown). */
  off(permission: string): boolean;
  /** The "Show permissions of modules that are off" switch; null when every module is on. */
  toggle: ReactNode;
};

/**
 * Permission lists (per-user permissions, the Roles editor, bulk changes, API keys) show only the
 * permissions of the business's switched-on modules; a switch shows the others, marked as off.
 * Hiding a permission changes nothing: a role or user keeps its entries for it.
 */
export function useModuleFilter(me: Me): ModuleFilter {
  const [showOff, setShowOff] = useState(false);
  const modules = me.business.modules;
  const off = (permission: string) => !isPermissionOn(permission, modules);
  const anyOff = PERMISSIONS.some((p) => off(p.key));
  return {
    visible: (permission) => showOff || !off(permission),
    off,
    toggle: anyOff ? (
      <Switch
        size="xs"
        label="Show permissions of modules that are off"
        checked={showOff}
        onChange={(e) => setShowOff(e.currentTarget.checked)}
      />
    ) : null,
  };
}
