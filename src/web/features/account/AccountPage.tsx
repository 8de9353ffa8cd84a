import { Badge, Button, Card, Group, Stack, Text, Title, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useOutletContext } from 'react-router';
import type { Me } from '../../../shared/contracts/auth.ts';
import { formatDateTime } from '../../app/format.ts';
import { usePageTitle } from '../../app/title.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { useEndSession, useMySessions, useRefreshSessions } from './account.queries.ts';
import { PasswordForm } from './PasswordForm.tsx';
import { TwoFactorCard } from './TwoFactorCard.tsx';

function browserOf(ua: string | null): string {
  if (!ua) return 'Unknown device';
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Chrome\//.test(ua)
      ? 'Chrome'
      : /Firefox\//.test(ua)
        ? 'Firefox'
        : /Safari\//.test(ua)
          ? 'Safari'
          : 'A program';
  const os = /Windows/.test(ua)
    ? 'Windows'
    : /Mac OS/.test(ua)
      ? 'macOS'
      : /Android/.test(ua)
        ? 'Android'
        : /iPhone|iPad/.test(ua)
          ? 'iOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : '';
  return os ? `${browser} on ${os}` : browser;
}

export function AccountPage() {
  const me = useOutletContext<Me>();
  const sessions = useMySessions();
  usePageTitle('Your account');
  const end = useEndSession();
  const refreshSessions = useRefreshSessions();
  const signOut = (id: string) =>
    end.mutate(id, {
      onSuccess: () => notifications.show({ color: 'teal', message: 'That session has been signed out.' }),
    });
  const tz = me.business.timezone;
  return (
    <Stack>
      <Title order={1} size="h2">
        Your account
      </Title>
      <Text c="dimmed">
        {me.user.name} · {me.user.email} · {me.user.role.name}
      </Text>
      <Card withBorder>
        <Stack>
          <Title order={2} size="h4">
            Password
          </Title>
          <PasswordForm
            onChanged={() => {
              notifications.show({ color: 'teal', message: 'Password changed; your other sessions have ended.' });
              refreshSessions();
            }}
          />
        </Stack>
      </Card>
      <TwoFactorCard timezone={tz} />
      <Card withBorder>
        <Stack>
          <Title order={2} size="h4">
            Where you are signed in
          </Title>
          <DataTable
            label="Your sessions"
            columns={[
              {
                key: 'device',
                header: 'Device',
                cell: (s) => (
                  <Group gap="xs">
                    <Text size="sm">{browserOf(s.userAgent)}</Text>
                    {s.current && <Badge size="sm">this session</Badge>}
                    {s.elevatedUntil && (
                      <Badge size="sm" color="orange">
                        unlocked
                      </Badge>
                    )}
                  </Group>
                ),
              },
              { key: 'ip', header: 'Address', cell: (s) => s.ip ?? '—' },
              {
                key: 'created',
                header: 'Signed in',
                sortValue: (s) => s.createdAt,
                cell: (s) => formatDateTime(s.createdAt, tz),
              },
              {
                key: 'lastSeen',
                header: 'Last active',
                sortValue: (s) => s.lastSeenAt,
                cell: (s) => formatDateTime(s.lastSeenAt, tz),
              },
              {
                key: 'actions',
                header: <VisuallyHidden>Actions</VisuallyHidden>,
                label: 'Actions',
                cell: (s) =>
                  !s.current && (
                    <Button
                      size="xs"
                      variant="subtle"
                      color="red"
                      loading={end.isPending && end.variables === s.id}
                      onClick={() => signOut(s.id)}
                    >
                      Sign out
                    </Button>
                  ),
              },
            ]}
            rows={sessions.data?.items}
            rowKey={(s) => s.id}
            isPending={sessions.isPending}
            error={sessions.error}
            onRetry={() => sessions.refetch()}
            loadingRows={2}
            empty={{ title: 'No open sessions' }}
          />
        </Stack>
      </Card>
    </Stack>
  );
}
