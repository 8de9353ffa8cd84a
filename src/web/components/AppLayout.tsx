import {
  AppShell,
  Badge,
  Burger,
  Group,
  Menu,
  NavLink,
  ScrollArea,
  Text,
  Tooltip,
  UnstyledButton,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconChevronDown, IconHome, IconLogout } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useLocation, useNavigate } from 'react-router';
import type { Me } from '../../shared/contracts/auth.ts';
import { MODULES } from '../../shared/permissions/templates.ts';
import { api, setCsrfToken } from '../app/api.ts';
import { meKey } from '../app/session.ts';

/** Modules of the business that the user can use at least in part. */
export function visibleModules(me: Me) {
  const usable = new Set(me.permissions.filter((p) => p.access !== 'none').map((p) => p.permission.split('.')[0]));
  return MODULES.filter((m) => me.business.modules.includes(m.key) && m.areas.some((a) => usable.has(a)));
}

/** Screens that exist so far; other modules are listed but not yet openable. */
const AVAILABLE_ROUTES: Record<string, string> = {};

export function AppLayout({ me, children }: { me: Me; children: ReactNode }) {
  const [opened, { toggle }] = useDisclosure();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const logout = useMutation({
    mutationFn: () => api.post('/api/v1/auth/logout'),
    onSuccess: () => {
      setCsrfToken(null);
      queryClient.setQueryData(meKey, null);
      notifications.show({ message: 'You are signed out.' });
      navigate('/login', { replace: true });
    },
  });

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="lg"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="sm">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Text fw={700}>{me.business.name}</Text>
            <Badge variant="light" color="gray">
              Steward
            </Badge>
          </Group>
          <Menu position="bottom-end" withinPortal>
            <Menu.Target>
              <UnstyledButton aria-label="Account menu">
                <Group gap={6}>
                  <div style={{ textAlign: 'right' }}>
                    <Text size="sm" fw={500}>
                      {me.user.name}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {me.user.role.name}
                    </Text>
                  </div>
                  <IconChevronDown size={14} />
                </Group>
              </UnstyledButton>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Label>{me.user.email}</Menu.Label>
              <Menu.Item leftSection={<IconLogout size={14} />} onClick={() => logout.mutate()}>
                Sign out
              </Menu.Item>
            </Menu.Dropdown>
          </Menu>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Modules">
        <ScrollArea>
          <NavLink
            label="Dashboard"
            leftSection={<IconHome size={16} />}
            active={location.pathname === '/'}
            onClick={() => navigate('/')}
          />
          {visibleModules(me).map((m) => {
            const route = AVAILABLE_ROUTES[m.key];
            return route ? (
              <NavLink
                key={m.key}
                label={m.label}
                active={location.pathname.startsWith(route)}
                onClick={() => navigate(route)}
              />
            ) : (
              <Tooltip key={m.key} label="This module arrives in a later release" position="right" withArrow>
                <NavLink
                  label={m.label}
                  disabled
                  rightSection={
                    <Badge size="xs" variant="light">
                      Soon
                    </Badge>
                  }
                />
              </Tooltip>
            );
          })}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main>{children}</AppShell.Main>
    </AppShell>
  );
}
