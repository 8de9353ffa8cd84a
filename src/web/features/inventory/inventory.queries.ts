/** Inventory's data: every query and mutation the inventory pages use, typed by the shared contracts. */
import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  BulkEditResult,
  Category,
  CategoryList,
  Item,
  ItemList,
  MovementList,
  StockCount,
  StockCountList,
  Supplier,
  SupplierList,
} from '../../../shared/contracts/inventory.ts';
import { getParsed, queryDefaults, searchParams, sendParsed } from '../../app/query.ts';
import { keys } from '../../app/query-keys.ts';

export type CatalogKind = 'categories' | 'suppliers';
export type CatalogRow = Category | Supplier;

export function useItems(query: string) {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.items.list(query),
    queryFn: () => getParsed(ItemList, `/api/v1/items?${query}`),
    placeholderData: keepPreviousData,
  });
}

/** Items matching a search, for pickers (order lines); nothing is asked while the search is empty. */
export function useItemSearch(q: string) {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.items.search(q),
    queryFn: () => getParsed(ItemList, `/api/v1/items${searchParams({ q, pageSize: 20 })}`),
    enabled: q.length > 0,
  });
}

export function useItem(id: string) {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.items.one(id),
    queryFn: () => getParsed(Item, `/api/v1/items/${id}`),
  });
}

/** An item's stock movements, newest first, 25 at a time (ask once the item itself has loaded). */
export function useItemMovements(id: string, enabled = true) {
  return useInfiniteQuery({
    enabled,
    ...queryDefaults,
    queryKey: keys.items.movements(id),
    initialPageParam: null as number | null,
    queryFn: ({ pageParam }) =>
      getParsed(MovementList, `/api/v1/items/${id}/movements${searchParams({ limit: 25, before: pageParam })}`),
    getNextPageParam: (last) => last.nextCursor,
  });
}

/** Archives an active item or restores an archived one. */
export function useArchiveItem(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    meta: { silent: true },
    mutationFn: (active: boolean) => sendParsed(Item, 'post', `/api/v1/items/${id}/${active ? 'archive' : 'restore'}`),
    onSuccess: (it) => {
      queryClient.setQueryData(keys.items.one(id), it);
      void queryClient.invalidateQueries({ queryKey: keys.items.all });
    },
  });
}

export function useBulkEdit() {
  const queryClient = useQueryClient();
  return useMutation({
    meta: { silent: true },
    mutationFn: (body: unknown) => sendParsed(BulkEditResult, 'post', '/api/v1/items/bulk-edit', body),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.items.all }),
  });
}

export function useCategories(enabled = true) {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.categories.list(false),
    queryFn: () => getParsed(CategoryList, '/api/v1/categories'),
    enabled,
  });
}

export function useSuppliers(enabled = true) {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.suppliers.list(false),
    queryFn: () => getParsed(SupplierList, '/api/v1/suppliers'),
    enabled,
  });
}

const CATALOG = { categories: { list: CategoryList, one: Category }, suppliers: { list: SupplierList, one: Supplier } };

/** Categories or suppliers, with or without the archived ones. */
export function useCatalog(kind: CatalogKind, archived: boolean) {
  return useQuery({
    ...queryDefaults,
    queryKey: keys[kind].list(archived),
    queryFn: async (): Promise<{ items: CatalogRow[] }> =>
      getParsed(CATALOG[kind].list, `/api/v1/${kind}${searchParams({ archived })}`),
  });
}

export function useSaveCatalogRow(kind: CatalogKind) {
  const queryClient = useQueryClient();
  return useMutation({
    meta: { silent: true },
    mutationFn: ({ id, values }: { id: string | null; values: Record<string, string> }) =>
      id
        ? sendParsed(CATALOG[kind].one, 'put', `/api/v1/${kind}/${id}`, values)
        : sendParsed(CATALOG[kind].one, 'post', `/api/v1/${kind}`, values),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys[kind].all }),
  });
}

export function useArchiveCatalogRow(kind: CatalogKind) {
  const queryClient = useQueryClient();
  return useMutation({
    meta: { silent: true },
    mutationFn: (r: CatalogRow) =>
      sendParsed(CATALOG[kind].one, 'post', `/api/v1/${kind}/${r.id}/${r.archived ? 'restore' : 'archive'}`),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys[kind].all }),
  });
}

export function useStockCounts() {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.stockCounts.all,
    queryFn: () => getParsed(StockCountList, '/api/v1/stock-counts'),
  });
}

export function useStockCount(id: string) {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.stockCounts.one(id),
    queryFn: () => getParsed(StockCount, `/api/v1/stock-counts/${id}`),
  });
}

export function useOpenStockCount() {
  const queryClient = useQueryClient();
  return useMutation({
    meta: { silent: true },
    mutationFn: (body: { note: string; categoryId?: string; location?: string }) =>
      sendParsed(StockCount, 'post', '/api/v1/stock-counts', body),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.stockCounts.all }),
  });
}

export function useSaveCountLines(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (lines: { itemId: string; counted: number | null }[]) =>
      sendParsed(StockCount, 'put', `/api/v1/stock-counts/${id}/lines`, { lines }),
    onSuccess: (c) => queryClient.setQueryData(keys.stockCounts.one(id), c),
  });
}

/** Posts a stocktake's differences to stock, or cancels it. */
export function useCloseStockCount(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    meta: { silent: true },
    mutationFn: (what: 'post' | 'cancel') => sendParsed(StockCount, 'post', `/api/v1/stock-counts/${id}/${what}`),
    onSuccess: (c) => {
      queryClient.setQueryData(keys.stockCounts.one(id), c);
      void queryClient.invalidateQueries({ queryKey: keys.items.all });
      void queryClient.invalidateQueries({ queryKey: keys.stockCounts.all });
    },
  });
}
