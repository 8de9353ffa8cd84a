import { MantineProvider } from '@mantine/core';
import { Notifications, notifications } from '@mantine/notifications';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { type ReactNode, useEffect } from 'react';
import { createBrowserRouter, Navigate, Outlet, type RouteObject, RouterProvider } from 'react-router';
import type { ModuleKey, WEB_MODULES } from '../../shared/modules.ts';
import { AppLayout } from '../components/AppLayout.tsx';
import { ElevationProvider } from '../components/ElevationProvider.tsx';
import { ErrorState, FullPageLoader } from '../components/states.tsx';
import { AccountPage } from '../features/account/AccountPage.tsx';
import { ChangePasswordPage } from '../features/account/ChangePasswordPage.tsx';
import { AuditPage } from '../features/audit/AuditPage.tsx';
import { LoginPage } from '../features/auth/LoginPage.tsx';
import { DashboardPage } from '../features/dashboard/DashboardPage.tsx';
import { CategoriesPage, SuppliersPage } from '../features/inventory/CatalogPages.tsx';
import { CountPage, CountsPage } from '../features/inventory/CountsPage.tsx';
import { ItemPage } from '../features/inventory/ItemPage.tsx';
import { ItemsPage } from '../features/inventory/ItemsPage.tsx';
import { OrderPage } from '../features/orders/OrderPage.tsx';
import { OrdersPage } from '../features/orders/OrdersPage.tsx';
import { BusinessPage } from '../features/settings/BusinessPage.tsx';
import { InventorySettingsPage } from '../features/settings/InventorySettingsPage.tsx';
import { ModulesPage } from '../features/settings/ModulesPage.tsx';
import { PermissionsPage } from '../features/settings/PermissionsPage.tsx';
import { RolesPage } from '../features/settings/RolesPage.tsx';
import { SecurityPage } from '../features/settings/SecurityPage.tsx';
import { SettingsLayout } from '../features/settings/SettingsLayout.tsx';
import { UsersPage } from '../features/settings/UsersPage.tsx';
import { SetupPage } from '../features/setup/SetupPage.tsx';
import { ApiError, setCsrfToken, setSessionEndedHandler } from './api.ts';
import { shouldRetry } from './query.ts';
import { keys } from './query-keys.ts';
import { markSessionEnded, useMe, useSetupStatus } from './session.ts';
import { theme } from './theme.ts';

function toastError(error: unknown) {
  if (error instanceof ApiError && error.status === 401) return;
  notifications.show({
    color: 'red',
    title: error instanceof ApiError ? error.title : 'Something went wrong',
    message: error instanceof Error ? error.message : String(error),
  });
}

const queryClient = new QueryClient({
  // A page shows its own 403/404 ("You don't have access", "Not found"): no toast repeating it.
  queryCache: new QueryCache({
    onError: (error) => {
      if (error instanceof ApiError && (error.status === 403 || error.status === 404)) return;
      toastError(error);
    },
  }),
  mutationCache: new MutationCache({
    // Forms that show field errors themselves opt out with meta.silent.
    onError: (error, _v, _c, mutation) => {
      if (!mutation.meta?.silent) toastError(error);
    },
  }),
  defaultOptions: { queries: { refetchOnWindowFocus: true, retry: shouldRetry } },
});

/** Sends a visitor to setup while Steward is not set up, then to login, then into the app. */
function RequireSession() {
  const setup = useSetupStatus();
  const me = useMe();
  if (setup.isPending || (setup.data?.needed === false && me.isPending)) return <FullPageLoader />;
  if (setup.isError) return <ErrorState error={setup.error} onRetry={() => setup.refetch()} />;
  if (setup.data.needed) return <Navigate to="/setup" replace />;
  if (me.isError) return <ErrorState error={me.error} onRetry={() => me.refetch()} />;
  if (!me.data) return <Navigate to="/login" replace />;
  if (me.data.user.mustChangePassword) return <ChangePasswordPage me={me.data} />;
  return (
    <AppLayout me={me.data}>
      <Outlet context={me.data} />
    </AppLayout>
  );
}

type TabPaths<K extends ModuleKey> = (typeof WEB_MODULES)[K] extends { settings: readonly { path: infer P }[] }
  ? P & string
  : never;

/**
 * Each module's screens: its routes, and a page for every settings tab it declares in
 * src/shared/modules.ts (a declared tab without a page here does not type-check).
 */
type Screens = {
  [K in ModuleKey]: { routes?: RouteObject[] } & ([TabPaths<K>] extends [never]
    ? { settings?: never }
    : { settings: Record<TabPaths<K>, ReactNode> });
};

const SCREENS: Screens = {
  health: {},
  setup: {},
  auth: {},
  twoFactor: {},
  business: { settings: { business: <BusinessPage /> } },
  users: { settings: { users: <UsersPage /> } },
  permissions: { settings: { permissions: <PermissionsPage />, roles: <RolesPage /> } },
  'business-modules': { settings: { modules: <ModulesPage /> } },
  audit: { routes: [{ path: 'audit', element: <AuditPage /> }] },
  security: { settings: { security: <SecurityPage /> } },
  inventory: {
    routes: [
      { path: 'inventory', element: <ItemsPage /> },
      { path: 'inventory/counts', element: <CountsPage /> },
      { path: 'inventory/counts/:id', element: <CountPage /> },
      { path: 'inventory/:id', element: <ItemPage /> },
      { path: 'categories', element: <CategoriesPage /> },
      { path: 'suppliers', element: <SuppliersPage /> },
    ],
    settings: { inventory: <InventorySettingsPage /> },
  },
  'purchase-orders': {
    routes: [
      { path: 'orders', element: <OrdersPage /> },
      { path: 'orders/:id', element: <OrderPage /> },
    ],
  },
};

const modules = Object.values(SCREENS) as { routes?: RouteObject[]; settings?: Record<string, ReactNode> }[];

const router = createBrowserRouter([
  { path: '/setup', element: <SetupPage /> },
  { path: '/login', element: <LoginPage /> },
  {
    path: '/',
    element: <RequireSession />,
    children: [
      { index: true, element: <DashboardPage /> },
      { path: 'account', element: <AccountPage /> },
      ...modules.flatMap((m) => m.routes ?? []),
      {
        path: 'settings',
        element: <SettingsLayout />,
        children: modules.flatMap((m) =>
          Object.entries(m.settings ?? {}).map(([path, element]) => ({ path, element })),
        ),
      },
    ],
  },
  { path: '*', element: <Navigate to="/" replace /> },
]);

/**
 * When the server stops knowing the session (deactivated, signed out elsewhere, timed out), the
 * app drops what it knew and returns to the sign-in page with a word of why.
 */
function SessionWatcher() {
  useEffect(() => {
    setSessionEndedHandler(() => {
      setCsrfToken(null);
      if (queryClient.getQueryData(keys.me)) markSessionEnded();
      queryClient.setQueryData(keys.me, null);
    });
    return () => setSessionEndedHandler(null);
  }, []);
  return null;
}

export function App() {
  return (
    <MantineProvider theme={theme} defaultColorScheme="light">
      {/* Bottom right: a toast never covers the header's account menu. */}
      <Notifications position="bottom-right" />
      <QueryClientProvider client={queryClient}>
        <SessionWatcher />
        <ElevationProvider>
          <RouterProvider router={router} />
        </ElevationProvider>
      </QueryClientProvider>
    </MantineProvider>
  );
}
