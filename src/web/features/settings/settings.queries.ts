/** Settings' and security's data: queries and mutations, typed by the shared contracts. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';
import { BusinessDetails, type BusinessDetailsBody } from '../../../shared/contracts/business.ts';
import { InventorySettings } from '../../../shared/contracts/inventory.ts';
import {
  ApiKey,
  CreatedApiKey,
  MasterCodeStatus,
  RotatedCode,
  SecuritySettings,
} from '../../../shared/contracts/security.ts';
import { getParsed, queryDefaults, sendParsed } from '../../app/query.ts';
import { keys } from '../../app/query-keys.ts';

const ApiKeyList = z.object({ items: z.array(ApiKey) });

export function useMasterCode() {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.security.masterCode,
    queryFn: () => getParsed(MasterCodeStatus, '/api/v1/security/master-code'),
  });
}

export function useRotateMasterCode() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => sendParsed(RotatedCode, 'post', '/api/v1/security/master-code/rotate'),
    onSuccess: (r) => queryClient.setQueryData(keys.security.masterCode, r.status),
  });
}

export function useApiKeys() {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.security.apiKeys,
    queryFn: () => getParsed(ApiKeyList, '/api/v1/api-keys'),
  });
}

export function useCreateApiKey() {
  const queryClient = useQueryClient();
  return useMutation({
    meta: { silent: true },
    mutationFn: (body: { name: string; permissions: string[]; expiresAt: string | null }) =>
      sendParsed(CreatedApiKey, 'post', '/api/v1/api-keys', body),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.security.apiKeys }),
  });
}

export function useRevokeApiKey() {
  const queryClient = useQueryClient();
  return useMutation({
    meta: { silent: true },
    mutationFn: (id: string) => sendParsed(ApiKey, 'delete', `/api/v1/api-keys/${id}`),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.security.apiKeys }),
  });
}

export function useSecuritySettings() {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.security.settings,
    queryFn: () => getParsed(SecuritySettings, '/api/v1/settings/security'),
  });
}

export function useSaveSecuritySettings() {
  const queryClient = useQueryClient();
  return useMutation({
    meta: { silent: true },
    mutationFn: (v: SecuritySettings) => sendParsed(SecuritySettings, 'put', '/api/v1/settings/security', v),
    onSuccess: (v) => queryClient.setQueryData(keys.security.settings, v),
  });
}

export function useInventorySettings() {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.settings.inventory,
    queryFn: () => getParsed(InventorySettings, '/api/v1/settings/inventory'),
  });
}

export function useSaveInventorySettings() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (next: InventorySettings) => sendParsed(InventorySettings, 'put', '/api/v1/settings/inventory', next),
    onSuccess: (v) => queryClient.setQueryData(keys.settings.inventory, v),
  });
}

export function useBusinessDetails() {
  return useQuery({
    ...queryDefaults,
    queryKey: keys.settings.business,
    queryFn: () => getParsed(BusinessDetails, '/api/v1/settings/business'),
  });
}

/** Saves the business details; every screen showing a time or the business name reads them from /me. */
export function useSaveBusinessDetails() {
  const queryClient = useQueryClient();
  return useMutation({
    meta: { silent: true },
    mutationFn: (next: BusinessDetailsBody) => sendParsed(BusinessDetails, 'put', '/api/v1/settings/business', next),
    onSuccess: (v) => {
      queryClient.setQueryData(keys.settings.business, v);
      return queryClient.invalidateQueries({ queryKey: keys.me });
    },
  });
}
