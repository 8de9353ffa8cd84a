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
  VisuallyHidden,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconChevronDown, IconHome, IconLockOpen, IconLogout, IconUser } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import type { Me } from '../../shared/contracts/auth.ts';
import { navItemsFor } from '../../shared/modules.ts';
import { api } from '../app/api.ts';
import { formatTime } from '../app/format.ts';
import { keys } from '../app/query-keys.ts';
import { useSignOut } from '../app/session.queries.ts';

/** "Unlocked until 14:05" while the session is elevated, with a way to lock it now. */
function ElevationBadge({ me }: { me: Me }) {
  const queryClient = useQueryClient();
  const lock = useMutation({
    mutationFn: () => api.delete('/api/v1/auth/elevate'),
    onSuccess: () => {
      queryClient.setQueryData<Me | null>(keys.me, (m) => (m ? { ...m, elevatedUntil: null } : m));
      notifications.show({ message: 'Locked again.' });
    },
  });
  if (!me.elevatedUntil || Date.parse(me.elevatedUntil) <= Date.now()) return null;
  return (
    <Tooltip label="Master-code actions are unlocked in this session. Click to lock now." withArrow>
      <Badge
        component="button"
        color="orange"
        variant="light"
        leftSection={<IconLockOpen size={12} />}
        style={{ cursor: 'pointer', border: 0 }}
        onClick={() => lock.mutate()}
      >
        Unlocked until {formatTime(me.elevatedUntil, me.business.timezone)}
      </Badge>
    </Tooltip>
  );
}

export function AppLayout({ me, children }: { me: Me; children: ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  // On a phone the drawer covers the page: choosing a page closes it.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the address changes
  useEffect(() => close(), [location.pathname]);
  const navigate = useNavigate();
  const signOut = useSignOut();
  const logout = {
    mutate: () => signOut.mutate(undefined, { onSuccess: () => navigate('/login', { replace: true }) }),
  };

  // What the modules declare (src/shared/modules.ts), for this user's permissions.
  const navItems = navItemsFor(me);
  // The module whose route is the longest prefix of the address is the one open.
  const open = navItems
    .map((x) => x.path)
    .filter((r): r is string => r !== null && location.pathname.startsWith(r))
    .sort((a, b) => b.length - a.length)[0];
  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="lg"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap" miw={0}>
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Text fw={700} truncate>
              {me.business.name}
            </Text>
            <Badge variant="light" color="gray" visibleFrom="sm">
              Steward
            </Badge>
          </Group>
          <Group gap="md" wrap="nowrap">
            <ElevationBadge me={me} />
            <Menu position="bottom-end" withinPortal>
              <Menu.Target>
                <UnstyledButton>
                  {/* One line whatever the name's length: a long name is cut, the chevron stays beside it. */}
                  <Group gap={6} wrap="nowrap">
                    {/* Named by what it shows (WCAG 2.5.3), after what it is. */}
                    <VisuallyHidden>Account menu:</VisuallyHidden>
                    <div style={{ textAlign: 'right', minWidth: 0 }}>
                      <Text size="sm" fw={500} truncate maw={{ base: 120, sm: 240 }}>
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
                <Menu.Item leftSection={<IconUser size={14} />} onClick={() => navigate('/account')}>
                  Your account
                </Menu.Item>
                <Menu.Item leftSection={<IconLogout size={14} />} onClick={() => logout.mutate()}>
                  Sign out
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Modules">
        <ScrollArea>
          <NavLink
            label="Dashboard"
            leftSection={<IconHome size={16} />}
            active={location.pathname === '/'}
            component={Link}
            to="/"
          />
          {navItems.map((m) => {
            const route = m.path;
            return route ? (
              <NavLink key={m.key} label={m.label} active={route === open} component={Link} to={route} />
            ) : (
              <Tooltip key={m.key} label="This module arrives in a later release" position="right" withArrow>
                <NavLink
                  label={m.label}
                  disabled
                  // Mantine fades disabled links to 40 % (2.8:1); these must stay readable.
                  style={{ opacity: 1 }}
                  c="dimmed"
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
