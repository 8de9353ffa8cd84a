import { Anchor, Box, Group, Stack, Text, Title } from '@mantine/core';
import { Link, Navigate, Outlet, useLocation, useOutletContext } from 'react-router';
import type { Me } from '../../../shared/contracts/auth.ts';
import { settingsTabsFor } from '../../../shared/modules.ts';
import { usePageTitle } from '../../app/title.ts';

/**
 * The settings screen: one link per tab the user may open. Tabs are links, not ARIA tabs, because
 * each leads to its own address: Tab reaches every one, and ctrl/⌘-click opens it in a new tab.
 */
export function SettingsLayout() {
  const me = useOutletContext<Me>();
  const location = useLocation();
  const tabs = settingsTabsFor(me);
  const current = location.pathname.split('/')[2];
  const tab = tabs.find((t) => t.path === current);
  usePageTitle(tab?.label, 'Settings');
  if (!current && tabs[0]) return <Navigate to={`/settings/${tabs[0].path}`} replace />;
  return (
    <Stack>
      <Title order={1} size="h2">
        Settings
      </Title>
      {tabs.length === 0 ? (
        <Text c="dimmed">Your access opens no settings. Ask an administrator if you need one.</Text>
      ) : (
        <Box component="nav" aria-label="Settings" style={{ borderBottom: '2px solid var(--mantine-color-gray-3)' }}>
          <Group gap={0} wrap="wrap">
            {tabs.map((t) => {
              const active = t.path === current;
              return (
                <Anchor
                  key={t.path}
                  component={Link}
                  to={`/settings/${t.path}`}
                  aria-current={active ? 'page' : undefined}
                  underline="never"
                  c={active ? 'teal.9' : 'dark.7'}
                  fw={active ? 600 : 500}
                  size="sm"
                  px="md"
                  py="xs"
                  mb={-2}
                  style={{ borderBottom: `2px solid ${active ? 'var(--mantine-color-teal-7)' : 'transparent'}` }}
                >
                  {t.label}
                </Anchor>
              );
            })}
          </Group>
        </Box>
      )}
      <Outlet context={me} />
    </Stack>
  );
}
