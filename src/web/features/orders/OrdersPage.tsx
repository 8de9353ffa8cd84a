import {
  Accordion,
  ActionIcon,
  Alert,
  Badge,
  Button,
  Card,
  Group,
  NumberInput,
  Pagination,
  SegmentedControl,
  Select,
  Skeleton,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useNavigate, useOutletContext } from 'react-router';
import type { Me } from '../../../shared/contracts/auth.ts';
import { MAX_MONEY_MINOR, MAX_QUANTITY } from '../../../shared/contracts/bounds.ts';
import {
  type PurchaseOrder,
  PurchaseOrderBody,
  type PurchaseOrderStatus,
  SUPPLIER_REFERENCE_MAX,
  type SupplySuggestions,
} from '../../../shared/contracts/inventory.ts';
import { ApiError, generalError } from '../../app/api.ts';
import { formatDate, formatMoney, plural } from '../../app/format.ts';
import { hasPermission } from '../../app/session.ts';
import { usePageTitle } from '../../app/title.ts';
import { fieldErrors } from '../../app/validate.ts';
import { DataTable, TableBox } from '../../components/DataTable.tsx';
import { FormDialog } from '../../components/dialogs.tsx';
import { useItemSearch, useSuppliers } from '../inventory/inventory.queries.ts';
import { useOrders, useSaveOrder, useSupplySuggestions } from './orders.queries.ts';

export const STATUS = {
  draft: { label: 'Draft', color: 'gray' },
  ordered: { label: 'Ordered', color: 'blue' },
  partially_received: { label: 'Partly received', color: 'yellow' },
  received: { label: 'Received', color: 'teal' },
  cancelled: { label: 'Cancelled', color: 'red' },
} as const satisfies Record<PurchaseOrderStatus, { label: string; color: string }>;

export function OrdersPage() {
  const me = useOutletContext<Me>();
  const navigate = useNavigate();
  const [status, setStatus] = useState('open');
  usePageTitle('Purchase orders');
  const [creating, setCreating] = useState<{ supplierId: string | null; lines: Line[] } | null>(null);
  const orders = useOrders(status);
  const money = (v: number) => formatMoney(v, me.business.currency);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          Purchase orders
        </Title>
        {hasPermission(me, 'orders.create') && (
          <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating({ supplierId: null, lines: [] })}>
            New order
          </Button>
        )}
      </Group>
      {hasPermission(me, 'orders.create') && <SuggestedOrders onDraft={setCreating} />}
      <SegmentedControl
        w="fit-content"
        value={status}
        onChange={setStatus}
        data={[
          { value: 'open', label: 'Open' },
          { value: 'received', label: 'Received' },
          { value: 'cancelled', label: 'Cancelled' },
          { value: 'all', label: 'All' },
        ]}
      />
      <DataTable
        label="Purchase orders"
        columns={[
          {
            key: 'reference',
            header: 'Order',
            sortValue: (o) => o.number,
            cell: (o) => (
              <Text span ff="monospace" size="sm" style={{ whiteSpace: 'nowrap' }}>
                {o.reference}
              </Text>
            ),
          },
          { key: 'supplier', header: 'Supplier', sortValue: (o) => o.supplier.name, cell: (o) => o.supplier.name },
          { key: 'lines', header: 'Lines', cell: (o) => o.lines.length },
          { key: 'total', header: 'Total', sortValue: (o) => o.total, cell: (o) => money(o.total) },
          {
            key: 'expected',
            header: 'Expected',
            sortValue: (o) => o.expectedAt ?? '',
            cell: (o) =>
              o.expectedAt ? (
                <Group gap={6} wrap="nowrap">
                  <Text span size="sm" style={{ whiteSpace: 'nowrap' }}>
                    {formatCalendarDate(o.expectedAt)}
                  </Text>
                  {o.overdue && <OverdueBadge />}
                </Group>
              ) : (
                '—'
              ),
          },
          {
            key: 'status',
            header: 'Status',
            sortValue: (o) => o.status,
            cell: (o) => <Badge color={STATUS[o.status].color}>{STATUS[o.status].label}</Badge>,
          },
        ]}
        rows={orders.data?.items}
        rowKey={(o) => o.id}
        rowHref={(o) => `/orders/${o.id}`}
        isPending={orders.isPending}
        error={orders.error}
        onRetry={() => orders.refetch()}
        empty={{
          title: 'No purchase orders here',
          description: 'Draft one from the suggestions above, or with New order.',
        }}
      />
      {creating && (
        <OrderForm initial={creating} onClose={() => setCreating(null)} onSaved={(o) => navigate(`/orders/${o.id}`)} />
      )}
    </Stack>
  );
}

/** A calendar date (YYYY-MM-DD) as the reader's locale writes it, never shifted by a time zone. */
export function formatCalendarDate(date: string): string {
  return formatDate(`${date}T12:00:00Z`, 'UTC');
}

export function OverdueBadge() {
  return (
    <Badge color="red" variant="light" data-testid="overdue">
      Overdue
    </Badge>
  );
}

const SUGGESTION_PAGE = 5;
type Draft = { supplierId: string | null; lines: Line[] };

/**
 * Low-stock items to order, one group per supplier with its count, a page of groups at a time:
 * each group opens to its items and drafts an order for them.
 */
function SuggestedOrders({ onDraft }: { onDraft: (d: Draft) => void }) {
  const [page, setPage] = useState(1);
  const suggestions = useSupplySuggestions(true, (page - 1) * SUGGESTION_PAGE, SUGGESTION_PAGE);
  if (suggestions.isPending) return <Skeleton h={96} aria-label="Loading suggested orders" />;
  if (suggestions.isError) {
    return (
      <Alert color="red" title="Suggested orders could not be loaded" role="alert">
        <Stack gap="xs" align="flex-start">
          <Text size="sm">{suggestions.error.message}</Text>
          <Button size="xs" variant="light" color="red" onClick={() => suggestions.refetch()}>
            Try again
          </Button>
        </Stack>
      </Alert>
    );
  }
  const data = suggestions.data;
  if (data.totalItems === 0) return null;
  const pages = Math.ceil(data.totalGroups / SUGGESTION_PAGE);
  const draft = (g: SupplySuggestions['groups'][number]) =>
    onDraft({
      supplierId: g.supplier?.id ?? null,
      lines: g.lines.map((l) => ({
        itemId: l.itemId,
        label: `${l.sku} · ${l.name}`,
        quantity: l.quantity,
        unitCost: l.unitCost / 100,
      })),
    });
  return (
    <Card withBorder component="section" aria-labelledby="suggested-orders">
      <Stack gap="xs">
        <Group justify="space-between" wrap="wrap">
          <Text fw={600} id="suggested-orders">
            Low on stock: suggested orders
          </Text>
          <Text size="sm" c="dimmed">
            {plural(data.totalItems, 'item')} from {plural(data.totalGroups, 'supplier group')}
          </Text>
        </Group>
        <Accordion variant="separated" chevronPosition="left">
          {data.groups.map((g) => (
            <Accordion.Item key={g.supplier?.id ?? 'none'} value={g.supplier?.id ?? 'none'}>
              <Group gap="xs" wrap="nowrap" pr="sm">
                <Accordion.Control>
                  <Group gap="xs" wrap="wrap">
                    <Text fw={600} size="sm">
                      {g.supplier?.name ?? 'No supplier linked'}
                    </Text>
                    <Badge variant="light" color="gray">
                      {plural(g.count, 'item')}
                    </Badge>
                  </Group>
                </Accordion.Control>
                {g.supplier && (
                  <Button
                    size="xs"
                    variant="light"
                    onClick={() => draft(g)}
                    style={{ flexShrink: 0 }}
                    aria-label={`Draft order from ${g.supplier.name}`}
                  >
                    Draft order
                  </Button>
                )}
              </Group>
              <Accordion.Panel>
                {!g.supplier && (
                  <Text size="sm" c="dimmed" mb="xs">
                    Link these items to a supplier on their item page to draft an order for them.
                  </Text>
                )}
                <TableBox label={`Items to order from ${g.supplier?.name ?? 'no supplier'}`}>
                  <Table fz="sm">
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>Item</Table.Th>
                        <Table.Th ta="right">On hand</Table.Th>
                        <Table.Th ta="right">To order</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {g.lines.map((l) => (
                        <Table.Tr key={l.itemId}>
                          <Table.Td>
                            <Text span ff="monospace" size="xs">
                              {l.sku}
                            </Text>{' '}
                            {l.name}
                          </Table.Td>
                          <Table.Td ta="right">
                            {l.onHand} / {l.reorderLevel}
                          </Table.Td>
                          <Table.Td ta="right">{l.quantity}</Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </TableBox>
                {g.more > 0 && (
                  <Text size="xs" c="dimmed">
                    and {plural(g.more, 'more item')} not listed
                  </Text>
                )}
              </Accordion.Panel>
            </Accordion.Item>
          ))}
        </Accordion>
        {pages > 1 && (
          <Pagination
            total={pages}
            value={page}
            onChange={setPage}
            size="sm"
            aria-label="Pages of suggested orders"
            getControlProps={(control) => ({ 'aria-label': `${control} page` })}
            getItemProps={(p) => ({ 'aria-label': `Suggested orders, page ${p}` })}
          />
        )}
      </Stack>
    </Card>
  );
}

type Line = { itemId: string; label: string; quantity: number | string; unitCost: number | string };

/** A new order or a change to one: supplier, lines (found by searching items), notes. */
export function OrderForm(props: {
  order?: PurchaseOrder;
  initial?: { supplierId: string | null; lines: Line[] };
  onClose: () => void;
  onSaved: (o: PurchaseOrder) => void;
}) {
  const suppliers = useSuppliers();
  const [supplierId, setSupplierId] = useState<string | null>(
    props.order?.supplier.id ?? props.initial?.supplierId ?? null,
  );
  const [lines, setLines] = useState<Line[]>(
    props.order?.lines.map((l) => ({
      itemId: l.itemId,
      label: `${l.sku} · ${l.name}`,
      quantity: l.quantity,
      unitCost: l.unitCost / 100,
    })) ??
      props.initial?.lines ??
      [],
  );
  const [notes, setNotes] = useState(props.order?.notes ?? '');
  const [expectedAt, setExpectedAt] = useState(props.order?.expectedAt ?? '');
  const [supplierReference, setSupplierReference] = useState(props.order?.supplierReference ?? '');
  const [search, setSearch] = useState('');
  const found = useItemSearch(search.trim());
  const save = useSaveOrder(props.order?.id ?? null);
  const [invalid, setInvalid] = useState<Record<string, string>>({});
  const serverErrors = save.error instanceof ApiError ? save.error.fieldErrors() : {};
  const errors = { ...serverErrors, ...invalid };
  const setLine = (i: number, change: Partial<Line>) => {
    setLines(lines.map((x, j) => (j === i ? { ...x, ...change } : x)));
    setInvalid({});
  };
  const submit = () => {
    const body = {
      supplierId: supplierId ?? '',
      notes,
      expectedAt: expectedAt || null,
      supplierReference: supplierReference.trim() || null,
      lines: lines.map((l) => ({
        itemId: l.itemId,
        quantity: l.quantity === '' ? Number.NaN : Number(l.quantity),
        unitCost: l.unitCost === '' ? 0 : Math.round(Number(l.unitCost) * 100),
      })),
    };
    // The shared schema the server applies: quantity 0 is shown on its line, never turned into 1.
    const problems = fieldErrors(PurchaseOrderBody, body);
    setInvalid(problems ?? {});
    if (problems) return;
    save.mutate(
      { ...body, supplierId },
      {
        onSuccess: (o) => {
          notifications.show({
            color: 'teal',
            message: `${o.reference} saved as ${STATUS[o.status].label.toLowerCase()}.`,
          });
          props.onSaved(o);
        },
      },
    );
  };

  return (
    <FormDialog
      title={props.order ? `Change ${props.order.reference}` : 'New purchase order'}
      size="xl"
      submitLabel={props.order ? 'Save order' : 'Save draft'}
      loading={save.isPending}
      disabled={!supplierId ? 'Choose a supplier.' : lines.length === 0 && 'Add at least one item.'}
      error={generalError(save.error) ?? invalid.lines ?? invalid._ ?? null}
      onClose={props.onClose}
      onSubmit={submit}
    >
      <Select
        label="Supplier"
        required
        searchable
        data-autofocus
        data={(suppliers.data?.items ?? []).map((s) => ({ value: s.id, label: s.name }))}
        value={supplierId}
        onChange={setSupplierId}
      />
      <Select
        label="Add an item"
        placeholder="Search SKU or name"
        searchable
        searchValue={search}
        onSearchChange={setSearch}
        value={null}
        data={(found.data?.items ?? [])
          .filter((i) => !lines.some((l) => l.itemId === i.id))
          .map((i) => ({ value: i.id, label: `${i.sku} · ${i.name}` }))}
        onChange={(id) => {
          const it = found.data?.items.find((i) => i.id === id);
          if (!it) return;
          const link = it.suppliers.find((s) => s.supplierId === supplierId);
          setLines([
            ...lines,
            {
              itemId: it.id,
              label: `${it.sku} · ${it.name}`,
              quantity: Math.max(1, it.reorderQuantity),
              unitCost: (link?.supplierPrice || it.cost) / 100,
            },
          ]);
          setSearch('');
        }}
        nothingFoundMessage={search ? 'No item found' : 'Type to search'}
      />
      {lines.map((l, i) => (
        <Group key={l.itemId} gap="xs" wrap="wrap" align="flex-start">
          <Text size="sm" style={{ flex: '3 1 12rem' }} pt={6}>
            {l.label}
          </Text>
          <NumberInput
            aria-label={`Quantity of ${l.label}`}
            clampBehavior="none"
            min={1}
            max={MAX_QUANTITY}
            allowDecimal={false}
            style={{ flex: '1 1 6rem' }}
            value={l.quantity}
            error={errors[`lines.${i}.quantity`]}
            onChange={(v) => setLine(i, { quantity: v })}
          />
          <NumberInput
            aria-label={`Unit cost of ${l.label}`}
            clampBehavior="none"
            min={0}
            max={MAX_MONEY_MINOR / 100}
            decimalScale={2}
            fixedDecimalScale
            style={{ flex: '1 1 7rem' }}
            value={l.unitCost}
            error={errors[`lines.${i}.unitCost`]}
            onChange={(v) => setLine(i, { unitCost: v })}
          />
          <ActionIcon
            variant="subtle"
            color="red"
            aria-label={`Remove ${l.label}`}
            mt={4}
            onClick={() => setLines(lines.filter((_, j) => j !== i))}
          >
            <IconTrash size={14} />
          </ActionIcon>
        </Group>
      ))}
      <Group grow align="flex-start" wrap="wrap">
        <TextInput
          label="Expected delivery"
          type="date"
          value={expectedAt}
          error={errors.expectedAt}
          style={{ minWidth: '11rem' }}
          onChange={(e) => {
            setExpectedAt(e.currentTarget.value);
            setInvalid({});
          }}
        />
        <TextInput
          label="Supplier reference"
          description="Their quote or confirmation number"
          value={supplierReference}
          error={errors.supplierReference}
          style={{ minWidth: '11rem' }}
          onChange={(e) => {
            setSupplierReference(e.currentTarget.value);
            setInvalid({});
          }}
          rightSection={
            supplierReference.length > SUPPLIER_REFERENCE_MAX * 0.8 ? (
              <Text size="xs" c={supplierReference.length > SUPPLIER_REFERENCE_MAX ? 'red' : 'dimmed'}>
                {SUPPLIER_REFERENCE_MAX - supplierReference.length}
              </Text>
            ) : null
          }
        />
      </Group>
      <Textarea label="Notes" autosize minRows={2} value={notes} onChange={(e) => setNotes(e.currentTarget.value)} />
    </FormDialog>
  );
}
