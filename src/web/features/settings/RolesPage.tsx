import {
  Alert,
  Badge,
  Box,
  Button,
  Grid,
  Group,
  Modal,
  MultiSelect,
  NavLink,
  Paper,
  SegmentedControl,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconLock, IconPlus } from '@tabler/icons-react';
import { useEffect, useMemo, useState } from 'react';
import { Link, useBlocker, useOutletContext, useSearchParams } from 'react-router';
import type { Me } from '../../../shared/contracts/auth.ts';
import type { Role } from '../../../shared/contracts/permissions.ts';
import { AREAS, PERMISSIONS } from '../../../shared/permissions/catalog.ts';
import type { Policy } from '../../../shared/permissions/policy.ts';
import { describeGaps, gapsIn, newGaps, roleGives } from '../../../shared/permissions/requires.ts';
import { ApiError, generalError } from '../../app/api.ts';
import { plural } from '../../app/format.ts';
import { hasPermission } from '../../app/session.ts';
import { ExplainedButton } from '../../components/buttons.tsx';
import { TableBox } from '../../components/DataTable.tsx';
import { ConfirmDialog, FormDialog } from '../../components/dialogs.tsx';
import { EmptyState, ErrorState, TableLoader } from '../../components/states.tsx';
import { useModuleFilter } from './module-filter.tsx';
import { useCreateRole, useDeleteRole, useRoles, useSaveRole } from './users.queries.ts';

type Entry = 'none' | Policy;

/**
 * While `dirty`, leaving asks first: a route change inside the app shows our own question, and
 * closing or reloading the tab the browser's.
 */
function useUnsavedGuard(dirty: boolean) {
  const blocker = useBlocker(
    ({ currentLocation, nextLocation }) =>
      dirty && (currentLocation.pathname !== nextLocation.pathname || currentLocation.search !== nextLocation.search),
  );
  useEffect(() => {
    if (!dirty) return;
    const ask = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', ask);
    return () => window.removeEventListener('beforeunload', ask);
  }, [dirty]);
  return {
    asking: blocker.state === 'blocked',
    stay: () => blocker.reset?.(),
    leave: () => blocker.proceed?.(),
  };
}

function RoleEditor({ role, roles, canEdit }: { role: Role; roles: Role[]; canEdit: boolean }) {
  const [name, setName] = useState(role.name);
  const [description, setDescription] = useState(role.description);
  const [inherits, setInherits] = useState<string[]>(role.inherits);
  const [entries, setEntries] = useState<Record<string, Entry>>(role.entries);
  const [confirmDelete, setConfirmDelete] = useState(false);
  // Hidden rows keep their entries: saving sends every entry, listed or not.
  const modules = useModuleFilter(useOutletContext<Me>());
  useEffect(() => {
    setName(role.name);
    setDescription(role.description);
    setInherits(role.inherits);
    setEntries(role.entries);
  }, [role]);
  const readOnly = !canEdit || role.locked;
  const dirty =
    name !== role.name ||
    description !== role.description ||
    JSON.stringify([...inherits].sort()) !== JSON.stringify([...role.inherits].sort()) ||
    JSON.stringify(
      Object.entries(entries)
        .filter(([, v]) => v !== 'none')
        .sort(),
    ) !== JSON.stringify(Object.entries(role.entries).sort());
  const leaving = useUnsavedGuard(dirty && !readOnly);
  // The rule the server applies (shared/permissions/requires.ts): warn before saving a role that
  // would give a permission without one it needs.
  const gaps = useMemo(() => {
    const was = roleGives(roles, role);
    const will = roleGives(roles, { inherits, entries });
    return newGaps(
      gapsIn((p) => was.has(p)),
      gapsIn((p) => will.has(p)),
    );
  }, [roles, role, inherits, entries]);
  const save = useSaveRole(role.key);
  const saveRole = () =>
    save.mutate(
      {
        name,
        description,
        inherits,
        entries: Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== 'none')),
      },
      {
        onSuccess: (r) =>
          'requestId' in r
            ? notifications.show({ color: 'violet', title: 'Waiting for a second admin', message: r.detail })
            : notifications.show({
                color: 'teal',
                message: `Role ${name} saved. Everyone with it has the new rights now.`,
              }),
      },
    );
  const remove = useDeleteRole(role.key);
  const removeRole = () =>
    remove.mutate(undefined, {
      onSuccess: () => {
        setConfirmDelete(false);
        notifications.show({ color: 'teal', message: `Role ${role.name} removed.` });
      },
    });
  const parentsNote = role.inherits.length
    ? `Also has everything of ${role.inherits.map((k) => roles.find((r) => r.key === k)?.name ?? k).join(', ')}.`
    : null;
  return (
    <Stack>
      {/* Save stays in view while the long list of permissions scrolls under it. */}
      <Box
        pos="sticky"
        top="var(--app-shell-header-height, 56px)"
        bg="white"
        py="xs"
        style={{ zIndex: 3, borderBottom: '1px solid var(--mantine-color-gray-2)' }}
      >
        <Group justify="space-between">
          <div>
            <Group gap="xs">
              <Title order={3} size="h4">
                {role.name}
              </Title>
              {role.builtin && <Badge variant="light">built-in</Badge>}
              {role.locked && (
                <Badge color="gray" leftSection={<IconLock size={10} />}>
                  every permission
                </Badge>
              )}
            </Group>
            <Text size="sm" c="dimmed">
              {plural(role.users, 'active user')}
              {parentsNote ? ` · ${parentsNote}` : ''}
            </Text>
          </div>
          {!readOnly && (
            <Group>
              {!role.builtin && (
                <Button variant="subtle" color="red" onClick={() => setConfirmDelete(true)}>
                  Remove role…
                </Button>
              )}
              <ExplainedButton
                why={
                  !dirty
                    ? 'No changes to save yet.'
                    : name.trim() === ''
                      ? 'Enter a name.'
                      : gaps.length > 0 && `${describeGaps(gaps)}: give the role that too.`
                }
                loading={save.isPending}
                onClick={saveRole}
              >
                Save role
              </ExplainedButton>
            </Group>
          )}
        </Group>
      </Box>
      {role.locked && (
        <Alert color="gray">
          The {role.name} role always holds every permission, so somebody can always run Steward.
        </Alert>
      )}
      {!readOnly && gaps.length > 0 && (
        <Alert color="orange" title="A permission it needs is missing" data-testid="role-gaps">
          {describeGaps(gaps)}. Give the role {gaps.length > 1 ? 'those' : 'that'} too (Allow, Own records or Master
          code), or take the others out.
        </Alert>
      )}
      {save.error && (
        <Alert color="red" role="alert">
          {save.error.message}
        </Alert>
      )}
      <Grid>
        <Grid.Col span={{ base: 12, sm: 6 }}>
          <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} disabled={readOnly} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 6 }}>
          <MultiSelect
            label="Inherits from"
            description="Has everything those roles have, plus its own entries."
            data={roles.filter((r) => r.key !== role.key).map((r) => ({ value: r.key, label: r.name }))}
            value={inherits}
            onChange={setInherits}
            disabled={readOnly}
          />
        </Grid.Col>
        <Grid.Col span={12}>
          <TextInput
            label="Description"
            value={description}
            onChange={(e) => setDescription(e.currentTarget.value)}
            disabled={readOnly}
          />
        </Grid.Col>
      </Grid>
      {modules.toggle}
      <TableBox label="Permissions of the role">
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Permission</Table.Th>
              <Table.Th w={360}>Entry</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {AREAS.map((area) => ({
              area,
              shown: PERMISSIONS.filter((p) => p.area === area.key && modules.visible(p.key)),
            }))
              .filter(({ shown }) => shown.length > 0)
              .flatMap(({ area, shown }) => [
                <Table.Tr key={area.key}>
                  <Table.Td colSpan={2} bg="gray.0">
                    <Text fw={600} size="sm">
                      {area.label}
                      {shown.every((p) => modules.off(p.key)) && (
                        <Text span size="xs" c="dimmed" fw={400}>
                          {' '}
                          · module switched off
                        </Text>
                      )}
                    </Text>
                  </Table.Td>
                </Table.Tr>,
                ...shown.map((p) => (
                  <Table.Tr key={p.key}>
                    <Table.Td>
                      <Text size="sm">{p.label}</Text>
                      <Text size="xs" c="dimmed">
                        {p.key}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <SegmentedControl
                        size="xs"
                        fullWidth
                        aria-label={`${p.label} in role ${role.name}`}
                        disabled={readOnly}
                        value={entries[p.key] ?? 'none'}
                        onChange={(v) => setEntries({ ...entries, [p.key]: v as Entry })}
                        data={[
                          { value: 'none', label: '—' },
                          { value: 'allow', label: 'Allow' },
                          { value: 'own', label: 'Own records' },
                          { value: 'elevated', label: 'Master code' },
                        ]}
                      />
                    </Table.Td>
                  </Table.Tr>
                )),
              ])}
          </Table.Tbody>
        </Table>
      </TableBox>
      <ConfirmDialog
        opened={confirmDelete}
        title={`Remove the role ${role.name}?`}
        confirmLabel="Remove role"
        danger
        loading={remove.isPending}
        error={remove.error instanceof Error ? remove.error.message : null}
        onClose={() => {
          remove.reset();
          setConfirmDelete(false);
        }}
        onConfirm={removeRole}
      >
        <Text size="sm">Only a role nobody has and nothing inherits can be removed. This cannot be undone.</Text>
      </ConfirmDialog>
      <Modal opened={leaving.asking} onClose={leaving.stay} title="Leave with unsaved changes?" centered>
        <Stack>
          <Text size="sm">Your changes to the role {role.name} are not saved. Leaving drops them.</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={leaving.stay} data-autofocus>
              Stay and keep editing
            </Button>
            <Button color="red" onClick={leaving.leave}>
              Leave without saving
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}

function NewRoleDialog({
  roles,
  onClose,
  onCreated,
}: {
  roles: Role[];
  onClose: () => void;
  /** The new role's key, or null when its creation waits for a second admin. */
  onCreated: (key: string | null) => void;
}) {
  const [name, setName] = useState('');
  const [key, setKey] = useState('');
  const [copyFrom, setCopyFrom] = useState<string | null>(null);
  const slug =
    key ||
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '');
  const create = useCreateRole();
  const submit = () =>
    create.mutate(
      { key: slug, name, ...(copyFrom ? { copyFrom } : {}) },
      {
        onSuccess: (role) => {
          if ('requestId' in role) {
            notifications.show({ color: 'violet', title: 'Waiting for a second admin', message: role.detail });
            onCreated(null);
            return;
          }
          notifications.show({ color: 'teal', message: `Role ${role.name} created.` });
          onCreated(role.key);
        },
      },
    );

  const errors = create.error instanceof ApiError ? create.error.fieldErrors() : {};
  return (
    <FormDialog
      title="New role"
      submitLabel="Create role"
      loading={create.isPending}
      disabled={!name.trim() && 'Enter a name.'}
      error={generalError(create.error)}
      onClose={onClose}
      onSubmit={submit}
    >
      <TextInput
        label="Name"
        required
        data-autofocus
        value={name}
        onChange={(e) => setName(e.currentTarget.value)}
        error={errors.name}
      />
      <TextInput
        label="Key"
        description="Used in the API; lower-case letters, digits and dashes."
        placeholder={slug}
        value={key}
        onChange={(e) => setKey(e.currentTarget.value)}
        error={errors.key}
      />
      <Select
        label="Start from"
        placeholder="Nothing (empty role)"
        clearable
        data={roles.map((r) => ({ value: r.key, label: r.name }))}
        value={copyFrom}
        onChange={setCopyFrom}
      />
    </FormDialog>
  );
}

export function RolesPage() {
  const me = useOutletContext<Me>();
  const roles = useRoles();
  const [params, setParams] = useSearchParams();
  const selected = params.get('role');
  const setSelected = (key: string) => setParams({ role: key });
  const [creating, setCreating] = useState(false);
  const canEdit = hasPermission(me, 'users.manage_permissions');
  if (roles.isPending) return <TableLoader />;
  if (roles.isError) return <ErrorState error={roles.error} onRetry={() => roles.refetch()} />;
  const items = roles.data.items;
  const role = items.find((r) => r.key === selected) ?? items[0];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2} size="h3">
          Roles
        </Title>
        {canEdit && (
          <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)}>
            New role
          </Button>
        )}
      </Group>
      <Grid>
        <Grid.Col span={{ base: 12, md: 3 }}>
          <Paper withBorder p="xs">
            {items.map((r) => (
              <NavLink
                key={r.key}
                label={r.name}
                description={`${plural(r.users, 'user')}${r.builtin ? ' · built-in' : ''}`}
                active={r.key === role?.key}
                aria-current={r.key === role?.key ? 'page' : undefined}
                component={Link}
                to={`/settings/roles?role=${encodeURIComponent(r.key)}`}
              />
            ))}
          </Paper>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 9 }}>
          {role ? (
            <RoleEditor key={role.key} role={role} roles={items} canEdit={canEdit} />
          ) : (
            <EmptyState title="No roles yet" />
          )}
        </Grid.Col>
      </Grid>
      {creating && (
        <NewRoleDialog
          roles={items}
          onClose={() => setCreating(false)}
          onCreated={(key) => {
            setCreating(false);
            if (key) setSelected(key);
          }}
        />
      )}
    </Stack>
  );
}
