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
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { IconKey, IconPlus, IconShieldLock } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { useOutletContext } from 'react-router';
import { API_KEY_PREFIX, keyablePermissions } from '../../../shared/api-keys.ts';
import { isPermissionOn } from '../../../shared/business-modules.ts';
import type { Me } from '../../../shared/contracts/auth.ts';
import { SECURITY_LIMITS } from '../../../shared/contracts/bounds.ts';
import { type ApiKey, SecuritySettings } from '../../../shared/contracts/security.ts';
import { PERMISSIONS } from '../../../shared/permissions/catalog.ts';
import { ApiError, generalError } from '../../app/api.ts';
import { endOfDay, formatDateTime } from '../../app/format.ts';
import { hasPermission } from '../../app/session.ts';
import { fieldErrors } from '../../app/validate.ts';
import { ExplainedButton } from '../../components/buttons.tsx';
import { DataTable } from '../../components/DataTable.tsx';
import { ConfirmDialog, FormDialog, SecretDialog } from '../../components/dialogs.tsx';
import { ErrorState, TableLoader } from '../../components/states.tsx';
import {
  useApiKeys,
  useCreateApiKey,
  useMasterCode,
  useRevokeApiKey,
  useRotateMasterCode,
  useSaveSecuritySettings,
  useSecuritySettings,
} from './settings.queries.ts';

function MasterCodeCard() {
  const me = useOutletContext<Me>();
  const status = useMasterCode();
  const [confirm, setConfirm] = useState(false);
  const [code, setCode] = useState<string | null>(null);
  const rotate = useRotateMasterCode();
  const issue = () =>
    rotate.mutate(undefined, {
      onSuccess: (r) => {
        setConfirm(false);
        setCode(r.code);
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
        onConfirm={issue}
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
  const keys = useApiKeys();
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const revoke = useRevokeApiKey();
  const revokeKey = (id: string) =>
    revoke.mutate(id, {
      onSuccess: (k) => {
        setRevoking(null);
        notifications.show({ color: 'teal', message: `Key “${k.name}” revoked; it stopped working.` });
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
        <DataTable
          label="API keys"
          columns={[
            {
              key: 'name',
              header: 'Name',
              sortValue: (k) => k.name.toLowerCase(),
              cell: (k) => (
                <>
                  <Text size="sm" fw={500}>
                    {k.name}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {k.prefix}…
                  </Text>
                </>
              ),
            },
            { key: 'owner', header: 'Owner', sortValue: (k) => k.user.name, cell: (k) => k.user.name },
            {
              key: 'permissions',
              header: 'Permissions',
              cell: (k) => <Text size="xs">{k.permissions.join(', ')}</Text>,
            },
            {
              key: 'lastUsed',
              header: 'Last used',
              sortValue: (k) => k.lastUsedAt ?? '',
              cell: (k) => formatDateTime(k.lastUsedAt, tz),
            },
            {
              key: 'status',
              header: 'Status',
              sortValue: (k) => k.status,
              cell: (k) => (
                <>
                  <Badge color={k.status === 'active' ? 'teal' : 'gray'}>{k.status}</Badge>
                  {k.expiresAt && k.status === 'active' && (
                    <Text size="xs" c="dimmed">
                      until {formatDateTime(k.expiresAt, tz)}
                    </Text>
                  )}
                </>
              ),
            },
            {
              key: 'actions',
              header: <VisuallyHidden>Actions</VisuallyHidden>,
              label: 'Actions',
              cell: (k) =>
                k.status !== 'revoked' && (
                  <Button size="xs" variant="subtle" color="red" onClick={() => setRevoking(k)}>
                    Revoke…
                  </Button>
                ),
            },
          ]}
          rows={keys.data?.items}
          rowKey={(k) => k.id}
          isPending={keys.isPending}
          error={keys.error}
          onRetry={() => keys.refetch()}
          loadingRows={2}
          empty={{ title: 'No API keys', description: 'Create one for an integration such as an accounting export.' }}
        />
      </Stack>
      {creating && (
        <NewKeyDialog
          onClose={() => setCreating(false)}
          onCreated={(key) => {
            setCreating(false);
            setSecret(key);
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
        onConfirm={() => revoking && revokeKey(revoking.id)}
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
  const create = useCreateApiKey();
  const submit = () =>
    create.mutate({ name, permissions, expiresAt: endOfDay(until) }, { onSuccess: (r) => onCreated(r.key) });
  const errors = create.error instanceof ApiError ? create.error.fieldErrors() : {};
  return (
    <FormDialog
      title="New API key"
      size="lg"
      submitLabel="Create key"
      loading={create.isPending}
      disabled={!name.trim() ? 'Give the key a name.' : permissions.length === 0 && 'Choose at least one permission.'}
      error={generalError(create.error)}
      onClose={onClose}
      onSubmit={submit}
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
        data={PERMISSIONS.filter((p) => mine.includes(p.key) && isPermissionOn(p.key, me.business.modules)).map(
          (p) => ({
            value: p.key,
            label: `${p.label} (${p.key})`,
          }),
        )}
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

const NUMBER_FIELDS: [Exclude<keyof typeof SECURITY_LIMITS, 'passwordMinLength'>, string, string][] = [
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
  const canEdit = hasPermission(me, 'settings.edit');
  const settings = useSecuritySettings();
  const form = useForm<SecuritySettings>({ mode: 'controlled' });
  // biome-ignore lint/correctness/useExhaustiveDependencies: the form object is stable; only new data resets it
  useEffect(() => {
    if (settings.data) {
      form.setValues(settings.data);
      form.resetDirty(settings.data);
    }
  }, [settings.data]);
  const save = useSaveSecuritySettings();
  const submit = (v: SecuritySettings) => {
    // The shared schema the server applies: an idle timeout of −5 is shown, not turned into 1.
    const problems = fieldErrors(SecuritySettings, v);
    if (problems) {
      form.setErrors(problems);
      return;
    }
    save.mutate(v, {
      onSuccess: () => notifications.show({ color: 'teal', message: 'Security settings saved.' }),
      onError: (err) => {
        if (err instanceof ApiError) form.setErrors(err.fieldErrors());
      },
    });
  };

  if (settings.isPending) return <TableLoader rows={3} />;
  if (settings.isError) return <ErrorState error={settings.error} onRetry={() => settings.refetch()} />;
  if (!form.values.passwordPolicy) return null;
  return (
    <Card withBorder>
      <form onSubmit={form.onSubmit(submit)}>
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
                clampBehavior="none"
                min={SECURITY_LIMITS[key][0]}
                max={SECURITY_LIMITS[key][1]}
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
              clampBehavior="none"
              allowDecimal={false}
              min={SECURITY_LIMITS.passwordMinLength[0]}
              max={SECURITY_LIMITS.passwordMinLength[1]}
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
          <Switch
            label="Accounts with critical permissions must use two-step sign-in"
            description="Anyone who holds a critical permission (deactivating users, managing permissions, editing settings, restoring backups…) sets up an authenticator app at their next sign-in and cannot turn it off."
            disabled={!canEdit}
            {...form.getInputProps('twoFactorForCritical', { type: 'checkbox' })}
          />
          {save.error && Object.keys(form.errors).length === 0 && (
            <Alert color="red" role="alert">
              {save.error.message}
            </Alert>
          )}
          {canEdit && (
            <Group justify="flex-end">
              <ExplainedButton
                type="submit"
                loading={save.isPending}
                why={!form.isDirty() && 'No changes to save yet.'}
              >
                Save settings
              </ExplainedButton>
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
