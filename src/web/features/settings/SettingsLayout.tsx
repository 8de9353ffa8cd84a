import { Stack, Tabs, Title } from '@mantine/core';
import { Navigate, Outlet, useLocation, useNavigate, useOutletContext } from 'react-router';
import type { Me } from '../../../shared/contracts/auth.ts';
import type { Permission } from '../../../shared/permissions/catalog.ts';
import { hasPermission } from '../../app/session.ts';

/** The settings tabs a user may open. */
export function settingsTabs(me: Me) {
  const can = (p: Permission) => hasPermission(me, p);
  return [
    { path: 'users', label: 'Users', visible: can('users.view') },
    { path: 'permissions', label: 'Permissions', visible: can('settings.permissions') },
    { path: 'roles', label: 'Roles', visible: can('users.view') },
    {
      path: 'inventory',
      label: 'Inventory',
      visible: can('settings.view') && me.business.modules.includes('inventory'),
    },
    {
      path: 'security',
      label: 'Security',
      visible: can('security.rotate_code') || can('security.api_keys') || can('settings.view'),
    },
  ].filter((t) => t.visible);
}

export function SettingsLayout() {
  const me = useOutletContext<Me>();
  const location = useLocation();
  const navigate = useNavigate();
  const tabs = settingsTabs(me);
  const current = location.pathname.split('/')[2];
  if (!current && tabs[0]) return <Navigate to={`/settings/${tabs[0].path}`} replace />;
  return (
    <Stack>
      <Title order={1} size="h2">
        Settings
      </Title>
      <Tabs value={current ?? null} onChange={(v) => v && navigate(`/settings/${v}`)}>
        <Tabs.List>
          {tabs.map((t) => (
            <Tabs.Tab key={t.path} value={t.path}>
              {t.label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
      </Tabs>
      <Outlet context={me} />
    </Stack>
  );
}
