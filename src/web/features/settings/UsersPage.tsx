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
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconDots, IconPlus } from '@tabler/icons-react';
import { useRef, useState } from 'react';
import { useNavigate, useOutletContext } from 'react-router';
import type { Me } from '../../../shared/contracts/auth.ts';
import type { User } from '../../../shared/contracts/users.ts';
import type { Permission } from '../../../shared/permissions/catalog.ts';
import { ApiError } from '../../app/api.ts';
import { formatDateTime } from '../../app/format.ts';
import { hasPermission } from '../../app/session.ts';
import { ExplainedButton } from '../../components/buttons.tsx';
import { DataTable } from '../../components/DataTable.tsx';
import { ConfirmDialog, FormDialog, SecretDialog } from '../../components/dialogs.tsx';
import { FilterBar } from '../../components/FilterBar.tsx';
import { useTypedConfirmation } from '../../components/TypedConfirmation.tsx';
import { type UserValues, useRoles, useSaveUser, useUserAction, useUsers } from './users.queries.ts';

type Action = { kind: 'deactivate' | 'reactivate' | 'reset' | 'signout' | 'two-factor'; user: User } | null;

export function UsersPage() {
  const me = useOutletContext<Me>();
  const navigate = useNavigate();
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search, 200);
  const [status, setStatus] = useState<'all' | 'active' | 'inactive'>('active');
  const users = useUsers(q, status);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<User | null>(null);
  const [action, setAction] = useState<Action>(null);
  const [secret, setSecret] = useState<{ title: string; value: string; who: string } | null>(null);
  const shownSecret = useRef(secret);
  if (secret) shownSecret.current = secret;
  const act = useUserAction();
  const runAction = (a: NonNullable<Action>, reason: string) =>
    act.mutate(
      { kind: a.kind, userId: a.user.id, reason },
      {
        onSuccess: (temporaryPassword) => {
          setAction(null);
          if (a.kind === 'reset') {
            setSecret({ title: 'Temporary password', value: temporaryPassword ?? '', who: a.user.name });
          } else {
            const done = {
              deactivate: `${a.user.name} was deactivated.`,
              reactivate: `${a.user.name} was reactivated.`,
              signout: `${a.user.name} was signed out everywhere.`,
              'two-factor': `${a.user.name}’s two-step sign-in was reset.`,
            }[a.kind];
            notifications.show({ color: 'teal', message: done });
          }
        },
      },
    );

  const can = (p: Permission) => hasPermission(me, p);
  /** Whether the actions menu below would hold anything for this user. */
  const actionsFor = (u: User) =>
    can('users.edit') ||
    can('settings.permissions') ||
    (can('users.reset_password') && u.active) ||
    (can('users.delete') && u.id !== me.user.id);
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
      <FilterBar
        label="Filter users"
        search={{
          value: search,
          onChange: setSearch,
          placeholder: 'Search by name or email',
          label: 'Search users',
          width: 320,
        }}
        onClear={
          search || status !== 'active'
            ? () => {
                setSearch('');
                setStatus('active');
              }
            : null
        }
      >
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
      </FilterBar>
      <DataTable
        label="Users"
        columns={[
          {
            key: 'name',
            header: 'Name',
            sortValue: (u) => u.name.toLowerCase(),
            cell: (u) => (
              <>
                <Text fw={500}>{u.name}</Text>
                <Text size="xs" c="dimmed">
                  {u.email}
                </Text>
              </>
            ),
          },
          { key: 'role', header: 'Role', sortValue: (u) => u.role.name, cell: (u) => u.role.name },
          {
            key: 'status',
            header: 'Status',
            cell: (u) => (
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
            ),
          },
          {
            key: 'lastLogin',
            header: 'Last sign-in',
            sortValue: (u) => u.lastLoginAt ?? '',
            cell: (u) => formatDateTime(u.lastLoginAt, me.business.timezone),
          },
          {
            key: 'actions',
            header: <VisuallyHidden>Actions</VisuallyHidden>,
            label: 'Actions',
            width: 48,
            stopRowClick: true,
            // A menu with nothing in it is not shown.
            cell: (u) =>
              actionsFor(u) && (
                <Menu position="bottom-end" withinPortal>
                  <Menu.Target>
                    <ActionIcon variant="subtle" color="gray" aria-label={`Actions for ${u.name}`}>
                      <IconDots size={16} />
                    </ActionIcon>
                  </Menu.Target>
                  <Menu.Dropdown>
                    {can('users.edit') && <Menu.Item onClick={() => setEditing(u)}>Edit…</Menu.Item>}
                    {can('settings.permissions') && (
                      <Menu.Item onClick={() => navigate(`/settings/permissions?user=${u.id}`)}>Permissions</Menu.Item>
                    )}
                    {can('users.reset_password') && u.active && (
                      <Menu.Item onClick={() => setAction({ kind: 'reset', user: u })}>Reset password…</Menu.Item>
                    )}
                    {can('users.reset_password') && u.active && u.id !== me.user.id && (
                      <Menu.Item onClick={() => setAction({ kind: 'two-factor', user: u })}>
                        Reset two-step sign-in…
                      </Menu.Item>
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
              ),
          },
        ]}
        rows={users.data?.items}
        rowKey={(u) => u.id}
        rowAttributes={(u) => ({ 'data-user': u.email })}
        onRowActivate={can('users.edit') ? setEditing : undefined}
        isPending={users.isPending}
        error={users.error}
        onRetry={() => users.refetch()}
        empty={{
          title: q ? 'No user matches that search' : 'No users here',
          description: q ? 'Try another name or email.' : 'Users you add appear here.',
        }}
        tableProps={{ striped: true, verticalSpacing: 'sm' }}
      />
      {creating && (
        <UserFormModal
          onClose={() => setCreating(false)}
          onSaved={(user, temporaryPassword) => {
            setCreating(false);
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
            notifications.show({ color: 'teal', message: `${user.name} was saved.` });
          }}
        />
      )}
      {action?.kind === 'signout' && action.user.id === me.user.id && (
        <SignOutSelfDialog
          email={me.user.email}
          loading={act.isPending}
          error={act.error instanceof Error ? act.error.message : null}
          onClose={() => {
            act.reset();
            setAction(null);
          }}
          onConfirm={() => runAction(action, '')}
        />
      )}
      {action && !(action.kind === 'signout' && action.user.id === me.user.id) && (
        <ConfirmDialog
          opened
          title={
            {
              deactivate: `Deactivate ${action.user.name}?`,
              reactivate: `Reactivate ${action.user.name}?`,
              reset: `Reset ${action.user.name}’s password?`,
              signout: `Sign ${action.user.name} out everywhere?`,
              'two-factor': `Reset ${action.user.name}’s two-step sign-in?`,
            }[action.kind]
          }
          confirmLabel={
            {
              deactivate: 'Deactivate',
              reactivate: 'Reactivate',
              reset: 'Reset password',
              signout: 'Sign out',
              'two-factor': 'Reset two-step sign-in',
            }[action.kind]
          }
          danger={action.kind === 'deactivate'}
          reasonLabel={action.kind === 'deactivate' || action.kind === 'reactivate' ? 'Reason' : undefined}
          loading={act.isPending}
          error={act.error instanceof Error ? act.error.message : null}
          onClose={() => {
            act.reset();
            setAction(null);
          }}
          onConfirm={(reason) => runAction(action, reason)}
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
                'two-factor':
                  'For a lost phone: their authenticator app and recovery codes stop working. They sign in with their password alone, and set up a new app at once if their role requires it.',
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

/** Signing yourself out everywhere ends this session too: typed confirmation first. */
function SignOutSelfDialog(props: {
  email: string;
  loading: boolean;
  error: string | null;
  onClose: () => void;
  onConfirm: () => void;
}) {
  const typed = useTypedConfirmation(
    props.email,
    'Every session of yours ends now, this one included: you will have to sign in again.',
  );
  return (
    <FormDialog
      title="Sign yourself out everywhere?"
      submitLabel="Sign me out everywhere"
      danger
      loading={props.loading}
      error={props.error}
      disabled={typed.why}
      onClose={props.onClose}
      onSubmit={props.onConfirm}
    >
      {typed.field}
    </FormDialog>
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
      temporaryPassword: '',
    },
    validate: {
      name: (v) => (v.trim() ? null : 'Enter a name.'),
      email: (v) => (/^\S+@\S+\.\S+$/.test(v.trim()) ? null : 'Enter a valid email address.'),
      roleKey: (v) => (v ? null : 'Choose a role.'),
    },
  });
  const save = useSaveUser(props.user);
  const self = props.user !== undefined && props.user.id === me.user.id;
  const roleChanged = self && form.values.roleKey !== props.user?.role.key;
  const newRole = roles.data?.items.find((r) => r.key === form.values.roleKey)?.name ?? form.values.roleKey;
  const typed = useTypedConfirmation(
    roleChanged ? me.user.email : null,
    `You are changing your own role to ${newRole}. You keep only what ${newRole} gives: you may lose access to this page and be unable to change it back yourself.`,
  );
  const submit = (v: UserValues) => {
    if (!typed.confirmed) return;
    save.mutate(v, {
      onSuccess: (r) => {
        if (r.pending) {
          notifications.show({ color: 'violet', title: 'Waiting for a second admin', message: r.pending.detail });
        }
        props.onSaved(r.user, r.temporaryPassword || undefined);
      },
      onError: (err) => {
        if (err instanceof ApiError) form.setErrors(err.fieldErrors());
      },
    });
  };

  const fieldErrors = save.error instanceof ApiError ? save.error.fieldErrors() : {};
  const general = save.error && Object.keys(fieldErrors).length === 0 ? save.error.message : null;
  return (
    <Modal opened onClose={props.onClose} title={editing ? `Edit ${props.user?.name}` : 'Add a user'} centered>
      <form onSubmit={form.onSubmit(submit)} noValidate>
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
          {!editing && (
            <PasswordInput
              label="Temporary password"
              description="Leave empty and Steward makes one up. They must change it at first sign-in."
              autoComplete="new-password"
              {...form.getInputProps('temporaryPassword')}
            />
          )}
          {typed.field}
          {general && (
            <Text c="red" size="sm" role="alert">
              {general}
            </Text>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={props.onClose}>
              Cancel
            </Button>
            <ExplainedButton type="submit" loading={save.isPending} why={typed.why}>
              {editing ? 'Save' : 'Add user'}
            </ExplainedButton>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
