import { NumberInput, SegmentedControl, Text, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { MAX_QUANTITY } from '../../../shared/contracts/bounds.ts';
import { type Item, StockChangeBody } from '../../../shared/contracts/inventory.ts';
import { ApiError, api, generalError } from '../../app/api.ts';
import { quantity as formatQuantity, unitFor } from '../../app/format.ts';
import { keys } from '../../app/query-keys.ts';
import { fieldErrors } from '../../app/validate.ts';
import { FormDialog } from '../../components/dialogs.tsx';

type Kind = 'in' | 'out' | 'adjustment';

/** Stock in, stock out, or an adjustment (which needs a reason). */
export function StockDialog({ item, initial, onClose }: { item: Item; initial: Kind; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<Kind>(initial);
  const [quantity, setQuantity] = useState<number | string>('');
  const [reason, setReason] = useState('');
  const [invalid, setInvalid] = useState<Record<string, string>>({});
  const change = useMutation({
    meta: { silent: true },
    mutationFn: (body: StockChangeBody) => api.post<{ item: Item }>(`/api/v1/items/${item.id}/stock`, body),
    onSuccess: (r) => {
      notifications.show({
        color: 'teal',
        message: `${item.name}: ${formatQuantity(r.item.onHand, item.unit)} on hand now.`,
      });
      void queryClient.invalidateQueries({ queryKey: keys.items.all });
      onClose();
    },
  });
  const errors = { ...(change.error instanceof ApiError ? change.error.fieldErrors() : {}), ...invalid };
  // Checked by the shared schema the server applies: "−4" out is refused here, not booked as 4.
  const submit = () => {
    const body = { kind, quantity: Number(quantity), reason: reason || undefined };
    const problems = fieldErrors(StockChangeBody, body);
    setInvalid(problems ?? {});
    if (!problems) change.mutate(body);
  };
  const q = Number(quantity);
  const after = kind === 'out' ? item.onHand - q : item.onHand + q;
  return (
    <FormDialog
      title={`Stock of ${item.name}`}
      submitLabel={kind === 'in' ? 'Add to stock' : kind === 'out' ? 'Take from stock' : 'Adjust stock'}
      loading={change.isPending}
      disabled={quantity === '' && (kind === 'adjustment' ? 'Enter the change.' : 'Enter a quantity.')}
      error={generalError(change.error)}
      onClose={onClose}
      onSubmit={submit}
    >
      <SegmentedControl
        value={kind}
        onChange={(v) => {
          setKind(v as Kind);
          setInvalid({});
        }}
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
        clampBehavior="none"
        min={kind === 'adjustment' ? -MAX_QUANTITY : 0}
        max={MAX_QUANTITY}
        data-autofocus
        suffix={` ${unitFor(quantity === '' ? 2 : Number(quantity), item.unit)}`}
        value={quantity}
        onChange={(v) => {
          setQuantity(v);
          setInvalid({});
        }}
        error={errors.quantity}
      />
      <Textarea
        label="Reason"
        required={kind === 'adjustment'}
        description={
          kind === 'adjustment' ? 'Required for adjustments; kept in the ledger and the audit log.' : 'Optional'
        }
        value={reason}
        onChange={(e) => {
          setReason(e.currentTarget.value);
          setInvalid({});
        }}
        error={errors.reason}
      />
      <Text size="sm" c={q && after < 0 ? 'red' : 'dimmed'}>
        On hand: {formatQuantity(item.onHand, item.unit)}
        {q ? ` → ${formatQuantity(after, item.unit)}` : ''}
      </Text>
    </FormDialog>
  );
}
