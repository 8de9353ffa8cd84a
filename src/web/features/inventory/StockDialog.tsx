import { NumberInput, SegmentedControl, Text, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { MAX_QUANTITY } from '../../../shared/contracts/bounds.ts';
import type { Item } from '../../../shared/contracts/inventory.ts';
import { ApiError, api, generalError } from '../../app/api.ts';
import { keys } from '../../app/query-keys.ts';
import { FormDialog } from '../../components/dialogs.tsx';

type Kind = 'in' | 'out' | 'adjustment';

/** Stock in, stock out, or an adjustment (which needs a reason). */
export function StockDialog({ item, initial, onClose }: { item: Item; initial: Kind; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<Kind>(initial);
  const [quantity, setQuantity] = useState<number | string>('');
  const [reason, setReason] = useState('');
  const change = useMutation({
    meta: { silent: true },
    mutationFn: () =>
      api.post<{ item: Item }>(`/api/v1/items/${item.id}/stock`, {
        kind,
        quantity: Number(quantity),
        reason: reason || undefined,
      }),
    onSuccess: (r) => {
      notifications.show({ color: 'teal', message: `${item.name}: ${r.item.onHand} ${item.unit} on hand now.` });
      void queryClient.invalidateQueries({ queryKey: keys.items.all });
      onClose();
    },
  });
  const errors = change.error instanceof ApiError ? change.error.fieldErrors() : {};
  const q = Number(quantity);
  const after = kind === 'out' ? item.onHand - q : item.onHand + q;
  return (
    <FormDialog
      title={`Stock of ${item.name}`}
      submitLabel={kind === 'in' ? 'Add to stock' : kind === 'out' ? 'Take from stock' : 'Adjust stock'}
      loading={change.isPending}
      disabled={!q || (kind !== 'adjustment' && q < 0) || (kind === 'adjustment' && reason.trim().length < 3)}
      error={generalError(change.error)}
      onClose={onClose}
      onSubmit={() => change.mutate()}
    >
      <SegmentedControl
        value={kind}
        onChange={(v) => setKind(v as Kind)}
        data={[
          { value: 'in', label: 'Stock in' },
          { value: 'out', label: 'Stock out' },
          { value: 'adjustment', label: 'Adjustment' },
        ]}
      />
      <NumberInput
        label={kind === 'adjustment' ? 'Change (+ or −)' : 'Quantity'}
        description={kind === 'adjustment' ? 'e.g. −2 for two broken, +1 for one found' : undefined}
        allowDecimal={false}
        allowNegative={kind === 'adjustment'}
        min={kind === 'adjustment' ? -MAX_QUANTITY : 0}
        max={MAX_QUANTITY}
        data-autofocus
        suffix={` ${item.unit}`}
        value={quantity}
        onChange={setQuantity}
        error={errors.quantity}
      />
      <Textarea
        label="Reason"
        required={kind === 'adjustment'}
        description={
          kind === 'adjustment' ? 'Required for adjustments; kept in the ledger and the audit log.' : 'Optional'
        }
        value={reason}
        onChange={(e) => setReason(e.currentTarget.value)}
        error={errors.reason}
      />
      <Text size="sm" c={q && after < 0 ? 'red' : 'dimmed'}>
        On hand: {item.onHand} {item.unit}
        {q ? ` → ${after} ${item.unit}` : ''}
      </Text>
    </FormDialog>
  );
}
