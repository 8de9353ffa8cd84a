import { Badge, Button, Card, Group, Stack, Table, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useOutletContext } from 'react-router';
import type { Me, SessionList } from '../../../shared/contracts/auth.ts';
import { api } from '../../app/api.ts';
import { formatDateTime } from '../../app/format.ts';
import { ErrorState, TableLoader } from '../../components/states.tsx';
import { PasswordForm } from './PasswordForm.tsx';

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
  const queryClient = useQueryClient();
  const sessions = useQuery({
    queryKey: ['my-sessions'],
    queryFn: () => api.get<SessionList>('/api/v1/auth/sessions'),
  });
  const end = useMutation({
    mutationFn: (id: string) => api.delete(`/api/v1/auth/sessions/${id}`),
    onSuccess: () => {
      notifications.show({ color: 'teal', message: 'That session has been signed out.' });
      void queryClient.invalidateQueries({ queryKey: ['my-sessions'] });
    },
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
              void queryClient.invalidateQueries({ queryKey: ['my-sessions'] });
            }}
          />
        </Stack>
      </Card>
      <Card withBorder>
        <Stack>
          <Title order={2} size="h4">
            Where you are signed in
          </Title>
          {sessions.isPending ? (
            <TableLoader rows={2} />
          ) : sessions.isError ? (
            <ErrorState error={sessions.error} onRetry={() => sessions.refetch()} />
          ) : (
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Device</Table.Th>
                  <Table.Th>Address</Table.Th>
                  <Table.Th>Signed in</Table.Th>
                  <Table.Th>Last active</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {sessions.data.items.map((s) => (
                  <Table.Tr key={s.id}>
                    <Table.Td>
                      <Group gap="xs">
                        <Text size="sm">{browserOf(s.userAgent)}</Text>
                        {s.current && <Badge size="sm">this session</Badge>}
                        {s.elevatedUntil && (
                          <Badge size="sm" color="orange">
                            unlocked
                          </Badge>
                        )}
                      </Group>
                    </Table.Td>
                    <Table.Td>{s.ip ?? '—'}</Table.Td>
                    <Table.Td>{formatDateTime(s.createdAt, tz)}</Table.Td>
                    <Table.Td>{formatDateTime(s.lastSeenAt, tz)}</Table.Td>
                    <Table.Td>
                      {!s.current && (
                        <Button
                          size="xs"
                          variant="subtle"
                          color="red"
                          loading={end.isPending && end.variables === s.id}
                          onClick={() => end.mutate(s.id)}
                        >
                          Sign out
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Stack>
      </Card>
    </Stack>
  );
}
