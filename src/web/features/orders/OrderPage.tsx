import {
  Badge,
  Button,
  Card,
  FileButton,
  Group,
  NumberInput,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconDownload, IconFileTypePdf } from '@tabler/icons-react';
import { type ReactNode, useState } from 'react';
import { useNavigate, useOutletContext, useParams } from 'react-router';
import type { Me } from '../../../shared/contracts/auth.ts';
import {
  isReceivable,
  OVER_DELIVERY_REASON_MAX,
  type PurchaseOrder,
  ReceiveBody,
} from '../../../shared/contracts/inventory.ts';
import type { Permission } from '../../../shared/permissions/catalog.ts';
import { ApiError, generalError } from '../../app/api.ts';
import { formatDateTime, formatMoney, quantity } from '../../app/format.ts';
import { hasPermission } from '../../app/session.ts';
import { usePageTitle } from '../../app/title.ts';
import { fieldErrors } from '../../app/validate.ts';
import { TableBox } from '../../components/DataTable.tsx';
import { ConfirmDialog, FormDialog } from '../../components/dialogs.tsx';
import { BackLink, ErrorState, TableLoader } from '../../components/states.tsx';
import { formatCalendarDate, OrderForm, OverdueBadge, STATUS } from './OrdersPage.tsx';
import { useAttachInvoice, useOrder, useOrderAction, useReceiveOrder } from './orders.queries.ts';

export function OrderPage() {
  const me = useOutletContext<Me>();
  const { id } = useParams() as { id: string };
  const navigate = useNavigate();
  const can = (p: Permission) => hasPermission(me, p);
  const [dialog, setDialog] = useState<'edit' | 'receive' | 'place' | 'cancel' | 'delete' | null>(null);
  const order = useOrder(id);
  usePageTitle(order.data?.reference ?? 'Purchase order', order.data ? order.data.supplier.name : null);
  const done = (message: string) => {
    setDialog(null);
    notifications.show({ color: 'teal', message });
  };
  const act = useOrderAction(id);
  const runAction = (what: 'place' | 'cancel' | 'delete') =>
    act.mutate(what, {
      onSuccess: () => {
        if (what !== 'delete') return done(what === 'place' ? 'Order placed.' : 'Order cancelled.');
        notifications.show({ color: 'teal', message: 'Order deleted.' });
        navigate('/orders');
      },
    });
  const invoice = useAttachInvoice(id);
  const attach = (file: File) =>
    invoice.mutate(file, {
      onSuccess: () => done('Invoice attached.'),
      onError: (err) =>
        notifications.show({
          color: 'red',
          title: 'Invoice not attached',
          message: err instanceof ApiError ? err.message : String(err),
        }),
    });
  if (order.isPending) return <TableLoader rows={6} />;
  if (order.isError) return <ErrorState error={order.error} onRetry={() => order.refetch()} />;
  const o = order.data;
  const money = (v: number) => formatMoney(v, me.business.currency);
  const open = isReceivable(o.status);
  const received = o.lines.some((l) => l.received > 0);
  return (
    <Stack>
      <BackLink to="/orders" label="Purchase orders" />
      <Group justify="space-between" align="flex-start">
        <div>
          <Group gap="xs">
            <Title order={1} size="h2">
              {o.reference}
            </Title>
            <Badge color={STATUS[o.status].color} data-testid="order-status">
              {STATUS[o.status].label}
            </Badge>
          </Group>
          <Text c="dimmed">
            {o.supplier.name} · {money(o.total)} · created {formatDateTime(o.createdAt, me.business.timezone)}
          </Text>
        </div>
        <Group>
          <Button
            component="a"
            href={`/api/v1/purchase-orders/${o.id}/pdf`}
            download={`${o.reference}.pdf`}
            variant="default"
            leftSection={<IconDownload size={16} />}
          >
            Download PDF
          </Button>
          {o.status === 'draft' && can('orders.create') && (
            <Button onClick={() => setDialog('place')}>Place order…</Button>
          )}
          {open && can('orders.receive') && <Button onClick={() => setDialog('receive')}>Receive delivery</Button>}
          {(o.status === 'draft' || o.status === 'ordered') && can('orders.edit') && (
            <Button variant="default" onClick={() => setDialog('edit')}>
              Change
            </Button>
          )}
          {(o.status === 'draft' || open) && can('orders.edit') && (
            <Button variant="subtle" color="red" onClick={() => setDialog('cancel')}>
              Cancel order…
            </Button>
          )}
          {!received && can('orders.delete') && (
            <Button variant="subtle" color="red" onClick={() => setDialog('delete')}>
              Delete…
            </Button>
          )}
        </Group>
      </Group>
      <SimpleGrid cols={{ base: 2, md: 4 }} spacing="xs" component="dl" m={0}>
        <Fact label="Expected delivery">
          {o.expectedAt ? (
            <Group gap={6} component="span">
              {formatCalendarDate(o.expectedAt)}
              {o.overdue && <OverdueBadge />}
            </Group>
          ) : (
            'Not set'
          )}
        </Fact>
        <Fact label="Supplier reference">{o.supplierReference ?? 'None'}</Fact>
        <Fact label="Ordered">
          {o.orderedAt ? formatDateTime(o.orderedAt, me.business.timezone) : 'Not yet placed'}
        </Fact>
        <Fact label="Closed">{o.closedAt ? formatDateTime(o.closedAt, me.business.timezone) : '—'}</Fact>
      </SimpleGrid>
      <TableBox label="Order lines">
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>SKU</Table.Th>
              <Table.Th>Item</Table.Th>
              <Table.Th ta="right">Ordered</Table.Th>
              <Table.Th ta="right">Received</Table.Th>
              <Table.Th ta="right">Unit cost</Table.Th>
              <Table.Th ta="right">Line total</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {o.lines.map((l) => (
              <Table.Tr key={l.id}>
                <Table.Td ff="monospace" style={{ whiteSpace: 'nowrap' }}>
                  {l.sku}
                </Table.Td>
                <Table.Td>{l.name}</Table.Td>
                <Table.Td ta="right">{quantity(l.quantity, l.unit)}</Table.Td>
                <Table.Td ta="right" c={l.received >= l.quantity ? 'teal' : undefined}>
                  {l.received}
                  {l.received > l.quantity && (
                    <Badge ml={6} color="orange" variant="light">
                      {l.received - l.quantity} over
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td ta="right">{money(l.unitCost)}</Table.Td>
                <Table.Td ta="right">{money(l.unitCost * l.quantity)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </TableBox>
      {o.notes && <Text size="sm">{o.notes}</Text>}
      <Card withBorder>
        <Group justify="space-between">
          <Group gap="xs">
            <IconFileTypePdf size={20} />
            {o.invoice ? (
              <Text size="sm">
                <a href={`/api/v1/purchase-orders/${o.id}/invoice`}>{o.invoice.name}</a> ·{' '}
                {(o.invoice.size / 1024).toFixed(0)} KB · uploaded{' '}
                {formatDateTime(o.invoice.uploadedAt, me.business.timezone)}
              </Text>
            ) : (
              <Text size="sm" c="dimmed">
                No invoice attached yet (PDF, at most 10 MB).
              </Text>
            )}
          </Group>
          {can('orders.upload_invoice') && (
            <FileButton accept="application/pdf" onChange={(f) => f && attach(f)}>
              {(props) => (
                <Button {...props} variant="default" loading={invoice.isPending}>
                  {o.invoice ? 'Replace invoice' : 'Attach invoice'}
                </Button>
              )}
            </FileButton>
          )}
        </Group>
      </Card>
      {dialog === 'edit' && (
        <OrderForm order={o} onClose={() => setDialog(null)} onSaved={() => done('Order saved.')} />
      )}
      {dialog === 'receive' && (
        <ReceiveDialog
          order={o}
          onClose={() => setDialog(null)}
          onDone={() => done('Delivery received; stock updated.')}
        />
      )}
      <ConfirmDialog
        opened={dialog === 'place' || dialog === 'cancel' || dialog === 'delete'}
        title={
          dialog === 'place'
            ? `Place ${o.reference}?`
            : dialog === 'cancel'
              ? `Cancel ${o.reference}?`
              : `Delete ${o.reference}?`
        }
        confirmLabel={dialog === 'place' ? 'Place order' : dialog === 'cancel' ? 'Cancel order' : 'Delete order'}
        danger={dialog !== 'place'}
        loading={act.isPending}
        error={act.error instanceof Error ? act.error.message : null}
        onClose={() => {
          act.reset();
          setDialog(null);
        }}
        onConfirm={() => dialog && dialog !== 'edit' && dialog !== 'receive' && runAction(dialog)}
      >
        <Text size="sm">
          {dialog === 'place'
            ? `It is marked as ordered from ${o.supplier.name}; deliveries can then be received against it.`
            : dialog === 'cancel'
              ? 'Nothing more will be received on it. What was received stays in stock.'
              : 'It is removed (the audit log keeps what it was). Only orders on which nothing was received can be deleted.'}
        </Text>
      </ConfirmDialog>
    </Stack>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text component="dt" size="xs" c="dimmed">
        {label}
      </Text>
      <Text component="dd" size="sm" m={0}>
        {children}
      </Text>
    </div>
  );
}

function ReceiveDialog({
  order,
  onClose,
  onDone,
}: {
  order: PurchaseOrder;
  onClose: () => void;
  onDone: (o: PurchaseOrder) => void;
}) {
  const due = order.lines.filter((l) => l.received < l.quantity);
  const left = (l: PurchaseOrder['lines'][number]) => l.quantity - l.received;
  // Every line starts at 0: what arrived is counted, not assumed.
  const [qty, setQty] = useState<Record<number, number | string>>(Object.fromEntries(due.map((l) => [l.id, 0])));
  // More than is due on a line is an over-delivery: it asks why, on the line.
  const [reasons, setReasons] = useState<Record<number, string>>({});
  const [invalid, setInvalid] = useState<Record<string, string>>({});
  const [note, setNote] = useState('');
  const receive = useReceiveOrder(order.id);
  const amount = (l: PurchaseOrder['lines'][number]) => (qty[l.id] === '' ? 0 : Number(qty[l.id] ?? 0));
  const over = (l: PurchaseOrder['lines'][number]) => Math.max(0, amount(l) - left(l));
  const serverErrors = receive.error instanceof ApiError ? receive.error.fieldErrors() : {};
  const submit = () => {
    const problems: Record<string, string> = {};
    const lines = due
      .filter((l) => amount(l) !== 0)
      .map((l) => ({
        lineId: l.id,
        quantity: amount(l),
        ...(over(l) > 0 ? { overDeliveryReason: (reasons[l.id] ?? '').trim() } : {}),
      }));
    for (const line of lines) {
      const found = fieldErrors(ReceiveBody, { lines: [line] });
      if (!found) continue;
      const quantity = found['lines.0.quantity'];
      const reason = found['lines.0.overDeliveryReason'];
      if (quantity) problems[`q${line.lineId}`] = quantity;
      if (reason) {
        const l = due.find((d) => d.id === line.lineId);
        problems[`r${line.lineId}`] = l
          ? `Only ${left(l)} ${left(l) === 1 ? 'is' : 'are'} due on this line; say why ${over(l)} more arrived.`
          : reason;
        if (line.overDeliveryReason) problems[`r${line.lineId}`] = reason; // too long: say so
      }
      if (!quantity && !reason) problems[`q${line.lineId}`] = Object.values(found)[0] ?? 'Enter a whole number.';
    }
    setInvalid(problems);
    if (Object.keys(problems).length > 0) return;
    receive.mutate({ lines, ...(note.trim() ? { note: note.trim() } : {}) }, { onSuccess: onDone });
  };
  /** A server error about line `i` of what was sent, shown on that line. */
  const sentIndex = (l: PurchaseOrder['lines'][number]) => due.filter((d) => amount(d) !== 0).indexOf(l);

  return (
    <FormDialog
      title={`Receive a delivery on ${order.reference}`}
      size="lg"
      submitLabel="Receive"
      loading={receive.isPending}
      disabled={!due.some((l) => amount(l) !== 0) && 'Enter what arrived on at least one line.'}
      error={generalError(receive.error)}
      onClose={onClose}
      onSubmit={submit}
    >
      <Group justify="space-between" wrap="wrap">
        <Text size="sm" c="dimmed" style={{ flex: '1 1 16rem' }}>
          Enter what arrived. Each line adds to the item’s stock as a receipt; what is still due stays open. More than
          is due is recorded as an over-delivery, with a reason.
        </Text>
        <Button
          variant="light"
          size="xs"
          onClick={() => {
            setQty(Object.fromEntries(due.map((l) => [l.id, left(l)])));
            setInvalid({});
          }}
        >
          Receive all that is due
        </Button>
      </Group>
      {due.map((l, i) => (
        <Stack key={l.id} gap={6}>
          <Group justify="space-between" wrap="wrap" align="flex-start">
            <Text size="sm" style={{ flex: '1 1 12rem' }} pt={6}>
              {l.sku} · {l.name}{' '}
              <Text span c="dimmed">
                ({left(l)} of {l.quantity} due)
              </Text>
            </Text>
            <NumberInput
              aria-label={`Received ${l.name}`}
              w={140}
              clampBehavior="none"
              min={0}
              allowDecimal={false}
              data-autofocus={i === 0 ? true : undefined}
              value={qty[l.id] ?? 0}
              error={invalid[`q${l.id}`] ?? serverErrors[`lines.${sentIndex(l)}.quantity`]}
              onChange={(v) => {
                setQty({ ...qty, [l.id]: v });
                setInvalid({});
              }}
            />
          </Group>
          {over(l) > 0 && (
            <Textarea
              label={`Why did ${over(l)} more ${l.unit} arrive than is due?`}
              description="Recorded as an over-delivery: the extra goes into stock, and the reason goes into the ledger and the audit log."
              required
              autosize
              minRows={1}
              maxLength={OVER_DELIVERY_REASON_MAX + 50}
              value={reasons[l.id] ?? ''}
              error={invalid[`r${l.id}`] ?? serverErrors[`lines.${sentIndex(l)}.overDeliveryReason`]}
              onChange={(e) => {
                setReasons({ ...reasons, [l.id]: e.currentTarget.value });
                setInvalid({});
              }}
            />
          )}
        </Stack>
      ))}
      <TextInput
        label="Note"
        placeholder="e.g. delivery note 4471"
        value={note}
        onChange={(e) => setNote(e.currentTarget.value)}
      />
    </FormDialog>
  );
}
