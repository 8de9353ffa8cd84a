import {
  Badge,
  Button,
  Checkbox,
  Group,
  Menu,
  NumberInput,
  Pagination,
  SegmentedControl,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
  UnstyledButton,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconChevronDown, IconChevronUp, IconDownload, IconPlus, IconSearch, IconUpload } from '@tabler/icons-react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate, useOutletContext } from 'react-router';
import type { Me } from '../../../shared/contracts/auth.ts';
import type { ItemList } from '../../../shared/contracts/inventory.ts';
import type { Permission } from '../../../shared/permissions/catalog.ts';
import { api, generalError } from '../../app/api.ts';
import { formatMoney } from '../../app/format.ts';
import { hasPermission } from '../../app/session.ts';
import { FormDialog } from '../../components/dialogs.tsx';
import { EmptyState, ErrorState, TableLoader } from '../../components/states.tsx';
import { itemsKey, useCategories, useSuppliers } from './hooks.ts';
import { ImportDialog } from './ImportDialog.tsx';
import { ItemFormDialog } from './ItemForm.tsx';

type Sort = 'name' | 'sku' | 'onHand' | 'price' | 'updatedAt';

export function ItemsPage() {
  const me = useOutletContext<Me>();
  const navigate = useNavigate();
  const can = (p: Permission) => hasPermission(me, p);
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search, 200);
  const [categoryId, setCategoryId] = useState<string | null>(null);
  const [supplierId, setSupplierId] = useState<string | null>(null);
  const [status, setStatus] = useState<'active' | 'archived' | 'all'>('active');
  const [lowStock, setLowStock] = useState(false);
  const [sort, setSort] = useState<{ by: Sort; order: 'asc' | 'desc' }>({ by: 'name', order: 'asc' });
  const [page, setPage] = useState(1);
  const [selected, setSelected] = useState<string[]>([]);
  const [dialog, setDialog] = useState<'new' | 'import' | 'bulk' | null>(null);
  const categories = useCategories(can('categories.view'));
  const suppliers = useSuppliers(can('suppliers.view'));
  const filter = new URLSearchParams();
  if (q) filter.set('q', q);
  if (categoryId) filter.set('categoryId', categoryId);
  if (supplierId) filter.set('supplierId', supplierId);
  if (lowStock) filter.set('lowStock', 'true');
  filter.set('status', status);
  const query = new URLSearchParams(filter);
  query.set('sort', sort.by);
  query.set('order', sort.order);
  query.set('page', String(page));
  query.set('pageSize', '50');
  const items = useQuery({
    queryKey: [...itemsKey, query.toString()],
    queryFn: () => api.get<ItemList>(`/api/v1/items?${query}`),
    placeholderData: keepPreviousData,
  });
  const rows = items.data?.items ?? [];
  const pages = Math.max(1, Math.ceil((items.data?.total ?? 0) / 50));
  const money = (v: number) => formatMoney(v, me.business.currency);
  const header = (by: Sort, label: string) => (
    <Table.Th>
      <UnstyledButton
        onClick={() => setSort((s) => ({ by, order: s.by === by && s.order === 'asc' ? 'desc' : 'asc' }))}
        aria-label={`Sort by ${label}`}
      >
        <Group gap={2} wrap="nowrap">
          <Text fw={700} size="sm">
            {label}
          </Text>
          {sort.by === by && (sort.order === 'asc' ? <IconChevronUp size={14} /> : <IconChevronDown size={14} />)}
        </Group>
      </UnstyledButton>
    </Table.Th>
  );
  const reset =
    <T,>(set: (v: T) => void) =>
    (v: T) => {
      set(v);
      setPage(1);
    };
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          Inventory
        </Title>
        <Group>
          {can('inventory.count') && (
            <Button variant="default" onClick={() => navigate('/inventory/counts')}>
              Stocktakes
            </Button>
          )}
          {can('inventory.export') && (
            <Menu>
              <Menu.Target>
                <Button variant="default" leftSection={<IconDownload size={16} />}>
                  Export
                </Button>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Item component="a" href={`/api/v1/items/export?${filter}&format=csv`}>
                  CSV
                </Menu.Item>
                <Menu.Item component="a" href={`/api/v1/items/export?${filter}&format=xlsx`}>
                  Excel (XLSX)
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          )}
          {can('inventory.import') && (
            <Button variant="default" leftSection={<IconUpload size={16} />} onClick={() => setDialog('import')}>
              Import
            </Button>
          )}
          {can('inventory.add') && (
            <Button leftSection={<IconPlus size={16} />} onClick={() => setDialog('new')}>
              New item
            </Button>
          )}
        </Group>
      </Group>
      <Group align="flex-end">
        <TextInput
          placeholder="Search SKU, name or location"
          aria-label="Search items"
          leftSection={<IconSearch size={16} />}
          w={300}
          value={search}
          onChange={(e) => {
            setSearch(e.currentTarget.value);
            setPage(1);
          }}
        />
        {can('categories.view') && (
          <Select
            aria-label="Category"
            placeholder="All categories"
            clearable
            w={200}
            data={(categories.data?.items ?? []).map((c) => ({ value: c.id, label: c.name }))}
            value={categoryId}
            onChange={reset(setCategoryId)}
          />
        )}
        {can('suppliers.view') && (
          <Select
            aria-label="Supplier"
            placeholder="All suppliers"
            clearable
            w={200}
            data={(suppliers.data?.items ?? []).map((s) => ({ value: s.id, label: s.name }))}
            value={supplierId}
            onChange={reset(setSupplierId)}
          />
        )}
        <SegmentedControl
          aria-label="Status"
          value={status}
          onChange={(v) => reset(setStatus)(v as typeof status)}
          data={[
            { value: 'active', label: 'Active' },
            { value: 'archived', label: 'Archived' },
            { value: 'all', label: 'All' },
          ]}
        />
        <Switch label="Low stock" checked={lowStock} onChange={(e) => reset(setLowStock)(e.currentTarget.checked)} />
        {can('inventory.bulk_edit') && (
          <Button variant="light" onClick={() => setDialog('bulk')} disabled={rows.length === 0}>
            {selected.length > 0
              ? `Bulk edit ${selected.length} selected…`
              : `Bulk edit all ${items.data?.total ?? 0}…`}
          </Button>
        )}
      </Group>
      {items.isPending ? (
        <TableLoader rows={10} />
      ) : items.isError ? (
        <ErrorState error={items.error} onRetry={() => items.refetch()} />
      ) : rows.length === 0 ? (
        <EmptyState
          title={q || categoryId || supplierId || lowStock ? 'No item matches' : 'No items yet'}
          description={q ? 'Try fewer or shorter words.' : 'Add items one by one, or import a CSV or Excel file.'}
        />
      ) : (
        <>
          <Table striped highlightOnHover verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                {can('inventory.bulk_edit') && (
                  <Table.Th w={36}>
                    <Checkbox
                      aria-label="Select all on this page"
                      checked={rows.every((r) => selected.includes(r.id))}
                      onChange={(e) =>
                        setSelected(
                          e.currentTarget.checked
                            ? [...new Set([...selected, ...rows.map((r) => r.id)])]
                            : selected.filter((id) => !rows.some((r) => r.id === id)),
                        )
                      }
                    />
                  </Table.Th>
                )}
                {header('sku', 'SKU')}
                {header('name', 'Name')}
                <Table.Th>Category</Table.Th>
                <Table.Th>Location</Table.Th>
                {header('onHand', 'On hand')}
                {header('price', 'Price')}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((r) => (
                <Table.Tr
                  key={r.id}
                  style={{ cursor: 'pointer' }}
                  onClick={() => navigate(`/inventory/${r.id}`)}
                  data-sku={r.sku}
                >
                  {can('inventory.bulk_edit') && (
                    <Table.Td onClick={(e) => e.stopPropagation()}>
                      <Checkbox
                        aria-label={`Select ${r.name}`}
                        checked={selected.includes(r.id)}
                        onChange={(e) =>
                          setSelected(
                            e.currentTarget.checked ? [...selected, r.id] : selected.filter((x) => x !== r.id),
                          )
                        }
                      />
                    </Table.Td>
                  )}
                  <Table.Td>
                    <Text size="sm" ff="monospace">
                      {r.sku}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={6}>
                      <Text size="sm">{r.name}</Text>
                      {!r.active && (
                        <Badge size="xs" color="gray">
                          archived
                        </Badge>
                      )}
                    </Group>
                  </Table.Td>
                  <Table.Td>{r.category?.name ?? '—'}</Table.Td>
                  <Table.Td>{r.location || '—'}</Table.Td>
                  <Table.Td>
                    <Group gap={6}>
                      <Text size="sm" fw={500}>
                        {r.onHand} {r.unit}
                      </Text>
                      {r.lowStock && (
                        <Badge size="xs" color="orange">
                          low
                        </Badge>
                      )}
                    </Group>
                  </Table.Td>
                  <Table.Td>{money(r.price)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Group justify="space-between">
            <Text size="sm" c="dimmed">
              {items.data?.total.toLocaleString()} items
            </Text>
            {pages > 1 && <Pagination total={pages} value={page} onChange={setPage} />}
          </Group>
        </>
      )}
      {dialog === 'new' && (
        <ItemFormDialog onClose={() => setDialog(null)} onSaved={(it) => navigate(`/inventory/${it.id}`)} />
      )}
      {dialog === 'import' && <ImportDialog onClose={() => setDialog(null)} />}
      {dialog === 'bulk' && (
        <BulkEditDialog
          count={selected.length || items.data?.total || 0}
          filter={Object.fromEntries(filter)}
          itemIds={selected.length > 0 ? selected : undefined}
          onClose={() => {
            setDialog(null);
            setSelected([]);
          }}
        />
      )}
    </Stack>
  );
}

function BulkEditDialog(props: {
  count: number;
  filter: Record<string, string>;
  itemIds?: string[];
  onClose: () => void;
}) {
  const me = useOutletContext<Me>();
  const queryClient = useQueryClient();
  const categories = useCategories(hasPermission(me, 'categories.view'));
  const [vat, setVat] = useState<number | string>('');
  const [categoryId, setCategoryId] = useState<string | null>(null);
  const [reorder, setReorder] = useState<number | string>('');
  const [active, setActive] = useState<string | null>(null);
  const set = {
    ...(vat !== '' ? { vatRateBp: Math.round(Number(vat) * 100) } : {}),
    ...(categoryId ? { categoryId } : {}),
    ...(reorder !== '' ? { reorderLevel: Number(reorder) } : {}),
    ...(active ? { active: active === 'active' } : {}),
  };
  const { lowStock, ...rest } = props.filter;
  const bulk = useMutation({
    meta: { silent: true },
    mutationFn: () =>
      api.post<{ matched: number; changed: number }>('/api/v1/items/bulk-edit', {
        filter: { ...rest, ...(lowStock ? { lowStock } : {}) },
        ...(props.itemIds ? { itemIds: props.itemIds } : {}),
        set,
      }),
    onSuccess: (r) => {
      notifications.show({
        color: 'teal',
        title: 'Bulk edit done',
        message: `${r.changed} of ${r.matched} items changed.`,
      });
      void queryClient.invalidateQueries({ queryKey: itemsKey });
      props.onClose();
    },
  });
  return (
    <FormDialog
      title={`Change ${props.count} items`}
      submitLabel={`Apply to ${props.count} items`}
      loading={bulk.isPending}
      disabled={Object.keys(set).length === 0}
      error={generalError(bulk.error)}
      onClose={props.onClose}
      onSubmit={() => bulk.mutate()}
    >
      <Text size="sm" c="dimmed">
        Leave a field empty to keep it as it is. Everything is changed in one go, or nothing is; each item’s change is
        audited.
      </Text>
      <NumberInput
        label="VAT rate"
        suffix=" %"
        min={0}
        max={100}
        decimalScale={2}
        value={vat}
        onChange={setVat}
        data-autofocus
      />
      <Select
        label="Category"
        placeholder="Keep"
        clearable
        data={(categories.data?.items ?? []).map((c) => ({ value: c.id, label: c.name }))}
        value={categoryId}
        onChange={setCategoryId}
      />
      <NumberInput label="Reorder level" min={0} allowDecimal={false} value={reorder} onChange={setReorder} />
      <Select
        label="Status"
        placeholder="Keep"
        clearable
        data={[
          { value: 'active', label: 'Active' },
          { value: 'archived', label: 'Archived' },
        ]}
        value={active}
        onChange={setActive}
      />
    </FormDialog>
  );
}
