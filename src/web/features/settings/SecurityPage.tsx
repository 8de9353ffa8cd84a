import {
  Alert,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  MultiSelect,
  NumberInput,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { IconKey, IconPlus, IconShieldLock } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useOutletContext } from 'react-router';
import { API_KEY_PREFIX, keyablePermissions } from '../../../shared/api-keys.ts';
import type { Me } from '../../../shared/contracts/auth.ts';
import type { ApiKey, MasterCodeStatus, SecuritySettings } from '../../../shared/contracts/security.ts';
import { PERMISSIONS } from '../../../shared/permissions/catalog.ts';
import { ApiError, api, generalError } from '../../app/api.ts';
import { endOfDay, formatDateTime } from '../../app/format.ts';
import { hasPermission } from '../../app/session.ts';
import { ConfirmDialog, FormDialog, SecretDialog } from '../../components/dialogs.tsx';
import { EmptyState, ErrorState, TableLoader } from '../../components/states.tsx';

function MasterCodeCard() {
  const me = useOutletContext<Me>();
  const queryClient = useQueryClient();
  const status = useQuery({
    queryKey: ['master-code'],
    queryFn: () => api.get<MasterCodeStatus>('/api/v1/security/master-code'),
  });
  const [confirm, setConfirm] = useState(false);
  const [code, setCode] = useState<string | null>(null);
  const rotate = useMutation({
    mutationFn: () => api.post<{ code: string; status: MasterCodeStatus }>('/api/v1/security/master-code/rotate'),
    onSuccess: (r) => {
      setConfirm(false);
      setCode(r.code);
      queryClient.setQueryData(['master-code'], r.status);
    },
  });
  return (
    <Card withBorder>
      <Stack>
        <Group gap="xs">
          <IconShieldLock size={20} />
          <Title order={3} size="h4">
            Master code
          </Title>
        </Group>
        <Text size="sm" c="dimmed">
          Staff whose role marks an action “master code” unlock it for{' '}
          {me.business.template === 'studio' ? 'a few' : 'some'} minutes by entering this code. Only its hash is stored.
        </Text>
        {status.isPending ? (
          <TableLoader rows={1} />
        ) : status.isError ? (
          <ErrorState error={status.error} onRetry={() => status.refetch()} />
        ) : (
          <>
            {status.data.problem ? (
              <Alert color={status.data.disabledAt ? 'red' : 'yellow'} role="status">
                {status.data.problem}
              </Alert>
            ) : (
              <Text size="sm">
                Set on {formatDateTime(status.data.rotatedAt, me.business.timezone)}
                {status.data.rotatedBy ? ` by ${status.data.rotatedBy}` : ''}. Wrong entries in a row:{' '}
                {status.data.failures} of {status.data.maxFailures} before it is disabled.
              </Text>
            )}
            <Group>
              <Button onClick={() => setConfirm(true)}>
                {status.data.set ? 'Rotate the code…' : 'Set a master code'}
              </Button>
            </Group>
          </>
        )}
      </Stack>
      <ConfirmDialog
        opened={confirm}
        title="Issue a new master code?"
        confirmLabel="Issue new code"
        loading={rotate.isPending}
        onClose={() => setConfirm(false)}
        onConfirm={() => rotate.mutate()}
      >
        <Text size="sm">
          The current code stops working at once, and anyone unlocked with it is locked again. You will see the new code
          once.
        </Text>
      </ConfirmDialog>
      <SecretDialog title="New master code" secret={code} onClose={() => setCode(null)}>
        Tell the staff who need it in person. It replaces the old code from now on.
      </SecretDialog>
    </Card>
  );
}

function ApiKeysCard() {
  const me = useOutletContext<Me>();
  const queryClient = useQueryClient();
  const keys = useQuery({ queryKey: ['api-keys'], queryFn: () => api.get<{ items: ApiKey[] }>('/api/v1/api-keys') });
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const revoke = useMutation({
    meta: { silent: true },
    mutationFn: (id: string) => api.delete<ApiKey>(`/api/v1/api-keys/${id}`),
    onSuccess: (k) => {
      setRevoking(null);
      notifications.show({ color: 'teal', message: `Key “${k.name}” revoked; it stopped working.` });
      void queryClient.invalidateQueries({ queryKey: ['api-keys'] });
    },
  });
  const tz = me.business.timezone;
  return (
    <Card withBorder>
      <Stack>
        <Group justify="space-between">
          <Group gap="xs">
            <IconKey size={20} />
            <Title order={3} size="h4">
              API keys
            </Title>
          </Group>
          <Button size="xs" leftSection={<IconPlus size={14} />} onClick={() => setCreating(true)}>
            New key
          </Button>
        </Group>
        <Text size="sm" c="dimmed">
          For other programs: send the key (<code>{API_KEY_PREFIX}…</code>) as <code>Authorization: Bearer …</code>. A
          key can do only what it was given and what its owner may still do, and never unlocks master-code actions.
        </Text>
        {keys.isPending ? (
          <TableLoader rows={2} />
        ) : keys.isError ? (
          <ErrorState error={keys.error} onRetry={() => keys.refetch()} />
        ) : keys.data.items.length === 0 ? (
          <EmptyState title="No API keys" description="Create one for an integration such as an accounting export." />
        ) : (
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Owner</Table.Th>
                <Table.Th>Permissions</Table.Th>
                <Table.Th>Last used</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {keys.data.items.map((k) => (
                <Table.Tr key={k.id}>
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {k.name}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {k.prefix}…
                    </Text>
                  </Table.Td>
                  <Table.Td>{k.user.name}</Table.Td>
                  <Table.Td>
                    <Text size="xs">{k.permissions.join(', ')}</Text>
                  </Table.Td>
                  <Table.Td>{formatDateTime(k.lastUsedAt, tz)}</Table.Td>
                  <Table.Td>
                    <Badge color={k.status === 'active' ? 'teal' : 'gray'}>{k.status}</Badge>
                    {k.expiresAt && k.status === 'active' && (
                      <Text size="xs" c="dimmed">
                        until {formatDateTime(k.expiresAt, tz)}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    {k.status !== 'revoked' && (
                      <Button size="xs" variant="subtle" color="red" onClick={() => setRevoking(k)}>
                        Revoke…
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
      {creating && (
        <NewKeyDialog
          onClose={() => setCreating(false)}
          onCreated={(key) => {
            setCreating(false);
            setSecret(key);
            void queryClient.invalidateQueries({ queryKey: ['api-keys'] });
          }}
        />
      )}
      <ConfirmDialog
        opened={revoking !== null}
        title={`Revoke “${revoking?.name}”?`}
        confirmLabel="Revoke key"
        danger
        loading={revoke.isPending}
        error={revoke.error instanceof Error ? revoke.error.message : null}
        onClose={() => setRevoking(null)}
        onConfirm={() => revoking && revoke.mutate(revoking.id)}
      >
        <Text size="sm">Programs using this key are refused from now on. This cannot be undone.</Text>
      </ConfirmDialog>
      <SecretDialog title="Your new API key" secret={secret} onClose={() => setSecret(null)}>
        Paste it into the program that needs it. Keep it like a password.
      </SecretDialog>
    </Card>
  );
}

function NewKeyDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (key: string) => void }) {
  const me = useOutletContext<Me>();
  const mine = keyablePermissions(me.permissions);
  const [name, setName] = useState('');
  const [permissions, setPermissions] = useState<string[]>([]);
  const [until, setUntil] = useState('');
  const create = useMutation({
    meta: { silent: true },
    mutationFn: () => api.post<{ key: string }>('/api/v1/api-keys', { name, permissions, expiresAt: endOfDay(until) }),
    onSuccess: (r) => onCreated(r.key),
  });
  const errors = create.error instanceof ApiError ? create.error.fieldErrors() : {};
  return (
    <FormDialog
      title="New API key"
      size="lg"
      submitLabel="Create key"
      loading={create.isPending}
      disabled={!name.trim() || permissions.length === 0}
      error={generalError(create.error)}
      onClose={onClose}
      onSubmit={() => create.mutate()}
    >
      <TextInput
        label="Name"
        required
        data-autofocus
        placeholder="e.g. Accounting export"
        value={name}
        onChange={(e) => setName(e.currentTarget.value)}
        error={errors.name}
      />
      <MultiSelect
        label="Permissions"
        description="Only permissions you hold yourself (without the master code)."
        searchable
        required
        data={PERMISSIONS.filter((p) => mine.includes(p.key)).map((p) => ({
          value: p.key,
          label: `${p.label} (${p.key})`,
        }))}
        value={permissions}
        onChange={setPermissions}
        error={errors.permissions}
      />
      <TextInput
        type="date"
        label="Expires (optional)"
        value={until}
        onChange={(e) => setUntil(e.currentTarget.value)}
        error={errors.expiresAt}
      />
    </FormDialog>
  );
}

const NUMBER_FIELDS: [keyof SecuritySettings, string, string][] = [
  ['sessionIdleMinutes', 'Idle timeout (minutes)', 'A session unused this long ends.'],
  ['sessionAbsoluteHours', 'Session length (hours)', 'Every session ends this long after sign-in.'],
  ['elevationMinutes', 'Master code unlock (minutes)', 'Not extended by activity.'],
  ['loginMaxFailures', 'Failed sign-ins before an account locks', ''],
  ['loginLockMinutes', 'Lock time (minutes)', 'Also the window in which failures are counted.'],
  ['loginAddressMaxFailures', 'Failed sign-ins from one address before it is throttled', ''],
  ['elevationMaxFailuresPerUser', 'Wrong master codes per user before a pause', ''],
  ['elevationMaxFailuresPerAddress', 'Wrong master codes per address before a pause', ''],
  ['masterCodeMaxFailures', 'Wrong master codes in a row before the code is disabled', ''],
];

function SettingsCard() {
  const me = useOutletContext<Me>();
  const queryClient = useQueryClient();
  const canEdit = hasPermission(me, 'settings.edit');
  const settings = useQuery({
    queryKey: ['security-settings'],
    queryFn: () => api.get<SecuritySettings>('/api/v1/settings/security'),
  });
  const form = useForm<SecuritySettings>({ mode: 'controlled' });
  // biome-ignore lint/correctness/useExhaustiveDependencies: the form object is stable; only new data resets it
  useEffect(() => {
    if (settings.data) {
      form.setValues(settings.data);
      form.resetDirty(settings.data);
    }
  }, [settings.data]);
  const save = useMutation({
    meta: { silent: true },
    mutationFn: (v: SecuritySettings) => api.put<SecuritySettings>('/api/v1/settings/security', v),
    onSuccess: (v) => {
      queryClient.setQueryData(['security-settings'], v);
      notifications.show({ color: 'teal', message: 'Security settings saved.' });
    },
    onError: (err) => {
      if (err instanceof ApiError) form.setErrors(err.fieldErrors());
    },
  });
  if (settings.isPending) return <TableLoader rows={3} />;
  if (settings.isError) return <ErrorState error={settings.error} onRetry={() => settings.refetch()} />;
  if (!form.values.passwordPolicy) return null;
  return (
    <Card withBorder>
      <form onSubmit={form.onSubmit((v) => save.mutate(v))}>
        <Stack>
          <Title order={3} size="h4">
            Sign-in and sessions
          </Title>
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            {NUMBER_FIELDS.map(([key, label, description]) => (
              <NumberInput
                key={key}
                label={label}
                description={description || undefined}
                disabled={!canEdit}
                allowDecimal={false}
                min={1}
                {...form.getInputProps(key)}
              />
            ))}
          </SimpleGrid>
          <Title order={4} size="h5">
            Passwords
          </Title>
          <Group>
            <NumberInput
              label="Minimum length"
              min={8}
              max={64}
              disabled={!canEdit}
              w={160}
              {...form.getInputProps('passwordPolicy.minLength')}
            />
            <Checkbox
              label="An upper-case letter"
              disabled={!canEdit}
              {...form.getInputProps('passwordPolicy.requireUpper', { type: 'checkbox' })}
            />
            <Checkbox
              label="A lower-case letter"
              disabled={!canEdit}
              {...form.getInputProps('passwordPolicy.requireLower', { type: 'checkbox' })}
            />
            <Checkbox
              label="A digit"
              disabled={!canEdit}
              {...form.getInputProps('passwordPolicy.requireDigit', { type: 'checkbox' })}
            />
          </Group>
          <Switch
            label="Critical permissions need a second admin’s approval"
            description="Granting backup.restore, users.delete, migration.execute, settings.edit or users.manage_permissions waits until another admin approves."
            disabled={!canEdit}
            {...form.getInputProps('criticalGrantsNeedApproval', { type: 'checkbox' })}
          />
          {save.error && Object.keys(form.errors).length === 0 && (
            <Alert color="red" role="alert">
              {save.error.message}
            </Alert>
          )}
          {canEdit && (
            <Group justify="flex-end">
              <Button type="submit" loading={save.isPending} disabled={!form.isDirty()}>
                Save settings
              </Button>
            </Group>
          )}
        </Stack>
      </form>
    </Card>
  );
}

export function SecurityPage() {
  const me = useOutletContext<Me>();
  return (
    <Stack>
      <Title order={2} size="h3">
        Security
      </Title>
      {hasPermission(me, 'security.rotate_code') && <MasterCodeCard />}
      {hasPermission(me, 'security.api_keys') && <ApiKeysCard />}
      {hasPermission(me, 'settings.view') && <SettingsCard />}
    </Stack>
  );
}
