import {
  ActionIcon,
  Badge,
  Button,
  Card,
  Group,
  NumberInput,
  SegmentedControl,
  Select,
  Stack,
  Text,
  Textarea,
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
} from '../../../shared/contracts/inventory.ts';
import { ApiError, generalError } from '../../app/api.ts';
import { formatDate, formatMoney } from '../../app/format.ts';
import { hasPermission } from '../../app/session.ts';
import { usePageTitle } from '../../app/title.ts';
import { fieldErrors } from '../../app/validate.ts';
import { DataTable } from '../../components/DataTable.tsx';
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
  const suggestions = useSupplySuggestions(hasPermission(me, 'orders.create'));
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
      {(suggestions.data?.groups.length ?? 0) > 0 && (
        <Card withBorder>
          <Stack gap="xs">
            <Text fw={600}>Low on stock: suggested orders</Text>
            {suggestions.data?.groups.map((g) => (
              <Group key={g.supplier?.id ?? 'none'} justify="space-between">
                <Text size="sm">
                  <b>{g.supplier?.name ?? 'No supplier linked'}</b>:{' '}
                  {g.lines.map((l) => `${l.name} × ${l.quantity}`).join(', ')}
                </Text>
                {g.supplier && (
                  <Button
                    size="xs"
                    variant="light"
                    onClick={() =>
                      setCreating({
                        supplierId: g.supplier?.id ?? null,
                        lines: g.lines.map((l) => ({
                          itemId: l.itemId,
                          label: `${l.sku} · ${l.name}`,
                          quantity: l.quantity,
                          unitCost: l.unitCost / 100,
                        })),
                      })
                    }
                  >
                    Draft this order
                  </Button>
                )}
              </Group>
            ))}
          </Stack>
        </Card>
      )}
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
            cell: (o) => (o.expectedAt ? formatDate(o.expectedAt, me.business.timezone) : '—'),
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
      <Textarea label="Notes" autosize minRows={2} value={notes} onChange={(e) => setNotes(e.currentTarget.value)} />
    </FormDialog>
  );
}
