/** Purchase orders' data: queries and mutations, typed by the shared contracts. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { PurchaseOrder, PurchaseOrderList, SupplySuggestions } from '../../../shared/contracts/inventory.ts';
import { api } from '../../app/api.ts';
import { getParsed, parseResponse, queryDefaults, searchParams, sendParsed } from '../../app/query.ts';
import { keys } from '../../app/query-keys.ts';

export function useOrders(status: string) {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.orders.list(status),
    queryFn: () => getParsed(PurchaseOrderList, `/api/v1/purchase-orders${searchParams({ status })}`),
  });
}

/** One page of suggested orders: `limit` supplier groups from `offset`. */
export function useSupplySuggestions(enabled: boolean, offset: number, limit: number) {
  return useQuery({
    ...queryDefaults,
    queryKey: [...keys.orders.suggestions, offset, limit],
    queryFn: () =>
      getParsed(SupplySuggestions, `/api/v1/purchase-orders/suggestions${searchParams({ offset, limit })}`),
    enabled,
    placeholderData: (previous) => previous,
  });
}

export function useOrder(id: string) {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.orders.one(id),
    queryFn: () => getParsed(PurchaseOrder, `/api/v1/purchase-orders/${id}`),
  });
}

/** Remembers a changed order and refreshes the lists. */
function useOrderChanged() {
  const queryClient = useQueryClient();
  return (o: PurchaseOrder | null) => {
    if (o) queryClient.setQueryData(keys.orders.one(o.id), o);
    void queryClient.invalidateQueries({ queryKey: keys.orders.all });
  };
}

export type OrderBody = {
  supplierId: string | null;
  notes: string;
  expectedAt: string | null;
  supplierReference: string | null;
  lines: { itemId: string; quantity: number; unitCost: number }[];
};

export function useSaveOrder(id: string | null) {
  const changed = useOrderChanged();
  return useMutation({
    meta: { silent: true },
    mutationFn: (body: OrderBody) =>
      id
        ? sendParsed(PurchaseOrder, 'put', `/api/v1/purchase-orders/${id}`, body)
        : sendParsed(PurchaseOrder, 'post', '/api/v1/purchase-orders', body),
    onSuccess: changed,
  });
}

/** Places, cancels or deletes (a draft) an order; resolves null after a delete. */
export function useOrderAction(id: string) {
  const changed = useOrderChanged();
  return useMutation({
    meta: { silent: true },
    mutationFn: async (what: 'place' | 'cancel' | 'delete'): Promise<PurchaseOrder | null> => {
      if (what !== 'delete') return sendParsed(PurchaseOrder, 'post', `/api/v1/purchase-orders/${id}/${what}`);
      await api.delete(`/api/v1/purchase-orders/${id}`);
      return null;
    },
    onSuccess: changed,
  });
}

export function useAttachInvoice(id: string) {
  const changed = useOrderChanged();
  const url = `/api/v1/purchase-orders/${id}/invoice`;
  return useMutation({
    meta: { silent: true },
    mutationFn: async (file: File) => parseResponse(PurchaseOrder, await api.upload<unknown>(url, file), url),
    onSuccess: changed,
  });
}

/** Books a delivery on an order: stock goes up, so the item lists refresh too. */
export function useReceiveOrder(id: string) {
  const changed = useOrderChanged();
  const queryClient = useQueryClient();
  return useMutation({
    meta: { silent: true },
    mutationFn: (body: { lines: { lineId: number; quantity: number; overDeliveryReason?: string }[]; note?: string }) =>
      sendParsed(PurchaseOrder, 'post', `/api/v1/purchase-orders/${id}/receive`, body),
    onSuccess: (o) => {
      changed(o);
      void queryClient.invalidateQueries({ queryKey: keys.items.all });
    },
  });
}
