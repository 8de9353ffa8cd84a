import {
  Alert,
  Badge,
  Button,
  Grid,
  Group,
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
import { useEffect, useState } from 'react';
import { useOutletContext } from 'react-router';
import type { Me } from '../../../shared/contracts/auth.ts';
import type { Role } from '../../../shared/contracts/permissions.ts';
import { AREAS, PERMISSIONS } from '../../../shared/permissions/catalog.ts';
import type { Policy } from '../../../shared/permissions/policy.ts';
import { ApiError, generalError } from '../../app/api.ts';
import { hasPermission } from '../../app/session.ts';
import { ConfirmDialog, FormDialog } from '../../components/dialogs.tsx';
import { EmptyState, ErrorState, TableLoader } from '../../components/states.tsx';
import { useCreateRole, useDeleteRole, useRoles, useSaveRole } from './users.queries.ts';

type Entry = 'none' | Policy;

function RoleEditor({ role, roles, canEdit }: { role: Role; roles: Role[]; canEdit: boolean }) {
  const [name, setName] = useState(role.name);
  const [description, setDescription] = useState(role.description);
  const [inherits, setInherits] = useState<string[]>(role.inherits);
  const [entries, setEntries] = useState<Record<string, Entry>>(role.entries);
  const [confirmDelete, setConfirmDelete] = useState(false);
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
        onSuccess: () =>
          notifications.show({
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
            {role.users} active user{role.users === 1 ? '' : 's'}
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
            <Button disabled={!dirty || name.trim() === ''} loading={save.isPending} onClick={saveRole}>
              Save role
            </Button>
          </Group>
        )}
      </Group>
      {role.locked && (
        <Alert color="gray">
          The {role.name} role always holds every permission, so somebody can always run Steward.
        </Alert>
      )}
      {save.error && (
        <Alert color="red" role="alert">
          {save.error.message}
        </Alert>
      )}
      <Grid>
        <Grid.Col span={6}>
          <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} disabled={readOnly} />
        </Grid.Col>
        <Grid.Col span={6}>
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
      <Table>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Permission</Table.Th>
            <Table.Th w={360}>Entry</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {AREAS.flatMap((area) => [
            <Table.Tr key={area.key}>
              <Table.Td colSpan={2} bg="gray.0">
                <Text fw={600} size="sm">
                  {area.label}
                </Text>
              </Table.Td>
            </Table.Tr>,
            ...PERMISSIONS.filter((p) => p.area === area.key).map((p) => (
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
  onCreated: (key: string) => void;
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
      disabled={!name.trim()}
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
  const [selected, setSelected] = useState<string | null>(null);
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
                description={`${r.users} user${r.users === 1 ? '' : 's'}${r.builtin ? ' · built-in' : ''}`}
                active={r.key === role?.key}
                onClick={() => setSelected(r.key)}
              />
            ))}
          </Paper>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 9 }}>
          {role ? <RoleEditor role={role} roles={items} canEdit={canEdit} /> : <EmptyState title="No roles yet" />}
        </Grid.Col>
      </Grid>
      {creating && (
        <NewRoleDialog
          roles={items}
          onClose={() => setCreating(false)}
          onCreated={(key) => {
            setCreating(false);
            setSelected(key);
          }}
        />
      )}
    </Stack>
  );
}
