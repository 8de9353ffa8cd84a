import {
  ActionIcon,
  Badge,
  Button,
  Group,
  Menu,
  Modal,
  PasswordInput,
  SegmentedControl,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconDots, IconPlus, IconSearch } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { useNavigate, useOutletContext } from 'react-router';
import type { Me } from '../../../shared/contracts/auth.ts';
import type { RoleList } from '../../../shared/contracts/permissions.ts';
import type { User, UserList } from '../../../shared/contracts/users.ts';
import type { Permission } from '../../../shared/permissions/catalog.ts';
import { ApiError, api } from '../../app/api.ts';
import { formatDateTime } from '../../app/format.ts';
import { hasPermission } from '../../app/session.ts';
import { ConfirmDialog, SecretDialog } from '../../components/dialogs.tsx';
import { EmptyState, ErrorState, TableLoader } from '../../components/states.tsx';

export const usersKey = ['users'] as const;
export const rolesKey = ['roles'] as const;

export function useRoles() {
  return useQuery({ queryKey: rolesKey, queryFn: () => api.get<RoleList>('/api/v1/roles') });
}

type Action = { kind: 'deactivate' | 'reactivate' | 'reset' | 'signout'; user: User } | null;

export function UsersPage() {
  const me = useOutletContext<Me>();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search, 200);
  const [status, setStatus] = useState<'all' | 'active' | 'inactive'>('active');
  const users = useQuery({
    queryKey: [...usersKey, q, status],
    queryFn: () => api.get<UserList>(`/api/v1/users?status=${status}${q ? `&q=${encodeURIComponent(q)}` : ''}`),
  });
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<User | null>(null);
  const [action, setAction] = useState<Action>(null);
  const [secret, setSecret] = useState<{ title: string; value: string; who: string } | null>(null);
  const shownSecret = useRef(secret);
  if (secret) shownSecret.current = secret;
  const refresh = () => queryClient.invalidateQueries({ queryKey: usersKey });

  const act = useMutation({
    meta: { silent: true },
    mutationFn: async ({ a, reason }: { a: NonNullable<Action>; reason: string }) => {
      const base = `/api/v1/users/${a.user.id}`;
      if (a.kind === 'deactivate') return api.post(`${base}/deactivate`, { reason: reason || undefined });
      if (a.kind === 'reactivate') return api.post(`${base}/reactivate`, { reason: reason || undefined });
      if (a.kind === 'signout') return api.delete(`${base}/sessions`);
      return api.post<{ temporaryPassword: string }>(`${base}/reset-password`, {});
    },
    onSuccess: (data, { a }) => {
      setAction(null);
      void refresh();
      if (a.kind === 'reset') {
        setSecret({
          title: 'Temporary password',
          value: (data as { temporaryPassword: string }).temporaryPassword,
          who: a.user.name,
        });
      } else {
        const done = { deactivate: 'deactivated', reactivate: 'reactivated', signout: 'signed out everywhere' }[a.kind];
        notifications.show({ color: 'teal', message: `${a.user.name} was ${done}.` });
      }
    },
  });

  const can = (p: Permission) => hasPermission(me, p);
  const rows = users.data?.items ?? [];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2} size="h3">
          Users
        </Title>
        {can('users.add') && (
          <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)}>
            Add user
          </Button>
        )}
      </Group>
      <Group>
        <TextInput
          placeholder="Search by name or email"
          aria-label="Search users"
          leftSection={<IconSearch size={16} />}
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          w={320}
        />
        <SegmentedControl
          aria-label="Status"
          value={status}
          onChange={(v) => setStatus(v as typeof status)}
          data={[
            { value: 'active', label: 'Active' },
            { value: 'inactive', label: 'Deactivated' },
            { value: 'all', label: 'All' },
          ]}
        />
      </Group>
      {users.isError ? (
        <ErrorState error={users.error} onRetry={() => users.refetch()} />
      ) : users.isPending ? (
        <TableLoader />
      ) : rows.length === 0 ? (
        <EmptyState
          title={q ? 'No user matches that search' : 'No users here'}
          description={q ? 'Try another name or email.' : 'Users you add appear here.'}
        />
      ) : (
        <Table striped highlightOnHover verticalSpacing="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Last sign-in</Table.Th>
              <Table.Th w={48}>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((u) => (
              <Table.Tr key={u.id} data-user={u.email}>
                <Table.Td>
                  <Text fw={500}>{u.name}</Text>
                  <Text size="xs" c="dimmed">
                    {u.email}
                  </Text>
                </Table.Td>
                <Table.Td>{u.role.name}</Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {u.active ? <Badge color="teal">Active</Badge> : <Badge color="gray">Deactivated</Badge>}
                    {u.lockedUntil && Date.parse(u.lockedUntil) > Date.now() && <Badge color="orange">Locked</Badge>}
                    {u.active && u.mustChangePassword && (
                      <Badge color="yellow" variant="light">
                        Temporary password
                      </Badge>
                    )}
                    {u.overrides > 0 && (
                      <Badge variant="outline" color="grape">
                        {u.overrides} custom
                      </Badge>
                    )}
                  </Group>
                </Table.Td>
                <Table.Td>{formatDateTime(u.lastLoginAt, me.business.timezone)}</Table.Td>
                <Table.Td>
                  <Menu position="bottom-end" withinPortal>
                    <Menu.Target>
                      <ActionIcon variant="subtle" color="gray" aria-label={`Actions for ${u.name}`}>
                        <IconDots size={16} />
                      </ActionIcon>
                    </Menu.Target>
                    <Menu.Dropdown>
                      {can('users.edit') && <Menu.Item onClick={() => setEditing(u)}>Edit…</Menu.Item>}
                      {can('settings.permissions') && (
                        <Menu.Item onClick={() => navigate(`/settings/permissions?user=${u.id}`)}>
                          Permissions
                        </Menu.Item>
                      )}
                      {can('users.reset_password') && u.active && (
                        <Menu.Item onClick={() => setAction({ kind: 'reset', user: u })}>Reset password…</Menu.Item>
                      )}
                      {can('users.edit') && u.active && (
                        <Menu.Item onClick={() => setAction({ kind: 'signout', user: u })}>
                          Sign out everywhere…
                        </Menu.Item>
                      )}
                      {can('users.delete') && u.id !== me.user.id && (
                        <Menu.Item
                          color={u.active ? 'red' : undefined}
                          onClick={() => setAction({ kind: u.active ? 'deactivate' : 'reactivate', user: u })}
                        >
                          {u.active ? 'Deactivate…' : 'Reactivate…'}
                        </Menu.Item>
                      )}
                    </Menu.Dropdown>
                  </Menu>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {creating && (
        <UserFormModal
          onClose={() => setCreating(false)}
          onSaved={(user, temporaryPassword) => {
            setCreating(false);
            void refresh();
            if (temporaryPassword) setSecret({ title: 'Temporary password', value: temporaryPassword, who: user.name });
          }}
        />
      )}
      {editing && (
        <UserFormModal
          user={editing}
          onClose={() => setEditing(null)}
          onSaved={(user) => {
            setEditing(null);
            void refresh();
            notifications.show({ color: 'teal', message: `${user.name} was saved.` });
          }}
        />
      )}
      {action && (
        <ConfirmDialog
          opened
          title={
            {
              deactivate: `Deactivate ${action.user.name}?`,
              reactivate: `Reactivate ${action.user.name}?`,
              reset: `Reset ${action.user.name}’s password?`,
              signout: `Sign ${action.user.name} out everywhere?`,
            }[action.kind]
          }
          confirmLabel={
            { deactivate: 'Deactivate', reactivate: 'Reactivate', reset: 'Reset password', signout: 'Sign out' }[
              action.kind
            ]
          }
          danger={action.kind === 'deactivate'}
          reasonLabel={action.kind === 'deactivate' || action.kind === 'reactivate' ? 'Reason' : undefined}
          loading={act.isPending}
          error={act.error instanceof Error ? act.error.message : null}
          onClose={() => {
            act.reset();
            setAction(null);
          }}
          onConfirm={(reason) => act.mutate({ a: action, reason })}
        >
          <Text size="sm">
            {
              {
                deactivate:
                  'They are signed out at once and their API keys stop working. Their account and history are kept; you can reactivate them later.',
                reactivate: 'They can sign in again with their password.',
                reset:
                  'Steward sets a temporary password, shows it to you once, and signs them out everywhere. They choose a new password at their next sign-in.',
                signout: 'Every open session of theirs ends now.',
              }[action.kind]
            }
          </Text>
        </ConfirmDialog>
      )}
      <SecretDialog
        title={shownSecret.current?.title ?? ''}
        secret={secret?.value ?? null}
        onClose={() => setSecret(null)}
      >
        Give this temporary password to {shownSecret.current?.who}. They must choose their own at their first sign-in.
      </SecretDialog>
    </Stack>
  );
}

function UserFormModal(props: { user?: User; onClose: () => void; onSaved: (user: User, password?: string) => void }) {
  const me = useOutletContext<Me>();
  const roles = useRoles();
  const editing = props.user !== undefined;
  const form = useForm({
    mode: 'controlled',
    initialValues: {
      name: props.user?.name ?? '',
      email: props.user?.email ?? '',
      roleKey: props.user?.role.key ?? '',
      artistId: props.user?.artistId ?? '',
      temporaryPassword: '',
    },
    validate: {
      name: (v) => (v.trim() ? null : 'Enter a name.'),
      email: (v) => (/^\S+@\S+\.\S+$/.test(v.trim()) ? null : 'Enter a valid email address.'),
      roleKey: (v) => (v ? null : 'Choose a role.'),
    },
  });
  const save = useMutation({
    meta: { silent: true },
    mutationFn: async (v: typeof form.values) => {
      const artistId = v.artistId.trim() || null;
      if (!props.user) {
        return api.post<{ user: User; temporaryPassword: string }>('/api/v1/users', {
          name: v.name,
          email: v.email,
          roleKey: v.roleKey,
          artistId,
          ...(v.temporaryPassword ? { temporaryPassword: v.temporaryPassword } : {}),
        });
      }
      let user = await api.patch<User>(`/api/v1/users/${props.user.id}`, { name: v.name, email: v.email, artistId });
      if (v.roleKey !== props.user.role.key) {
        user = await api.put<User>(`/api/v1/users/${props.user.id}/role`, { roleKey: v.roleKey });
      }
      return { user, temporaryPassword: '' };
    },
    onSuccess: (r) => props.onSaved(r.user, r.temporaryPassword || undefined),
    onError: (err) => {
      if (err instanceof ApiError) form.setErrors(err.fieldErrors());
    },
  });
  const fieldErrors = save.error instanceof ApiError ? save.error.fieldErrors() : {};
  const general = save.error && Object.keys(fieldErrors).length === 0 ? save.error.message : null;
  return (
    <Modal opened onClose={props.onClose} title={editing ? `Edit ${props.user?.name}` : 'Add a user'} centered>
      <form onSubmit={form.onSubmit((v) => save.mutate(v))} noValidate>
        <Stack>
          <TextInput label="Name" required data-autofocus {...form.getInputProps('name')} />
          <TextInput label="Email" type="email" required {...form.getInputProps('email')} />
          <Select
            label="Role"
            required
            placeholder={roles.isPending ? 'Loading roles…' : 'Choose a role'}
            data={(roles.data?.items ?? []).map((r) => ({ value: r.key, label: r.name }))}
            disabled={editing && !hasPermission(me, 'users.edit')}
            {...form.getInputProps('roleKey')}
          />
          {me.business.template === 'studio' && (
            <TextInput
              label="Artist profile"
              description="Link to an artist profile so “own records” include the artist’s appointments and sales."
              {...form.getInputProps('artistId')}
            />
          )}
          {!editing && (
            <PasswordInput
              label="Temporary password"
              description="Leave empty and Steward makes one up. They must change it at first sign-in."
              autoComplete="new-password"
              {...form.getInputProps('temporaryPassword')}
            />
          )}
          {general && (
            <Text c="red" size="sm" role="alert">
              {general}
            </Text>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={props.onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending}>
              {editing ? 'Save' : 'Add user'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
