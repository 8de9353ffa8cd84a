import {
  ActionIcon,
  Checkbox,
  Grid,
  Group,
  NumberInput,
  Select,
  Switch,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useOutletContext } from 'react-router';
import type { Me } from '../../../shared/contracts/auth.ts';
import { MAX_MONEY_MINOR, MAX_QUANTITY } from '../../../shared/contracts/bounds.ts';
import { CreateItemBody, type Item, UpdateItemBody } from '../../../shared/contracts/inventory.ts';
import { ApiError, api, generalError } from '../../app/api.ts';
import { keys } from '../../app/query-keys.ts';
import { hasModule, hasPermission } from '../../app/session.ts';
import { fieldErrors } from '../../app/validate.ts';
import { FormDialog } from '../../components/dialogs.tsx';
import { useCategories, useSuppliers } from './inventory.queries.ts';

type Link = { supplierId: string | null; supplierSku: string; supplierPrice: number | string; preferred: boolean };

const toCents = (v: number | string) => Math.round(Number(v || 0) * 100);

/** Create or edit an item. Money is typed in units (12.50) and stored in cents. */
export function ItemFormDialog({
  item,
  onClose,
  onSaved,
}: {
  item?: Item;
  onClose: () => void;
  onSaved: (item: Item) => void;
}) {
  const me = useOutletContext<Me>();
  const queryClient = useQueryClient();
  // A studio has no categories or suppliers: their fields are hidden and never sent (an item keeps its links).
  const withCategories = hasModule(me, 'categories');
  const withSuppliers = hasModule(me, 'suppliers');
  const categories = useCategories(hasPermission(me, 'categories.view'));
  const suppliers = useSuppliers(hasPermission(me, 'suppliers.view'));
  const form = useForm({
    mode: 'controlled',
    initialValues: {
      sku: item?.sku ?? '',
      name: item?.name ?? '',
      description: item?.description ?? '',
      categoryId: item?.category?.id ?? null,
      unit: item?.unit ?? 'pcs',
      cost: item ? item.cost / 100 : (0 as number | string),
      price: item ? item.price / 100 : (0 as number | string),
      vatRate: item ? item.vatRateBp / 100 : (23 as number | string),
      priceIncludesVat: item?.priceIncludesVat ?? true,
      location: item?.location ?? '',
      reorderLevel: item?.reorderLevel ?? (0 as number | string),
      reorderQuantity: item?.reorderQuantity ?? (0 as number | string),
      openingStock: 0 as number | string,
      suppliers: (item?.suppliers ?? []).map((l) => ({ ...l, supplierPrice: l.supplierPrice / 100 })) as Link[],
    },
    validate: {
      sku: (v) => (/^[A-Za-z0-9][A-Za-z0-9._\-/]*$/.test(v.trim()) ? null : 'Use letters, digits and . _ - / only.'),
      name: (v) => (v.trim() ? null : 'Enter a name.'),
      unit: (v) => (v.trim() ? null : 'Enter a unit, e.g. pcs.'),
    },
  });
  const toBody = (v: typeof form.values) => {
    const body = {
      sku: v.sku.trim(),
      name: v.name.trim(),
      description: v.description,
      ...(withCategories ? { categoryId: v.categoryId } : {}),
      unit: v.unit.trim(),
      cost: toCents(v.cost),
      price: toCents(v.price),
      vatRateBp: toCents(v.vatRate),
      priceIncludesVat: v.priceIncludesVat,
      location: v.location.trim(),
      reorderLevel: Number(v.reorderLevel || 0),
      reorderQuantity: Number(v.reorderQuantity || 0),
      ...(withSuppliers
        ? {
            suppliers: v.suppliers
              .filter((l) => l.supplierId)
              .map((l) => ({
                supplierId: l.supplierId as string,
                supplierSku: l.supplierSku,
                supplierPrice: toCents(l.supplierPrice),
                preferred: l.preferred,
              })),
          }
        : {}),
    };
    return item ? body : { ...body, openingStock: Number(v.openingStock || 0) };
  };
  const save = useMutation({
    meta: { silent: true },
    mutationFn: (body: ReturnType<typeof toBody>) =>
      item ? api.patch<Item>(`/api/v1/items/${item.id}`, body) : api.post<Item>('/api/v1/items', body),
    onSuccess: (saved) => {
      void queryClient.invalidateQueries({ queryKey: keys.items.all });
      onSaved(saved);
    },
    onError: (err) => {
      if (!(err instanceof ApiError)) return;
      const errors = err.fieldErrors();
      form.setErrors(
        Object.fromEntries(Object.entries(errors).map(([k, v]) => [k === 'vatRateBp' ? 'vatRate' : k, v])),
      );
    },
  });
  return (
    <FormDialog
      title={item ? `Edit ${item.name}` : 'New item'}
      size="xl"
      submitLabel={item ? 'Save item' : 'Create item'}
      loading={save.isPending}
      error={generalError(save.error)}
      onClose={onClose}
      onSubmit={() => {
        if (form.validate().hasErrors) return;
        // The shared schema the server applies: a wrong number is shown on its field and nothing is sent.
        const body = toBody(form.values);
        const problems = fieldErrors(item ? UpdateItemBody : CreateItemBody, body);
        if (problems) {
          form.setErrors(
            Object.fromEntries(Object.entries(problems).map(([k, v]) => [k === 'vatRateBp' ? 'vatRate' : k, v])),
          );
          return;
        }
        save.mutate(body);
      }}
    >
      <Grid>
        <Grid.Col span={{ base: 12, sm: 4 }}>
          <TextInput label="SKU" required data-autofocus {...form.getInputProps('sku')} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 8 }}>
          <TextInput label="Name" required {...form.getInputProps('name')} />
        </Grid.Col>
        {withCategories && (
          <Grid.Col span={{ base: 12, sm: 4 }}>
            <Select
              label="Category"
              placeholder="None"
              clearable
              searchable
              data={(categories.data?.items ?? []).map((c) => ({ value: c.id, label: c.name }))}
              {...form.getInputProps('categoryId')}
            />
          </Grid.Col>
        )}
        <Grid.Col span={{ base: 12, sm: 4 }}>
          <TextInput label="Unit" description="pcs, box, ml…" required {...form.getInputProps('unit')} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 4 }}>
          <TextInput label="Location" description="Shelf, room or bin" {...form.getInputProps('location')} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, xs: 6, sm: 3 }}>
          <NumberInput
            clampBehavior="none"
            label="Cost"
            min={0}
            max={MAX_MONEY_MINOR / 100}
            decimalScale={2}
            fixedDecimalScale
            prefix={`${me.business.currency} `}
            {...form.getInputProps('cost')}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 12, xs: 6, sm: 3 }}>
          <NumberInput
            clampBehavior="none"
            label="Price"
            min={0}
            max={MAX_MONEY_MINOR / 100}
            decimalScale={2}
            fixedDecimalScale
            prefix={`${me.business.currency} `}
            {...form.getInputProps('price')}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 12, xs: 6, sm: 3 }}>
          <NumberInput
            clampBehavior="none"
            label="VAT rate"
            min={0}
            max={100}
            decimalScale={2}
            suffix=" %"
            {...form.getInputProps('vatRate')}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 12, xs: 6, sm: 3 }} pt={{ base: 0, sm: 'xl' }}>
          <Switch label="Price includes VAT" {...form.getInputProps('priceIncludesVat', { type: 'checkbox' })} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 4 }}>
          <NumberInput
            clampBehavior="none"
            label="Reorder level"
            description="Low stock at or below this"
            min={0}
            max={MAX_QUANTITY}
            allowDecimal={false}
            {...form.getInputProps('reorderLevel')}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 4 }}>
          <NumberInput
            clampBehavior="none"
            label="Reorder quantity"
            description="How many to order (0: twice the level)"
            min={0}
            max={MAX_QUANTITY}
            allowDecimal={false}
            {...form.getInputProps('reorderQuantity')}
          />
        </Grid.Col>
        {!item && (
          <Grid.Col span={{ base: 12, sm: 4 }}>
            <NumberInput
              clampBehavior="none"
              label="Opening stock"
              description="Booked as a stock-in movement"
              min={0}
              max={MAX_QUANTITY}
              allowDecimal={false}
              {...form.getInputProps('openingStock')}
            />
          </Grid.Col>
        )}
        <Grid.Col span={12}>
          <Textarea label="Description" autosize minRows={2} {...form.getInputProps('description')} />
        </Grid.Col>
        {hasPermission(me, 'suppliers.view') && (
          <Grid.Col span={12}>
            <Group justify="space-between" mb={4}>
              <Text size="sm" fw={500}>
                Suppliers
              </Text>
              <ActionIcon
                variant="light"
                aria-label="Add a supplier"
                onClick={() =>
                  form.insertListItem('suppliers', {
                    supplierId: null,
                    supplierSku: '',
                    supplierPrice: 0,
                    preferred: form.values.suppliers.length === 0,
                  })
                }
              >
                <IconPlus size={14} />
              </ActionIcon>
            </Group>
            {form.values.suppliers.length === 0 && (
              <Text size="xs" c="dimmed">
                No supplier yet. Suppliers and their prices feed the purchase-order suggestions.
              </Text>
            )}
            {form.values.suppliers.map((_, i) => (
              <Group key={String(i)} gap="xs" mb="xs" wrap="wrap">
                <Select
                  aria-label="Supplier"
                  placeholder="Supplier"
                  searchable
                  style={{ flex: '2 1 12rem' }}
                  data={(suppliers.data?.items ?? []).map((s) => ({ value: s.id, label: s.name }))}
                  {...form.getInputProps(`suppliers.${i}.supplierId`)}
                />
                <TextInput
                  aria-label="Supplier SKU"
                  placeholder="Their SKU"
                  style={{ flex: '1 1 7rem' }}
                  {...form.getInputProps(`suppliers.${i}.supplierSku`)}
                />
                <NumberInput
                  clampBehavior="none"
                  aria-label="Supplier price"
                  placeholder="Their price"
                  min={0}
                  decimalScale={2}
                  style={{ flex: '1 1 7rem' }}
                  {...form.getInputProps(`suppliers.${i}.supplierPrice`)}
                />
                <Checkbox label="Preferred" {...form.getInputProps(`suppliers.${i}.preferred`, { type: 'checkbox' })} />
                <ActionIcon
                  variant="subtle"
                  color="red"
                  aria-label="Remove supplier"
                  onClick={() => form.removeListItem('suppliers', i)}
                >
                  <IconTrash size={14} />
                </ActionIcon>
              </Group>
            ))}
          </Grid.Col>
        )}
      </Grid>
    </FormDialog>
  );
}
