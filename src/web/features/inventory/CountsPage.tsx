import { Alert, Badge, Button, Group, NumberInput, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useEffect, useState } from 'react';
import { useNavigate, useOutletContext, useParams } from 'react-router';
import type { Me } from '../../../shared/contracts/auth.ts';
import { MAX_QUANTITY } from '../../../shared/contracts/bounds.ts';
import { generalError } from '../../app/api.ts';
import { formatDateTime, plural, quantity } from '../../app/format.ts';
import { hasModule, hasPermission } from '../../app/session.ts';
import { usePageTitle } from '../../app/title.ts';
import { ExplainedButton } from '../../components/buttons.tsx';
import { DataTable, TableBox } from '../../components/DataTable.tsx';
import { ConfirmDialog, FormDialog } from '../../components/dialogs.tsx';
import { BackLink, ErrorState, TableLoader } from '../../components/states.tsx';
import {
  useCategories,
  useCloseStockCount,
  useOpenStockCount,
  useSaveCountLines,
  useStockCount,
  useStockCounts,
} from './inventory.queries.ts';

const STATUS_COLOR = { open: 'blue', posted: 'teal', cancelled: 'gray' } as const;

export function CountsPage() {
  const me = useOutletContext<Me>();
  const navigate = useNavigate();
  const counts = useStockCounts();
  usePageTitle('Stocktakes', 'Inventory');
  const [opening, setOpening] = useState(false);
  return (
    <Stack>
      <BackLink to="/inventory" label="Inventory" />
      <Group justify="space-between">
        <Title order={1} size="h2">
          Stocktakes
        </Title>
        <Button onClick={() => setOpening(true)}>New stocktake</Button>
      </Group>
      <DataTable
        label="Stocktakes"
        columns={[
          {
            key: 'opened',
            header: 'Opened',
            sortValue: (c) => c.createdAt,
            cell: (c) => `${formatDateTime(c.createdAt, me.business.timezone)} · ${c.createdBy ?? ''}`,
          },
          { key: 'note', header: 'Note', cell: (c) => c.note || '—' },
          { key: 'counted', header: 'Counted', cell: (c) => `${c.counted} of ${c.lines}` },
          { key: 'differences', header: 'Differences', sortValue: (c) => c.differences, cell: (c) => c.differences },
          {
            key: 'status',
            header: 'Status',
            sortValue: (c) => c.status,
            cell: (c) => <Badge color={STATUS_COLOR[c.status]}>{c.status}</Badge>,
          },
        ]}
        rows={counts.data?.items}
        rowKey={(c) => c.id}
        rowHref={(c) => `/inventory/counts/${c.id}`}
        isPending={counts.isPending}
        error={counts.error}
        onRetry={() => counts.refetch()}
        empty={{
          title: 'No stocktakes yet',
          description: 'Open one for a category or a location, plural, review the differences and post them.',
        }}
      />
      {opening && (
        <OpenCountDialog onClose={() => setOpening(false)} onOpened={(id) => navigate(`/inventory/counts/${id}`)} />
      )}
    </Stack>
  );
}

function OpenCountDialog({ onClose, onOpened }: { onClose: () => void; onOpened: (id: string) => void }) {
  const me = useOutletContext<Me>();
  const categories = useCategories(hasPermission(me, 'categories.view'));
  const [categoryId, setCategoryId] = useState<string | null>(null);
  const [location, setLocation] = useState('');
  const [note, setNote] = useState('');
  const open = useOpenStockCount();
  const submit = () =>
    open.mutate(
      { note, ...(categoryId ? { categoryId } : {}), ...(location.trim() ? { location: location.trim() } : {}) },
      { onSuccess: (c) => onOpened(c.id) },
    );
  return (
    <FormDialog
      title="New stocktake"
      submitLabel="Open stocktake"
      loading={open.isPending}
      error={generalError(open.error)}
      onClose={onClose}
      onSubmit={submit}
    >
      <Text size="sm" c="dimmed">
        Steward notes what it expects of each item now. Sales and receipts while you count are kept: only the difference
        between what you count and what was expected is posted.
      </Text>
      {hasModule(me, 'categories') && (
        <Select
          label="Category"
          placeholder="All categories"
          clearable
          data={(categories.data?.items ?? []).map((c) => ({ value: c.id, label: c.name }))}
          value={categoryId}
          onChange={setCategoryId}
        />
      )}
      <TextInput
        label="Location"
        placeholder="All locations"
        value={location}
        onChange={(e) => setLocation(e.currentTarget.value)}
      />
      <TextInput
        label="Note"
        placeholder="e.g. Year-end count"
        value={note}
        onChange={(e) => setNote(e.currentTarget.value)}
        data-autofocus
      />
    </FormDialog>
  );
}

export function CountPage() {
  const me = useOutletContext<Me>();
  const { id } = useParams() as { id: string };
  const count = useStockCount(id);
  usePageTitle(count.data?.note || 'Stocktake', 'Stocktakes');
  const [entered, setEntered] = useState<Record<string, number | string>>({});
  const [confirm, setConfirm] = useState<'post' | 'cancel' | null>(null);
  useEffect(() => {
    if (count.data) setEntered(Object.fromEntries(count.data.items.map((l) => [l.itemId, l.counted ?? ''])));
  }, [count.data]);
  const changed = (count.data?.items ?? []).filter((l) => String(entered[l.itemId] ?? '') !== String(l.counted ?? ''));
  const save = useSaveCountLines(id);
  const saveCounts = () =>
    save.mutate(
      changed.map((l) => ({ itemId: l.itemId, counted: entered[l.itemId] === '' ? null : Number(entered[l.itemId]) })),
      { onSuccess: () => notifications.show({ color: 'teal', message: 'Counts saved.' }) },
    );
  const close = useCloseStockCount(id);
  const closeCount = (what: 'post' | 'cancel') =>
    close.mutate(what, {
      onSuccess: () => {
        setConfirm(null);
        notifications.show({
          color: 'teal',
          message: what === 'post' ? 'Differences posted to stock.' : 'Stocktake cancelled.',
        });
      },
    });

  if (count.isPending) return <TableLoader rows={8} />;
  if (count.isError) return <ErrorState error={count.error} onRetry={() => count.refetch()} />;
  const c = count.data;
  const open = c.status === 'open';
  const diffs = c.items.filter((l) => l.difference !== null && l.difference !== 0);
  return (
    <Stack>
      <BackLink to="/inventory/counts" label="Stocktakes" />
      <Group justify="space-between">
        <div>
          <Group gap="xs">
            <Title order={1} size="h2">
              Stocktake {c.note && `· ${c.note}`}
            </Title>
            <Badge color={STATUS_COLOR[c.status]}>{c.status}</Badge>
          </Group>
          <Text c="dimmed" size="sm">
            Opened {formatDateTime(c.createdAt, me.business.timezone)} · {c.counted} of {c.lines} counted ·{' '}
            {plural(c.differences, 'difference')}
          </Text>
        </div>
        {open && (
          <Group>
            <ExplainedButton
              variant="default"
              why={changed.length === 0 && 'Enter a count first.'}
              loading={save.isPending}
              onClick={saveCounts}
            >
              Save counts{changed.length ? ` (${changed.length})` : ''}
            </ExplainedButton>
            <ExplainedButton
              why={changed.length > 0 ? 'Save the counts first.' : c.counted === 0 && 'Count at least one line first.'}
              onClick={() => setConfirm('post')}
            >
              Review and post…
            </ExplainedButton>
            <Button variant="subtle" color="red" onClick={() => setConfirm('cancel')}>
              Cancel stocktake…
            </Button>
          </Group>
        )}
      </Group>
      <TableBox label="Counted lines">
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Location</Table.Th>
              <Table.Th>SKU</Table.Th>
              <Table.Th>Item</Table.Th>
              <Table.Th ta="right">Expected</Table.Th>
              <Table.Th w={160}>Counted</Table.Th>
              <Table.Th ta="right">Difference</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {c.items.map((l) => (
              <Table.Tr key={l.itemId}>
                <Table.Td>{l.location || '—'}</Table.Td>
                <Table.Td ff="monospace" style={{ whiteSpace: 'nowrap' }}>
                  {l.sku}
                </Table.Td>
                <Table.Td>{l.name}</Table.Td>
                <Table.Td ta="right">{quantity(l.expected, l.unit)}</Table.Td>
                <Table.Td>
                  {open ? (
                    <NumberInput
                      size="xs"
                      aria-label={`Counted ${l.name}`}
                      min={0}
                      max={MAX_QUANTITY}
                      allowDecimal={false}
                      value={entered[l.itemId] ?? ''}
                      onChange={(v) => setEntered({ ...entered, [l.itemId]: v })}
                    />
                  ) : (
                    (l.counted ?? '—')
                  )}
                </Table.Td>
                <Table.Td ta="right" c={l.difference ? (l.difference < 0 ? 'red' : 'teal') : undefined}>
                  {l.difference === null ? '' : l.difference > 0 ? `+${l.difference}` : l.difference}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </TableBox>
      <ConfirmDialog
        opened={confirm !== null}
        title={confirm === 'post' ? 'Post the differences?' : 'Cancel this stocktake?'}
        confirmLabel={confirm === 'post' ? `Post ${plural(diffs.length, 'adjustment')}` : 'Cancel stocktake'}
        danger={confirm === 'cancel'}
        loading={close.isPending}
        error={close.error instanceof Error ? close.error.message : null}
        onClose={() => setConfirm(null)}
        onConfirm={() => confirm && closeCount(confirm)}
      >
        {confirm === 'post' ? (
          diffs.length === 0 ? (
            <Text size="sm">Every count matches: the stocktake closes without changing stock.</Text>
          ) : (
            <Stack gap={4}>
              {diffs.map((l) => (
                <Text size="sm" key={l.itemId}>
                  {l.name}: {l.difference && l.difference > 0 ? '+' : ''}
                  {quantity(l.difference ?? 0, l.unit)}
                </Text>
              ))}
              <Alert color="yellow" mt="xs">
                Each difference becomes a stocktake movement on the item’s ledger.
              </Alert>
            </Stack>
          )
        ) : (
          <Text size="sm">Nothing is posted; the counts entered are kept with the cancelled stocktake.</Text>
        )}
      </ConfirmDialog>
    </Stack>
  );
}
