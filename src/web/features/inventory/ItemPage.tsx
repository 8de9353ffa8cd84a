import { Badge, Button, Card, Group, SimpleGrid, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { useNavigate, useOutletContext, useParams } from 'react-router';
import type { Me } from '../../../shared/contracts/auth.ts';
import type { Permission } from '../../../shared/permissions/catalog.ts';
import { formatDateTime, formatMoney, formatRate, quantity } from '../../app/format.ts';
import { hasModule, hasPermission } from '../../app/session.ts';
import { usePageTitle } from '../../app/title.ts';
import { TableBox } from '../../components/DataTable.tsx';
import { ConfirmDialog } from '../../components/dialogs.tsx';
import { BackLink, ErrorState, TableLoader } from '../../components/states.tsx';
import { ItemFormDialog } from './ItemForm.tsx';
import { useArchiveItem, useItem, useItemMovements } from './inventory.queries.ts';
import { StockDialog } from './StockDialog.tsx';

const KIND: Record<string, string> = {
  in: 'Stock in',
  out: 'Stock out',
  adjustment: 'Adjustment',
  count: 'Stocktake',
  receipt: 'Received',
  sale: 'Sale',
  refund: 'Refund',
  import: 'Import',
};

export function ItemPage() {
  const me = useOutletContext<Me>();
  const { id } = useParams() as { id: string };
  const navigate = useNavigate();
  const can = (p: Permission) => hasPermission(me, p);
  const [dialog, setDialog] = useState<'edit' | 'in' | 'out' | 'adjustment' | 'archive' | null>(null);
  const item = useItem(id);
  usePageTitle(item.data?.name ?? 'Item', 'Inventory');
  const moves = useItemMovements(id, item.isSuccess);
  const archive = useArchiveItem(id);
  const toggleArchived = (active: boolean) =>
    archive.mutate(active, {
      onSuccess: (it) => {
        notifications.show({
          color: 'teal',
          message: it.active ? 'Item restored.' : 'Item archived; its history is kept.',
        });
        setDialog(null);
      },
    });
  if (item.isPending) return <TableLoader rows={6} />;
  if (item.isError) return <ErrorState error={item.error} onRetry={() => item.refetch()} />;
  const it = item.data;
  const tz = me.business.timezone;
  const money = (v: number) => formatMoney(v, me.business.currency);
  const fact = (label: string, value: string) => (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm">{value}</Text>
    </div>
  );
  return (
    <Stack>
      <BackLink to="/inventory" label="Inventory" />
      <Group justify="space-between" align="flex-start">
        <div>
          <Group gap="xs">
            <Title order={1} size="h2">
              {it.name}
            </Title>
            {!it.active && <Badge color="gray">archived</Badge>}
            {it.lowStock && <Badge color="orange">low stock</Badge>}
          </Group>
          <Text c="dimmed" ff="monospace" data-testid="item-sku" style={{ whiteSpace: 'nowrap' }}>
            {it.sku}
          </Text>
        </div>
        <Group>
          {can('inventory.manage_stock') && it.active && (
            <>
              <Button onClick={() => setDialog('in')}>Stock in</Button>
              <Button variant="default" onClick={() => setDialog('out')}>
                Stock out
              </Button>
              <Button variant="default" onClick={() => setDialog('adjustment')}>
                Adjust
              </Button>
            </>
          )}
          {can('inventory.edit') && (
            <Button variant="default" onClick={() => setDialog('edit')}>
              Edit
            </Button>
          )}
          {can('inventory.delete') && (
            <Button variant="subtle" color={it.active ? 'red' : undefined} onClick={() => setDialog('archive')}>
              {it.active ? 'Archive…' : 'Restore…'}
            </Button>
          )}
        </Group>
      </Group>
      <Card withBorder>
        <SimpleGrid cols={{ base: 2, md: 5 }}>
          <div>
            <Text size="xs" c="dimmed">
              On hand
            </Text>
            <Text size="xl" fw={700} data-testid="on-hand">
              {quantity(it.onHand, it.unit)}
            </Text>
          </div>
          {fact('Reorder level', quantity(it.reorderLevel, it.unit))}
          {fact(
            'Price',
            `${money(it.price)} ${it.priceIncludesVat ? 'incl.' : 'excl.'} VAT ${formatRate(it.vatRateBp)}`,
          )}
          {fact('Cost', money(it.cost))}
          {hasModule(me, 'categories') && fact('Category', it.category?.name ?? '—')}
          {fact('Location', it.location || '—')}
          {hasModule(me, 'suppliers') &&
            fact(
              'Suppliers',
              it.suppliers.map((s) => `${s.supplierName}${s.preferred ? ' (preferred)' : ''}`).join(', ') || '—',
            )}
          {fact('Updated', formatDateTime(it.updatedAt, tz))}
        </SimpleGrid>
        {it.description && (
          <Text size="sm" mt="sm">
            {it.description}
          </Text>
        )}
      </Card>
      <Title order={2} size="h4">
        Stock movements
      </Title>
      {moves.isPending ? (
        <TableLoader rows={4} />
      ) : moves.isError ? (
        <ErrorState error={moves.error} onRetry={() => moves.refetch()} />
      ) : (
        <>
          <TableBox label="Stock movements">
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>When</Table.Th>
                  <Table.Th>What</Table.Th>
                  <Table.Th ta="right">Change</Table.Th>
                  <Table.Th ta="right">On hand</Table.Th>
                  <Table.Th>Who</Table.Th>
                  <Table.Th>Reason</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {moves.data.pages
                  .flatMap((p) => p.items)
                  .map((m) => (
                    <Table.Tr key={m.id}>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(m.at, tz)}</Table.Td>
                      <Table.Td>
                        {KIND[m.kind] ?? m.kind}
                        {m.reference?.type === 'purchase_order' && (
                          <Button
                            size="compact-xs"
                            variant="subtle"
                            onClick={() => navigate(`/orders/${m.reference?.id}`)}
                          >
                            order
                          </Button>
                        )}
                      </Table.Td>
                      <Table.Td ta="right" c={m.quantity < 0 ? 'red' : 'teal'}>
                        {m.quantity > 0 ? `+${m.quantity}` : m.quantity}
                      </Table.Td>
                      <Table.Td ta="right">
                        {m.before} → {m.after}
                      </Table.Td>
                      <Table.Td>
                        {m.actor?.name ?? '—'}
                        {m.elevated && (
                          <Badge
                            size="xs"
                            color="violet"
                            variant="light"
                            ml={6}
                            data-testid="master-code-mark"
                            title="Booked in a session unlocked with the master code"
                          >
                            <VisuallyHidden>booked under the </VisuallyHidden>master code
                          </Badge>
                        )}
                      </Table.Td>
                      <Table.Td>{m.reason ?? ''}</Table.Td>
                    </Table.Tr>
                  ))}
              </Table.Tbody>
            </Table>
          </TableBox>
          {moves.data.pages[0]?.items.length === 0 && (
            <Text size="sm" c="dimmed">
              No stock has moved yet.
            </Text>
          )}
          {moves.hasNextPage && (
            <Button
              variant="default"
              w="fit-content"
              onClick={() => moves.fetchNextPage()}
              loading={moves.isFetchingNextPage}
            >
              Show older movements
            </Button>
          )}
        </>
      )}
      {dialog === 'edit' && (
        <ItemFormDialog
          item={it}
          onClose={() => setDialog(null)}
          onSaved={() => {
            setDialog(null);
            notifications.show({ color: 'teal', message: 'Item saved.' });
          }}
        />
      )}
      {(dialog === 'in' || dialog === 'out' || dialog === 'adjustment') && (
        <StockDialog
          item={it}
          initial={dialog}
          onClose={() => {
            setDialog(null);
          }}
        />
      )}
      <ConfirmDialog
        opened={dialog === 'archive'}
        title={it.active ? `Archive ${it.name}?` : `Restore ${it.name}?`}
        confirmLabel={it.active ? 'Archive' : 'Restore'}
        danger={it.active}
        loading={archive.isPending}
        error={archive.error instanceof Error ? archive.error.message : null}
        onClose={() => setDialog(null)}
        onConfirm={() => toggleArchived(it.active)}
      >
        <Text size="sm">
          {it.active
            ? 'It leaves the item lists, searches and suggestions. Its movements and orders are kept, and you can restore it.'
            : 'It comes back into the item lists and searches.'}
        </Text>
      </ConfirmDialog>
    </Stack>
  );
}
