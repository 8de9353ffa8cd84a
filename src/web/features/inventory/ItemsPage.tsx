import {
  Badge,
  Button,
  Checkbox,
  Group,
  Menu,
  NumberInput,
  SegmentedControl,
  Select,
  Stack,
  Switch,
  Text,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconDownload, IconPlus, IconUpload } from '@tabler/icons-react';
import { useState } from 'react';
import { useNavigate, useOutletContext } from 'react-router';
import type { Me } from '../../../shared/contracts/auth.ts';
import { BulkEditBody, type Item } from '../../../shared/contracts/inventory.ts';
import type { Permission } from '../../../shared/permissions/catalog.ts';
import { generalError } from '../../app/api.ts';
import { formatMoney, plural, quantity } from '../../app/format.ts';
import { hasModule, hasPermission } from '../../app/session.ts';
import { usePageTitle } from '../../app/title.ts';
import { fieldErrors } from '../../app/validate.ts';
import { type Column, DataTable } from '../../components/DataTable.tsx';
import { FormDialog } from '../../components/dialogs.tsx';
import { FilterBar } from '../../components/FilterBar.tsx';
import { ImportDialog } from './ImportDialog.tsx';
import { ItemFormDialog } from './ItemForm.tsx';
import { useBulkEdit, useCategories, useItems, useSuppliers } from './inventory.queries.ts';

type Sort = 'name' | 'sku' | 'onHand' | 'price' | 'updatedAt';

export function ItemsPage() {
  const me = useOutletContext<Me>();
  const navigate = useNavigate();
  const can = (p: Permission) => hasPermission(me, p);
  usePageTitle('Inventory');
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
  const items = useItems(query.toString());
  const rows = items.data?.items ?? [];
  const money = (v: number) => formatMoney(v, me.business.currency);
  const columns: Column<Item>[] = [
    ...(can('inventory.bulk_edit')
      ? [
          {
            key: 'select',
            label: 'Select',
            width: 36,
            stopRowClick: true,
            header: (
              <Checkbox
                aria-label="Select all on this page"
                checked={rows.length > 0 && rows.every((r) => selected.includes(r.id))}
                onChange={(e) =>
                  setSelected(
                    e.currentTarget.checked
                      ? [...new Set([...selected, ...rows.map((r) => r.id)])]
                      : selected.filter((id) => !rows.some((r) => r.id === id)),
                  )
                }
              />
            ),
            cell: (r: Item) => (
              <Checkbox
                aria-label={`Select ${r.name}`}
                checked={selected.includes(r.id)}
                onChange={(e) =>
                  setSelected(e.currentTarget.checked ? [...selected, r.id] : selected.filter((x) => x !== r.id))
                }
              />
            ),
          },
        ]
      : []),
    {
      key: 'sku',
      header: 'SKU',
      sortable: true,
      cell: (r) => (
        <Text size="sm" ff="monospace" span style={{ whiteSpace: 'nowrap' }}>
          {r.sku}
        </Text>
      ),
    },
    {
      key: 'name',
      header: 'Name',
      sortable: true,
      primary: true,
      cell: (r) => (
        <>
          {r.name}
          {!r.active && (
            <Badge size="xs" color="gray" ml={6}>
              archived
            </Badge>
          )}
        </>
      ),
    },
    ...(hasModule(me, 'categories')
      ? [{ key: 'category', header: 'Category', cell: (r: Item) => r.category?.name ?? '—' }]
      : []),
    { key: 'location', header: 'Location', cell: (r) => r.location || '—' },
    {
      key: 'onHand',
      header: 'On hand',
      sortable: true,
      cell: (r) => (
        <Group gap={6}>
          <Text size="sm" fw={500}>
            {quantity(r.onHand, r.unit)}
          </Text>
          {r.lowStock && (
            <Badge size="xs" color="orange">
              low
            </Badge>
          )}
        </Group>
      ),
    },
    { key: 'price', header: 'Price', sortable: true, cell: (r) => money(r.price) },
  ];
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
      <FilterBar
        label="Filter items"
        search={{
          value: search,
          onChange: (v) => {
            setSearch(v);
            setPage(1);
          },
          placeholder: 'Search SKU, name or location',
          label: 'Search items',
        }}
        onClear={
          search || categoryId || supplierId || lowStock || status !== 'active'
            ? () => {
                setSearch('');
                setCategoryId(null);
                setSupplierId(null);
                setLowStock(false);
                reset(setStatus)('active');
              }
            : null
        }
      >
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
          <Button
            variant="light"
            onClick={() => setDialog('bulk')}
            disabled={rows.length === 0}
            // On a phone the label wraps instead of being cut to "Bulk edit a…".
            maw="100%"
            h="auto"
            mih={36}
            styles={{ label: { whiteSpace: 'normal', overflow: 'visible', textAlign: 'left' } }}
          >
            {selected.length > 0
              ? `Bulk edit ${selected.length} selected…`
              : `Bulk edit all ${plural(items.data?.total ?? 0, 'item')}…`}
          </Button>
        )}
      </FilterBar>
      <DataTable
        label="Items"
        columns={columns}
        rows={items.data?.items}
        rowKey={(r) => r.id}
        rowHref={(r) => `/inventory/${r.id}`}
        rowAttributes={(r) => ({ 'data-sku': r.sku })}
        isPending={items.isPending}
        error={items.error}
        onRetry={() => items.refetch()}
        loadingRows={10}
        empty={{
          title: q || categoryId || supplierId || lowStock ? 'No item matches' : 'No items yet',
          description: q ? 'Try fewer or shorter words.' : 'Add items one by one, or import a CSV or Excel file.',
        }}
        sort={sort}
        onSort={(s) => {
          setSort(s as typeof sort);
          setPage(1);
        }}
        paging={{ page, pageSize: 50, total: items.data?.total ?? 0, onPage: setPage }}
        footer={
          <Text size="sm" c="dimmed">
            {plural(items.data?.total ?? 0, 'item')}
          </Text>
        }
      />
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

/** The bulk edit's choice that leaves no supplier preferred. */
const NO_SUPPLIER = '__none__';

function BulkEditDialog(props: {
  count: number;
  filter: Record<string, string>;
  itemIds?: string[];
  onClose: () => void;
}) {
  const me = useOutletContext<Me>();
  const categories = useCategories(hasPermission(me, 'categories.view'));
  // Choosing the preferred supplier needs what the item form needs to change suppliers.
  const canSupplier = hasPermission(me, 'suppliers.view') && hasPermission(me, 'inventory.edit');
  const suppliers = useSuppliers(canSupplier);
  const [supplier, setSupplier] = useState<string | null>(null);
  const [vat, setVat] = useState<number | string>('');
  const [categoryId, setCategoryId] = useState<string | null>(null);
  const [reorder, setReorder] = useState<number | string>('');
  const [active, setActive] = useState<string | null>(null);
  const [invalid, setInvalid] = useState<Record<string, string>>({});
  const set = {
    ...(vat !== '' ? { vatRateBp: Math.round(Number(vat) * 100) } : {}),
    ...(categoryId ? { categoryId } : {}),
    ...(reorder !== '' ? { reorderLevel: Number(reorder) } : {}),
    ...(active ? { active: active === 'active' } : {}),
    ...(supplier ? { preferredSupplierId: supplier === NO_SUPPLIER ? null : supplier } : {}),
  };
  const { lowStock, ...rest } = props.filter;
  const bulk = useBulkEdit();
  const apply = () => {
    // The shared schema the server applies: a wrong figure is shown on its field, nothing is sent.
    const problems = fieldErrors(BulkEditBody.shape.set, set);
    setInvalid(problems ?? {});
    if (problems) return;
    bulk.mutate(
      {
        filter: { ...rest, ...(lowStock ? { lowStock } : {}) },
        ...(props.itemIds ? { itemIds: props.itemIds } : {}),
        set,
      },
      {
        onSuccess: (r) => {
          notifications.show({
            color: 'teal',
            title: 'Bulk edit done',
            message: `${r.changed} of ${plural(r.matched, 'item')} changed.`,
          });
          props.onClose();
        },
      },
    );
  };
  return (
    <FormDialog
      title={`Change ${plural(props.count, 'item')}`}
      submitLabel={`Apply to ${plural(props.count, 'item')}`}
      loading={bulk.isPending}
      disabled={Object.keys(set).length === 0 && 'Fill in at least one field to change.'}
      error={generalError(bulk.error)}
      onClose={props.onClose}
      onSubmit={apply}
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
        clampBehavior="none"
        value={vat}
        error={invalid.vatRateBp}
        onChange={(v) => {
          setVat(v);
          setInvalid({});
        }}
        data-autofocus
      />
      {hasModule(me, 'categories') && (
        <Select
          label="Category"
          placeholder="Keep"
          clearable
          data={(categories.data?.items ?? []).map((c) => ({ value: c.id, label: c.name }))}
          value={categoryId}
          onChange={setCategoryId}
        />
      )}
      <NumberInput
        label="Reorder level"
        min={0}
        clampBehavior="none"
        allowDecimal={false}
        value={reorder}
        error={invalid.reorderLevel}
        onChange={(v) => {
          setReorder(v);
          setInvalid({});
        }}
      />
      {canSupplier && (
        <Select
          label="Preferred supplier"
          placeholder="Keep"
          description="A supplier an item already has keeps its supplier SKU and price; a new one starts without (orders use the item’s cost). Other suppliers stay linked."
          clearable
          searchable
          nothingFoundMessage={suppliers.isError ? 'Suppliers could not be loaded' : 'No supplier by that name'}
          disabled={suppliers.isPending}
          data={[
            { value: NO_SUPPLIER, label: 'No preferred supplier' },
            ...(suppliers.data?.items ?? []).map((s) => ({ value: s.id, label: s.name })),
          ]}
          value={supplier}
          onChange={setSupplier}
        />
      )}
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
