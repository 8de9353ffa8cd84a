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
  Table,
  Text,
  Textarea,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate, useOutletContext } from 'react-router';
import type { Me } from '../../../shared/contracts/auth.ts';
import { MAX_MONEY_MINOR, MAX_QUANTITY } from '../../../shared/contracts/bounds.ts';
import type {
  ItemList,
  PurchaseOrder,
  PurchaseOrderList,
  PurchaseOrderStatus,
  SupplySuggestions,
} from '../../../shared/contracts/inventory.ts';
import { api, generalError } from '../../app/api.ts';
import { formatDate, formatMoney } from '../../app/format.ts';
import { hasPermission } from '../../app/session.ts';
import { FormDialog } from '../../components/dialogs.tsx';
import { EmptyState, ErrorState, TableLoader } from '../../components/states.tsx';
import { useSuppliers } from '../inventory/hooks.ts';

export const STATUS = {
  draft: { label: 'Draft', color: 'gray' },
  ordered: { label: 'Ordered', color: 'blue' },
  partially_received: { label: 'Partly received', color: 'yellow' },
  received: { label: 'Received', color: 'teal' },
  cancelled: { label: 'Cancelled', color: 'red' },
} as const satisfies Record<PurchaseOrderStatus, { label: string; color: string }>;

export const ordersKey = ['purchase-orders'] as const;

export function OrdersPage() {
  const me = useOutletContext<Me>();
  const navigate = useNavigate();
  const [status, setStatus] = useState('open');
  const [creating, setCreating] = useState<{ supplierId: string | null; lines: Line[] } | null>(null);
  const orders = useQuery({
    queryKey: [...ordersKey, status],
    queryFn: () => api.get<PurchaseOrderList>(`/api/v1/purchase-orders?status=${status}`),
  });
  const suggestions = useQuery({
    queryKey: [...ordersKey, 'suggestions'],
    queryFn: () => api.get<SupplySuggestions>('/api/v1/purchase-orders/suggestions'),
    enabled: hasPermission(me, 'orders.create'),
  });
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
      {orders.isPending ? (
        <TableLoader />
      ) : orders.isError ? (
        <ErrorState error={orders.error} onRetry={() => orders.refetch()} />
      ) : orders.data.items.length === 0 ? (
        <EmptyState
          title="No purchase orders here"
          description="Draft one from the suggestions above, or with New order."
        />
      ) : (
        <Table highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Order</Table.Th>
              <Table.Th>Supplier</Table.Th>
              <Table.Th>Lines</Table.Th>
              <Table.Th>Total</Table.Th>
              <Table.Th>Expected</Table.Th>
              <Table.Th>Status</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {orders.data.items.map((o) => (
              <Table.Tr key={o.id} style={{ cursor: 'pointer' }} onClick={() => navigate(`/orders/${o.id}`)}>
                <Table.Td ff="monospace">{o.reference}</Table.Td>
                <Table.Td>{o.supplier.name}</Table.Td>
                <Table.Td>{o.lines.length}</Table.Td>
                <Table.Td>{money(o.total)}</Table.Td>
                <Table.Td>{o.expectedAt ? formatDate(o.expectedAt, me.business.timezone) : '—'}</Table.Td>
                <Table.Td>
                  <Badge color={STATUS[o.status].color}>{STATUS[o.status].label}</Badge>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
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
  const queryClient = useQueryClient();
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
  const found = useQuery({
    queryKey: ['items', 'order-search', search],
    queryFn: () => api.get<ItemList>(`/api/v1/items?q=${encodeURIComponent(search)}&pageSize=20`),
    enabled: search.trim().length > 0,
  });
  const save = useMutation({
    meta: { silent: true },
    mutationFn: () => {
      const body = {
        supplierId,
        notes,
        lines: lines.map((l) => ({
          itemId: l.itemId,
          quantity: Number(l.quantity),
          unitCost: Math.round(Number(l.unitCost) * 100),
        })),
      };
      return props.order
        ? api.put<PurchaseOrder>(`/api/v1/purchase-orders/${props.order.id}`, body)
        : api.post<PurchaseOrder>('/api/v1/purchase-orders', body);
    },
    onSuccess: (o) => {
      void queryClient.invalidateQueries({ queryKey: ordersKey });
      notifications.show({
        color: 'teal',
        message: `${o.reference} saved as ${STATUS[o.status].label.toLowerCase()}.`,
      });
      props.onSaved(o);
    },
  });
  return (
    <FormDialog
      title={props.order ? `Change ${props.order.reference}` : 'New purchase order'}
      size="xl"
      submitLabel={props.order ? 'Save order' : 'Save draft'}
      loading={save.isPending}
      disabled={!supplierId || lines.length === 0 || lines.some((l) => !Number(l.quantity))}
      error={generalError(save.error)}
      onClose={props.onClose}
      onSubmit={() => save.mutate()}
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
        <Group key={l.itemId} gap="xs" wrap="nowrap">
          <Text size="sm" style={{ flex: 3 }}>
            {l.label}
          </Text>
          <NumberInput
            aria-label={`Quantity of ${l.label}`}
            min={1}
            max={MAX_QUANTITY}
            allowDecimal={false}
            style={{ flex: 1 }}
            value={l.quantity}
            onChange={(v) => setLines(lines.map((x, j) => (j === i ? { ...x, quantity: v } : x)))}
          />
          <NumberInput
            aria-label={`Unit cost of ${l.label}`}
            min={0}
            max={MAX_MONEY_MINOR / 100}
            decimalScale={2}
            fixedDecimalScale
            style={{ flex: 1 }}
            value={l.unitCost}
            onChange={(v) => setLines(lines.map((x, j) => (j === i ? { ...x, unitCost: v } : x)))}
          />
          <ActionIcon
            variant="subtle"
            color="red"
            aria-label={`Remove ${l.label}`}
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
