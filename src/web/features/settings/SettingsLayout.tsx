import { Stack, Tabs, Title } from '@mantine/core';
import { Navigate, Outlet, useLocation, useNavigate, useOutletContext } from 'react-router';
import type { Me } from '../../../shared/contracts/auth.ts';
import { settingsTabsFor } from '../../../shared/modules.ts';

export function SettingsLayout() {
  const me = useOutletContext<Me>();
  const location = useLocation();
  const navigate = useNavigate();
  const tabs = settingsTabsFor(me);
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
