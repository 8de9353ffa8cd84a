import { useQuery } from '@tanstack/react-query';
import type { CategoryList, SupplierList } from '../../../shared/contracts/inventory.ts';
import { api } from '../../app/api.ts';

export const itemsKey = ['items'] as const;

export function useCategories(enabled = true) {
  return useQuery({ queryKey: ['categories'], queryFn: () => api.get<CategoryList>('/api/v1/categories'), enabled });
}

export function useSuppliers(enabled = true) {
  return useQuery({ queryKey: ['suppliers'], queryFn: () => api.get<SupplierList>('/api/v1/suppliers'), enabled });
}
