import {
  Accordion,
  ActionIcon,
  Alert,
  Badge,
  Button,
  Checkbox,
  Grid,
  Group,
  List,
  Loader,
  NavLink,
  Paper,
  Popover,
  ScrollArea,
  SegmentedControl,
  Select,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle, IconHelpCircle, IconSearch, IconUsers } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import { useOutletContext, useSearchParams } from 'react-router';
import type { Me } from '../../../shared/contracts/auth.ts';
import type { PermissionState } from '../../../shared/contracts/permissions.ts';
import { AREAS, PERMISSIONS } from '../../../shared/permissions/catalog.ts';
import { describeGaps, gapsIn, newGaps } from '../../../shared/permissions/requires.ts';
import { generalError } from '../../app/api.ts';
import { endOfDay, formatDate, formatDateTime, plural } from '../../app/format.ts';
import { hasPermission } from '../../app/session.ts';
import { ExplainedButton } from '../../components/buttons.tsx';
import { FormDialog } from '../../components/dialogs.tsx';
import { EmptyState, ErrorState, TableLoader } from '../../components/states.tsx';
import { useTypedConfirmation } from '../../components/TypedConfirmation.tsx';
import { useModuleFilter } from './module-filter.tsx';
import {
  type Effect,
  useBulkPermissions,
  useDecideRequest,
  useDecideRoleRequest,
  useExplanation,
  usePermissionRequests,
  useRoleRequests,
  useSavePermissions,
  useUserPermissions,
} from './permissions.queries.ts';
import { useRoles, useUsers } from './users.queries.ts';

/** The mark of a permission: green = explicit grant, gray = inherited, red = explicit deny, empty = none. */
function StateMark({ item, roleName }: { item: PermissionState; roleName: (key: string) => string }) {
  if (item.state === 'grant') {
    return (
      <Badge color="green" variant="filled" data-state="grant" w={130} style={{ flexShrink: 0 }}>
        Granted
      </Badge>
    );
  }
  if (item.state === 'deny') {
    return (
      <Badge color="red" variant="filled" data-state="deny" w={130} style={{ flexShrink: 0 }}>
        Denied
      </Badge>
    );
  }
  if (item.state === 'inherited' && item.role) {
    const via = item.role.via.map(roleName);
    const tip =
      via.length > 1
        ? `From role ${roleName(item.role.key)}, inherited through ${via.join(' → ')}`
        : `From role ${roleName(item.role.key)}`;
    return (
      <Tooltip label={tip} withArrow>
        <Badge color="gray" variant="light" data-state="inherited" w={130} style={{ flexShrink: 0 }} tabIndex={0}>
          {roleName(item.role.via[0] ?? item.role.key)}
        </Badge>
      </Tooltip>
    );
  }
  return (
    <Badge color="gray" variant="outline" data-state="none" w={130} style={{ flexShrink: 0, borderStyle: 'dashed' }}>
      Not granted
    </Badge>
  );
}

function Why({ userId, permission }: { userId: string; permission: string }) {
  const [opened, setOpened] = useState(false);
  const explain = useExplanation(userId, permission, opened);
  return (
    <Popover opened={opened} onChange={setOpened} width={340} position="left" withArrow shadow="md">
      <Popover.Target>
        <ActionIcon variant="subtle" color="gray" aria-label="Why?" onClick={() => setOpened((o) => !o)}>
          <IconHelpCircle size={16} />
        </ActionIcon>
      </Popover.Target>
      <Popover.Dropdown>
        {explain.isPending ? (
          <Loader size="xs" />
        ) : explain.isError ? (
          <Text size="sm" c="red">
            {explain.error.message}
          </Text>
        ) : (
          <Stack gap={4} data-testid="explanation">
            <Text size="sm" fw={600}>
              {explain.data.allowed ? 'Allowed' : 'Not allowed'}
            </Text>
            <List size="sm" spacing={2}>
              {explain.data.reasons.map((r) => (
                <List.Item key={r}>{r}</List.Item>
              ))}
            </List>
          </Stack>
        )}
      </Popover.Dropdown>
    </Popover>
  );
}

function PermissionRow(props: {
  item: PermissionState;
  value: Effect;
  changed: boolean;
  canManage: boolean;
  userId: string;
  timeZone: string;
  roleName: (key: string) => string;
  onChange: (e: Effect) => void;
}) {
  const { item } = props;
  const notes: string[] = [];
  if (item.access === 'own') notes.push('own records only');
  // Given by a role or grant but missing what it needs (shared/permissions/requires.ts).
  if (item.access === 'none' && (item.state === 'grant' || item.state === 'inherited')) notes.push(item.summary);
  if (item.access === 'elevation-required' || item.elevatable) notes.push('needs the master code');
  if (item.override?.expiresAt) notes.push(`until ${formatDate(item.override.expiresAt, props.timeZone)}`);
  if (item.expired?.expiresAt)
    notes.push(`${item.expired.effect} expired ${formatDate(item.expired.expiresAt, props.timeZone)}`);
  return (
    <Group
      justify="space-between"
      // On a phone the controls go under the name rather than squeezing it.
      wrap="wrap"
      gap="xs"
      py={6}
      data-permission={item.permission}
      style={{ borderBottom: '1px solid var(--mantine-color-gray-2)' }}
      bg={props.changed ? 'yellow.0' : undefined}
    >
      <Group gap="sm" wrap="nowrap" style={{ minWidth: 0, flex: '1 1 260px' }}>
        <StateMark item={item} roleName={props.roleName} />
        <div style={{ minWidth: 0 }}>
          <Group gap={6}>
            <Text size="sm" fw={500}>
              {item.label}
            </Text>
            {item.risk === 'critical' && (
              <Badge size="xs" color="red" variant="light">
                critical
              </Badge>
            )}
            {item.risk === 'sensitive' && (
              <Badge size="xs" color="orange" variant="light">
                sensitive
              </Badge>
            )}
            {item.pendingRequest && (
              <Badge size="xs" color="violet" variant="light">
                awaiting approval
              </Badge>
            )}
          </Group>
          <Text size="xs" c="dimmed" truncate>
            {item.permission} · {item.description}
            {notes.length > 0 ? ` · ${notes.join(' · ')}` : ''}
          </Text>
        </div>
      </Group>
      <Group gap={4} wrap="nowrap" ml="auto">
        <Why userId={props.userId} permission={item.permission} />
        <SegmentedControl
          size="xs"
          aria-label={`${item.label}: inherit, grant or deny`}
          disabled={!props.canManage}
          value={props.value}
          onChange={(v) => props.onChange(v as Effect)}
          data={[
            { value: 'inherit', label: 'Inherit' },
            { value: 'grant', label: 'Grant' },
            { value: 'deny', label: 'Deny' },
          ]}
        />
      </Group>
    </Group>
  );
}

function SaveDialog(props: {
  changes: [string, Effect][];
  /** Your own email when these changes take permissions away from you (typed confirmation), else null. */
  confirmSelf: string | null;
  opened: boolean;
  loading: boolean;
  error: string | null;
  onClose: () => void;
  onSave: (reason: string, until: string | null) => void;
}) {
  const [reason, setReason] = useState('');
  const [until, setUntil] = useState('');
  const [understood, setUnderstood] = useState(false);
  const critical = props.changes.filter(
    ([p, e]) => e === 'grant' && PERMISSIONS.find((d) => d.key === p)?.risk === 'critical',
  );
  const grants = props.changes.some(([, e]) => e === 'grant');
  const typed = useTypedConfirmation(
    props.confirmSelf,
    'You are taking permissions away from yourself. You may lose access to this page and be unable to give them back; another admin would have to.',
  );
  const blocked =
    reason.trim().length < 3
      ? 'Give a reason of at least 3 characters.'
      : critical.length > 0 && !understood
        ? 'Tick “I understand” above first.'
        : typed.why;
  return (
    <FormDialog
      opened={props.opened}
      title="Save permission changes"
      size="lg"
      submitLabel={`Save ${plural(props.changes.length, 'change')}`}
      loading={props.loading}
      disabled={blocked}
      error={props.error}
      onClose={props.onClose}
      onSubmit={() => props.onSave(reason.trim(), endOfDay(until))}
    >
      <List size="sm">
        {props.changes.map(([p, e]) => (
          <List.Item key={p}>
            <Text span fw={500}>
              {e === 'inherit' ? 'Back to the role' : e === 'grant' ? 'Grant' : 'Deny'}
            </Text>{' '}
            {PERMISSIONS.find((d) => d.key === p)?.label}{' '}
            <Text span c="dimmed">
              ({p})
            </Text>
          </List.Item>
        ))}
      </List>
      {critical.length > 0 && (
        <Alert color="red" icon={<IconAlertTriangle size={16} />} title="Critical permissions">
          <Stack gap="xs">
            <Text size="sm">
              {critical.map(([p]) => PERMISSIONS.find((d) => d.key === p)?.label).join(', ')}{' '}
              {critical.length === 1 ? 'is' : 'are'} critical: whoever holds {critical.length === 1 ? 'it' : 'them'} can
              change who may do what, change the business settings or replace its data. Grant only to people who need
              it.
            </Text>
            <Checkbox
              label="I understand and want to grant it"
              checked={understood}
              onChange={(e) => setUnderstood(e.currentTarget.checked)}
            />
          </Stack>
        </Alert>
      )}
      {typed.field}
      <Textarea
        label="Reason"
        description="Required; recorded in the audit log and shown in “why?”."
        required
        data-autofocus
        autosize
        minRows={2}
        value={reason}
        onChange={(e) => setReason(e.currentTarget.value)}
      />
      {grants && (
        <TextInput
          type="date"
          label="Grant until (optional)"
          description="Grants end at the end of this day; leave empty for no end."
          value={until}
          onChange={(e) => setUntil(e.currentTarget.value)}
        />
      )}
    </FormDialog>
  );
}

function UserPermissionsPanel({ userId }: { userId: string }) {
  const me = useOutletContext<Me>();
  const roles = useRoles();
  const data = useUserPermissions(userId);
  const [changes, setChanges] = useState<Map<string, Effect>>(new Map());
  const [filter, setFilter] = useState('');
  const modules = useModuleFilter(me);
  const [saving, setSaving] = useState(false);
  const canManage = hasPermission(me, 'users.manage_permissions');
  const roleName = (key: string) => roles.data?.items.find((r) => r.key === key)?.name ?? key;

  const save = useSavePermissions(userId, userId === me.user.id);
  const saveChanges = ({ reason, until }: { reason: string; until: string | null }) =>
    save.mutate(
      { changes, reason, until },
      {
        onSuccess: (results) => {
          const pending = results.filter((r) => r.status === 'pending-approval').length;
          const applied = results.filter((r) => r.status === 'applied').length;
          notifications.show({
            color: 'teal',
            title: 'Permissions saved',
            message:
              `${plural(applied, 'change')} applied; they take effect on the user’s next click.` +
              (pending > 0 ? ` ${pending} wait${pending === 1 ? 's' : ''} for a second admin’s approval.` : ''),
          });
          setChanges(new Map());
          setSaving(false);
        },
      },
    );

  const byArea = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const items = (data.data?.items ?? []).filter(
      (i) => modules.visible(i.permission) && (!f || i.permission.includes(f) || i.label.toLowerCase().includes(f)),
    );
    return AREAS.map((a) => ({ area: a, items: items.filter((i) => i.area === a.key) })).filter((g) => g.items.length);
  }, [data.data, filter, modules.visible]);

  // The rule the server applies (shared/permissions/requires.ts), before saving: a grant that
  // would give a permission without one it needs is refused; a deny that leaves some without
  // effect is allowed, and the dependents can be denied too in one click.
  const gaps = useMemo(() => {
    const byKey = new Map((data.data?.items ?? []).map((i) => [i.permission, i]));
    const givenNow = (p: string) => {
      const i = byKey.get(p);
      return i !== undefined && (i.state === 'grant' || i.state === 'inherited');
    };
    const givenAfter = (p: string) => {
      const c = changes.get(p);
      if (c === undefined) return givenNow(p);
      if (c === 'grant') return true;
      if (c === 'deny') return false;
      return byKey.get(p)?.policy != null; // back to the role
    };
    const opened = newGaps(gapsIn(givenNow), gapsIn(givenAfter));
    return {
      refused: opened.filter((g) => changes.get(g.permission) === 'grant'),
      useless: opened.filter((g) => changes.get(g.permission) !== 'grant'),
    };
  }, [data.data, changes]);

  if (data.isPending) return <TableLoader rows={8} />;
  if (data.isError) return <ErrorState error={data.error} onRetry={() => data.refetch()} />;
  const { user } = data.data;
  const denyDependents = () => {
    const next = new Map(changes);
    for (const g of gaps.useless) next.set(g.permission, 'deny');
    setChanges(next);
  };
  const current = (i: PermissionState): Effect => (i.override ? i.override.effect : 'inherit');
  return (
    <Stack>
      <Group justify="space-between" align="flex-end">
        <div>
          <Title order={3} size="h4">
            {user.name}
          </Title>
          <Text size="sm" c="dimmed">
            {user.email} · role {user.role.name}
            {user.active ? '' : ' · deactivated'}
          </Text>
        </div>
        <Group>
          <TextInput
            size="xs"
            placeholder="Filter permissions"
            aria-label="Filter permissions"
            leftSection={<IconSearch size={14} />}
            value={filter}
            onChange={(e) => setFilter(e.currentTarget.value)}
          />
          {canManage && (
            <>
              <Button size="xs" variant="default" disabled={changes.size === 0} onClick={() => setChanges(new Map())}>
                Discard
              </Button>
              <ExplainedButton
                size="xs"
                why={
                  changes.size === 0
                    ? 'Change a permission first.'
                    : gaps.refused.length > 0 && `${describeGaps(gaps.refused)}: grant that too first.`
                }
                onClick={() => setSaving(true)}
              >
                Save{changes.size > 0 ? ` (${changes.size})` : ''}
              </ExplainedButton>
            </>
          )}
        </Group>
      </Group>
      <Group gap="md">
        <Group gap={4}>
          <Badge color="green" size="xs" variant="filled">
            {' '}
          </Badge>
          <Text size="xs">granted to this user</Text>
        </Group>
        <Group gap={4}>
          <Badge color="gray" size="xs" variant="light">
            {' '}
          </Badge>
          <Text size="xs">from their role (hover for which)</Text>
        </Group>
        <Group gap={4}>
          <Badge color="red" size="xs" variant="filled">
            {' '}
          </Badge>
          <Text size="xs">denied to this user</Text>
        </Group>
        <Group gap={4}>
          <Badge color="gray" size="xs" variant="outline" style={{ borderStyle: 'dashed' }}>
            {' '}
          </Badge>
          <Text size="xs">not granted</Text>
        </Group>
        {modules.toggle}
      </Group>
      {gaps.refused.length > 0 && (
        <Alert color="red" icon={<IconAlertTriangle size={16} />} title="A permission it needs is missing">
          {describeGaps(gaps.refused)}, which {user.name} would not hold. Grant that too, or leave the grant out.
        </Alert>
      )}
      {gaps.useless.length > 0 && (
        <Alert color="yellow" icon={<IconAlertTriangle size={16} />} title="Some permissions would stay without effect">
          <Stack gap="xs">
            <Text size="sm">
              {describeGaps(gaps.useless)}. {user.name} would keep{' '}
              {new Set(gaps.useless.map((g) => g.permission)).size > 1 ? 'them' : 'it'} on paper, without effect, until
              that is back.
            </Text>
            <Group>
              <Button size="xs" variant="light" color="yellow" onClick={denyDependents}>
                Deny {gaps.useless.length > 1 ? 'them' : 'it'} too
              </Button>
            </Group>
          </Stack>
        </Alert>
      )}
      {byArea.length === 0 ? (
        <EmptyState title="No permission matches the filter" />
      ) : (
        <Accordion
          multiple
          // Open where the user has something; the rest stay one click away.
          defaultValue={byArea
            .filter(({ items }) => items.some((i) => i.access !== 'none' || i.override || i.expired))
            .map(({ area }) => area.key)}
          variant="separated"
        >
          {byArea.map(({ area, items }) => (
            <Accordion.Item key={area.key} value={area.key}>
              <Accordion.Control>
                <Group gap="xs">
                  <Text fw={600}>{area.label}</Text>
                  <Text size="xs" c="dimmed">
                    {items.filter((i) => i.access !== 'none').length} of {items.length}
                    {items.every((i) => modules.off(i.permission)) && ' · module switched off'}
                  </Text>
                </Group>
              </Accordion.Control>
              <Accordion.Panel>
                {items.map((item) => (
                  <PermissionRow
                    key={item.permission}
                    item={item}
                    userId={userId}
                    timeZone={me.business.timezone}
                    roleName={roleName}
                    canManage={canManage}
                    value={changes.get(item.permission) ?? current(item)}
                    changed={changes.has(item.permission)}
                    onChange={(e) => {
                      const next = new Map(changes);
                      if (e === current(item)) next.delete(item.permission);
                      else next.set(item.permission, e);
                      setChanges(next);
                    }}
                  />
                ))}
              </Accordion.Panel>
            </Accordion.Item>
          ))}
        </Accordion>
      )}
      {saving && (
        <SaveDialog
          opened
          changes={[...changes]}
          confirmSelf={
            userId === me.user.id &&
            [...changes].some(
              ([p, e]) =>
                e === 'deny' ||
                (e === 'inherit' && data.data.items.find((i) => i.permission === p)?.override?.effect === 'grant'),
            )
              ? me.user.email
              : null
          }
          loading={save.isPending}
          error={save.error instanceof Error ? save.error.message : null}
          onClose={() => {
            save.reset();
            setSaving(false);
          }}
          onSave={(reason, until) => saveChanges({ reason, until })}
        />
      )}
    </Stack>
  );
}

function BulkDialog({ userIds, onClose }: { userIds: string[]; onClose: () => void }) {
  const me = useOutletContext<Me>();
  const [permission, setPermission] = useState<string | null>(null);
  const [effect, setEffect] = useState<Effect>('grant');
  const [reason, setReason] = useState('');
  const typed = useTypedConfirmation(
    effect === 'deny' && userIds.includes(me.user.id) ? me.user.email : null,
    'You are among the users selected: this denies the permission to you too, and nobody lifts a deny on themself.',
  );
  const bulk = useBulkPermissions();
  const modules = useModuleFilter(me);
  const apply = () =>
    bulk.mutate(
      { userIds, permission, effect, reason },
      {
        onSuccess: (r) => {
          notifications.show({
            color: 'teal',
            title: 'Permissions saved',
            message: `${r.applied} changed, ${r.unchanged} already so${r.pendingApproval ? `, ${r.pendingApproval} awaiting approval` : ''}.`,
          });
          onClose();
        },
      },
    );

  return (
    <FormDialog
      title={`Change a permission for ${plural(userIds.length, 'user')}`}
      submitLabel={`Apply to ${plural(userIds.length, 'user')}`}
      loading={bulk.isPending}
      disabled={
        !permission
          ? 'Choose a permission.'
          : reason.trim().length < 3
            ? 'Give a reason of at least 3 characters.'
            : typed.why
      }
      error={generalError(bulk.error)}
      onClose={onClose}
      onSubmit={apply}
    >
      <Select
        label="Permission"
        searchable
        required
        data-autofocus
        value={permission}
        onChange={setPermission}
        data={AREAS.map((a) => ({
          group: a.label,
          items: PERMISSIONS.filter((p) => p.area === a.key && modules.visible(p.key)).map((p) => ({
            value: p.key,
            label: `${p.label} (${p.key})`,
          })),
        })).filter((g) => g.items.length > 0)}
      />
      {modules.toggle}
      <SegmentedControl
        value={effect}
        onChange={(v) => setEffect(v as Effect)}
        data={[
          { value: 'grant', label: 'Grant' },
          { value: 'deny', label: 'Deny' },
          { value: 'inherit', label: 'Back to role' },
        ]}
      />
      {typed.field}
      <Textarea
        label="Reason"
        required
        description="Recorded in the audit log."
        value={reason}
        onChange={(e) => setReason(e.currentTarget.value)}
      />
    </FormDialog>
  );
}

function PendingRequests() {
  const me = useOutletContext<Me>();
  const requests = usePermissionRequests();
  const decision = useDecideRequest();
  const decide = (id: string, approve: boolean) =>
    decision.mutate(
      { id, approve },
      {
        onSuccess: () =>
          notifications.show({ color: 'teal', message: approve ? 'Grant approved and applied.' : 'Request rejected.' }),
      },
    );
  const items = requests.data?.items ?? [];
  if (items.length === 0) return null;
  return (
    <Alert color="violet" title={`${plural(items.length, 'critical grant')} awaiting a second admin`}>
      <Stack gap="xs">
        {items.map((r) => (
          <Group key={r.id} justify="space-between">
            <Text size="sm">
              <b>{PERMISSIONS.find((d) => d.key === r.permission)?.label ?? r.permission}</b> for {r.user.name}, asked
              by {r.requestedBy.name} on {formatDateTime(r.requestedAt, me.business.timezone)}: “{r.reason}”
            </Text>
            <Group gap="xs">
              <Button
                size="xs"
                disabled={r.requestedBy.id === me.user.id}
                title={r.requestedBy.id === me.user.id ? 'Another admin must approve your own request' : undefined}
                onClick={() => decide(r.id, true)}
              >
                Approve
              </Button>
              <Button size="xs" variant="default" onClick={() => decide(r.id, false)}>
                Reject
              </Button>
            </Group>
          </Group>
        ))}
      </Stack>
    </Alert>
  );
}

const KIND_TEXT = { assign: 'Give', create: 'Create the role', update: 'Change the role' } as const;

/** Role changes (create, edit, assign) adding a critical permission, waiting for a second admin. */
function PendingRoleRequests() {
  const me = useOutletContext<Me>();
  const requests = useRoleRequests();
  const decision = useDecideRoleRequest();
  const decide = (id: string, approve: boolean) =>
    decision.mutate(
      { id, approve },
      {
        onSuccess: () =>
          notifications.show({
            color: 'teal',
            message: approve ? 'Role change approved and applied.' : 'Role change rejected.',
          }),
      },
    );
  const items = requests.data?.items ?? [];
  if (items.length === 0) return null;
  return (
    <Alert color="violet" title={`${plural(items.length, 'role change')} awaiting a second admin`}>
      <Stack gap="xs">
        {items.map((r) => {
          const mine = r.requestedBy.id === me.user.id;
          const forMe = r.user?.id === me.user.id;
          return (
            <Group key={r.id} justify="space-between" wrap="wrap">
              <Text size="sm" style={{ flex: '1 1 320px' }}>
                {r.kind === 'assign' ? (
                  <>
                    Give <b>{r.user?.name}</b> the role <b>{r.role.name}</b>
                  </>
                ) : (
                  <>
                    {KIND_TEXT[r.kind]} <b>{r.role.name}</b>
                  </>
                )}{' '}
                — adds {r.critical.map((c) => c.label).join(', ')}; asked by {r.requestedBy.name} on{' '}
                {formatDateTime(r.requestedAt, me.business.timezone)}
                {r.reason ? `: “${r.reason}”` : ''}
              </Text>
              <Group gap="xs">
                <ExplainedButton
                  size="xs"
                  why={
                    mine
                      ? 'Another admin must approve your own request.'
                      : forMe && 'Another admin must approve a role given to you.'
                  }
                  loading={decision.isPending && decision.variables?.id === r.id && decision.variables.approve}
                  onClick={() => decide(r.id, true)}
                >
                  Approve
                </ExplainedButton>
                <Button size="xs" variant="default" onClick={() => decide(r.id, false)}>
                  Reject
                </Button>
              </Group>
            </Group>
          );
        })}
        {decision.error && (
          <Text size="sm" c="red" role="alert">
            {decision.error.message}
          </Text>
        )}
      </Stack>
    </Alert>
  );
}

export function PermissionsPage() {
  const me = useOutletContext<Me>();
  const [params, setParams] = useSearchParams();
  const [search, setSearch] = useState('');
  const [selected, setSelected] = useState<string[]>([]);
  const [bulk, setBulk] = useState(false);
  const users = useUsers('', 'active');
  const userId = params.get('user');
  const canManage = hasPermission(me, 'users.manage_permissions');
  const list = (users.data?.items ?? []).filter(
    (u) => !search || `${u.name} ${u.email}`.toLowerCase().includes(search.toLowerCase()),
  );
  return (
    <Stack>
      <Title order={2} size="h3">
        Permissions
      </Title>
      {canManage && <PendingRequests />}
      {canManage && <PendingRoleRequests />}
      <Grid>
        <Grid.Col span={{ base: 12, md: 4 }}>
          <Paper withBorder p="xs">
            <Stack gap="xs">
              <TextInput
                size="xs"
                placeholder="Find a user"
                aria-label="Find a user"
                leftSection={<IconSearch size={14} />}
                value={search}
                onChange={(e) => setSearch(e.currentTarget.value)}
              />
              {canManage && selected.length > 0 && (
                <Button size="xs" leftSection={<IconUsers size={14} />} onClick={() => setBulk(true)}>
                  Change for {selected.length} selected…
                </Button>
              )}
              {users.isPending ? (
                <TableLoader rows={4} />
              ) : users.isError ? (
                <ErrorState error={users.error} onRetry={() => users.refetch()} />
              ) : list.length === 0 ? (
                <EmptyState title="No user found" />
              ) : (
                <ScrollArea.Autosize mah="70vh">
                  {list.map((u) => (
                    <Group key={u.id} gap={4} wrap="nowrap">
                      {canManage && (
                        <Checkbox
                          aria-label={`Select ${u.name}`}
                          checked={selected.includes(u.id)}
                          onChange={(e) =>
                            setSelected(
                              e.currentTarget.checked ? [...selected, u.id] : selected.filter((x) => x !== u.id),
                            )
                          }
                        />
                      )}
                      <NavLink
                        label={u.name}
                        description={`${u.role.name}${u.overrides ? ` · ${u.overrides} custom` : ''}`}
                        active={u.id === userId}
                        onClick={() => setParams({ user: u.id })}
                      />
                    </Group>
                  ))}
                </ScrollArea.Autosize>
              )}
            </Stack>
          </Paper>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 8 }}>
          {userId ? (
            <UserPermissionsPanel key={userId} userId={userId} />
          ) : (
            <EmptyState
              title="Choose a user"
              description="Pick someone on the left to see every permission they have, where it comes from, and to change it."
            />
          )}
        </Grid.Col>
      </Grid>
      {bulk && <BulkDialog userIds={selected} onClose={() => setBulk(false)} />}
    </Stack>
  );
}
