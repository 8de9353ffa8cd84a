import {
  Alert,
  Badge,
  Button,
  Code,
  Collapse,
  Group,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  TextInput,
  Title,
  UnstyledButton,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconDownload, IconShieldCheck, IconShieldX } from '@tabler/icons-react';
import { useState } from 'react';
import { useOutletContext } from 'react-router';
import { actorName, auditSentence } from '../../../shared/audit-sentences.ts';
import type { AuditEvent } from '../../../shared/contracts/audit.ts';
import type { Me } from '../../../shared/contracts/auth.ts';
import { formatDateTime, plural } from '../../app/format.ts';
import { hasPermission } from '../../app/session.ts';
import { usePageTitle } from '../../app/title.ts';
import { DataTable } from '../../components/DataTable.tsx';
import { FilterBar } from '../../components/FilterBar.tsx';
import { ErrorState, isDeniedOrMissing } from '../../components/states.tsx';
import { useUsers } from '../settings/users.queries.ts';
import { useAuditEvents, useVerifyAudit } from './audit.queries.ts';

const AREAS = [
  ['auth', 'Sign-in and sessions'],
  ['users', 'Users'],
  ['permissions', 'Permissions'],
  ['roles', 'Roles'],
  ['security', 'Master code and API keys'],
  ['settings', 'Settings'],
  ['audit', 'Audit log'],
  ['setup', 'Setup'],
] as const;

type Filters = {
  user: string | null;
  area: string | null;
  action: string;
  targetType: string;
  targetId: string;
  from: string;
  to: string;
  elevated: boolean;
  failures: boolean;
};

const EMPTY: Filters = {
  user: null,
  area: null,
  action: '',
  targetType: '',
  targetId: '',
  from: '',
  to: '',
  elevated: false,
  failures: false,
};

/** The query string for the list and the export (dates are whole days in the browser's zone). */
function toQuery(f: Filters): URLSearchParams {
  const q = new URLSearchParams();
  if (f.user) q.set('user', f.user);
  if (f.area) q.set('area', f.area);
  if (f.action.trim()) q.set('action', f.action.trim());
  if (f.targetType.trim()) q.set('targetType', f.targetType.trim());
  if (f.targetId.trim()) q.set('targetId', f.targetId.trim());
  if (f.from) q.set('from', new Date(`${f.from}T00:00:00`).toISOString());
  if (f.to) q.set('to', new Date(new Date(`${f.to}T00:00:00`).getTime() + 86_400_000).toISOString());
  if (f.elevated) q.set('elevated', 'true');
  if (f.failures) q.set('failures', 'true');
  return q;
}

function json(value: unknown): string {
  return value === null || value === undefined ? '—' : JSON.stringify(value, null, 2);
}

/** The raw actor behind a name: the recorded label and user id (shown on hover). */
function rawActor(e: AuditEvent): string {
  return [e.actor.label, e.actor.userId && `user ${e.actor.userId}`].filter(Boolean).join(' · ') || 'no user';
}

function EventDetails({ e }: { e: AuditEvent }) {
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }} p="sm">
      <Text size="xs" style={{ wordBreak: 'break-all' }}>
        Action <Code>{e.action}</Code> · {e.outcome}
      </Text>
      <Text size="xs" style={{ wordBreak: 'break-all' }}>
        By {rawActor(e)}
        {e.target ? ` · on ${e.target.type} ${e.target.id ?? '—'}${e.target.name ? ` (${e.target.name})` : ''}` : ''}
      </Text>
      <div>
        <Text size="xs" fw={600}>
          Before
        </Text>
        <Code block>{json(e.before)}</Code>
      </div>
      <div>
        <Text size="xs" fw={600}>
          After
        </Text>
        <Code block>{json(e.after)}</Code>
      </div>
      <Text size="xs" c="dimmed">
        Request {e.requestId ?? '—'} · address {e.ip ?? '—'} · {e.userAgent ?? 'no user agent'}
      </Text>
      <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
        Event {e.seq} · hash {e.hash}
      </Text>
    </SimpleGrid>
  );
}

export function AuditPage() {
  const me = useOutletContext<Me>();
  const tz = me.business.timezone;
  usePageTitle('Audit log');
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [debounced] = useDebouncedValue(filters, 250);
  const [more, setMore] = useState(false);
  const [open, setOpen] = useState<number | null>(null);
  const query = toQuery(debounced);
  const users = useUsers('', 'all', hasPermission(me, 'users.view'));
  const events = useAuditEvents(query);
  const verify = useVerifyAudit();
  const set = <K extends keyof Filters>(k: K, v: Filters[K]) => setFilters((f) => ({ ...f, [k]: v }));
  const exportUrl = (format: 'csv' | 'json') =>
    `/api/v1/audit/export?${new URLSearchParams([...query, ['format', format]])}`;

  // Someone who may not read the log sees that, and none of the log's tools.
  if (isDeniedOrMissing(events.error)) {
    return (
      <Stack>
        <Title order={1} size="h2">
          Audit log
        </Title>
        <ErrorState error={events.error} />
      </Stack>
    );
  }
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          Audit log
        </Title>
        <Group>
          <Button
            variant="default"
            leftSection={<IconShieldCheck size={16} />}
            loading={verify.isPending}
            onClick={() => verify.mutate()}
          >
            Verify the chain
          </Button>
          <Button component="a" href={exportUrl('csv')} variant="default" leftSection={<IconDownload size={16} />}>
            CSV
          </Button>
          <Button component="a" href={exportUrl('json')} variant="default" leftSection={<IconDownload size={16} />}>
            JSON
          </Button>
        </Group>
      </Group>
      {verify.data &&
        (verify.data.ok ? (
          <Alert color="teal" icon={<IconShieldCheck size={18} />} title="The audit log verifies" role="status">
            {verify.data.events === 1 ? 'The only event is' : `All ${plural(verify.data.events, 'event')} are`} intact
            and in order
            {verify.data.checkpoint
              ? `, and match the signed checkpoint of ${formatDateTime(verify.data.checkpoint.at, tz)} (event ${verify.data.checkpoint.seq}).`
              : '. No signed checkpoint yet.'}
          </Alert>
        ) : (
          <Alert
            color="red"
            icon={<IconShieldX size={18} />}
            title={`Tampering found at event ${verify.data.brokenAt}`}
            role="alert"
          >
            {verify.data.problem}
          </Alert>
        ))}
      {verify.error && <ErrorState error={verify.error} />}
      <FilterBar
        label="Filter events"
        onClear={JSON.stringify(filters) !== JSON.stringify(EMPTY) ? () => setFilters(EMPTY) : null}
      >
        <Select
          label="User"
          placeholder="Anyone"
          clearable
          searchable
          w={220}
          data={(users.data?.items ?? []).map((u) => ({ value: u.id, label: u.name }))}
          value={filters.user}
          onChange={(v) => set('user', v)}
        />
        <Select
          label="Area"
          placeholder="Everything"
          clearable
          w={220}
          data={AREAS.map(([value, label]) => ({ value, label }))}
          value={filters.area}
          onChange={(v) => set('area', v)}
        />
        <TextInput label="From" type="date" value={filters.from} onChange={(e) => set('from', e.currentTarget.value)} />
        <TextInput label="To" type="date" value={filters.to} onChange={(e) => set('to', e.currentTarget.value)} />
        <Switch
          label="Master code only"
          checked={filters.elevated}
          onChange={(e) => set('elevated', e.currentTarget.checked)}
        />
        <Switch
          label="Failures only"
          checked={filters.failures}
          onChange={(e) => set('failures', e.currentTarget.checked)}
        />
        <Button variant="subtle" size="xs" onClick={() => setMore((m) => !m)}>
          {more ? 'Fewer filters' : 'More filters'}
        </Button>
      </FilterBar>
      <Collapse expanded={more}>
        <Group>
          <TextInput
            label="Action"
            placeholder="e.g. auth.login or auth."
            value={filters.action}
            onChange={(e) => set('action', e.currentTarget.value)}
          />
          <TextInput
            label="Target type"
            placeholder="e.g. user"
            value={filters.targetType}
            onChange={(e) => set('targetType', e.currentTarget.value)}
          />
          <TextInput
            label="Target id"
            value={filters.targetId}
            onChange={(e) => set('targetId', e.currentTarget.value)}
          />
        </Group>
      </Collapse>
      <DataTable
        label="Audit events"
        columns={[
          { key: 'seq', header: '#', width: 70, cell: (e) => e.seq },
          { key: 'at', header: `When (${tz})`, width: 190, cell: (e) => formatDateTime(e.at, tz) },
          {
            key: 'who',
            header: 'Who',
            cell: (e) => (
              <Group gap={4} wrap="nowrap">
                <Text size="sm" title={rawActor(e)}>
                  {e.actor.userId || e.actor.label ? actorName(e) : 'System'}
                </Text>
                {e.elevated && (
                  <Badge size="xs" color="orange">
                    master code
                  </Badge>
                )}
              </Group>
            ),
          },
          {
            key: 'what',
            header: 'What happened',
            cell: (e) => (
              <Group gap={4} wrap="nowrap">
                <UnstyledButton
                  aria-expanded={open === e.seq}
                  aria-controls={`audit-event-${e.seq}-detail`}
                  title={`${e.action}${e.target ? ` · ${e.target.type} ${e.target.id ?? ''}` : ''}`}
                  onClick={() => setOpen(open === e.seq ? null : e.seq)}
                  data-action={e.action}
                >
                  <Text size="sm">{auditSentence(e)}</Text>
                </UnstyledButton>
                {e.outcome === 'failure' && (
                  <Badge size="xs" color="red">
                    failed
                  </Badge>
                )}
              </Group>
            ),
          },
          {
            key: 'reason',
            header: 'Reason',
            cell: (e) => (
              <Text size="sm" lineClamp={1}>
                {e.reason ?? ''}
              </Text>
            ),
          },
        ]}
        rows={events.data?.pages.flatMap((p) => p.items)}
        rowKey={(e) => `audit-event-${e.seq}`}
        detail={(e) => (open === e.seq ? <EventDetails e={e} /> : null)}
        isPending={events.isPending}
        error={events.error}
        onRetry={() => events.refetch()}
        loadingRows={8}
        empty={{ title: 'No events match these filters', description: 'Widen the dates or clear a filter.' }}
        pageSize={Number.POSITIVE_INFINITY}
        footer={
          events.hasNextPage && (
            <Button variant="default" loading={events.isFetchingNextPage} onClick={() => events.fetchNextPage()}>
              Show older events
            </Button>
          )
        }
      />
    </Stack>
  );
}
