/**
 * Every TanStack Query key of the web app, in one place. A key is a path: invalidating a prefix
 * (e.g. `keys.items.all`) refreshes every query under it (lists, pages, one item).
 */
export const keys = {
  me: ['me'] as const,
  setup: ['setup'] as const,
  items: {
    all: ['items'] as const,
    list: (query: string) => ['items', 'list', query] as const,
    search: (q: string) => ['items', 'search', q] as const,
    one: (id: string) => ['items', 'one', id] as const,
    movements: (id: string) => ['items', 'one', id, 'movements'] as const,
  },
  categories: { all: ['categories'] as const, list: (archived: boolean) => ['categories', { archived }] as const },
  suppliers: { all: ['suppliers'] as const, list: (archived: boolean) => ['suppliers', { archived }] as const },
  stockCounts: { all: ['stock-counts'] as const, one: (id: string) => ['stock-counts', id] as const },
  orders: {
    all: ['purchase-orders'] as const,
    list: (status: string) => ['purchase-orders', 'list', status] as const,
    suggestions: ['purchase-orders', 'suggestions'] as const,
    one: (id: string) => ['purchase-orders', 'one', id] as const,
  },
  users: { all: ['users'] as const, list: (q: string, status: string) => ['users', 'list', q, status] as const },
  roles: { all: ['roles'] as const },
  permissions: {
    all: ['user-permissions'] as const,
    ofUser: (userId: string) => ['user-permissions', userId] as const,
    explain: (userId: string, permission: string) => ['user-permissions', userId, 'explain', permission] as const,
    requests: ['permission-requests'] as const,
    /** Under `requests`, so invalidating those refreshes these too. */
    roleRequests: ['permission-requests', 'roles'] as const,
  },
  audit: { all: ['audit'] as const, list: (query: string) => ['audit', query] as const },
  sessions: { mine: ['my-sessions'] as const },
  twoFactor: { mine: ['two-factor'] as const },
  security: {
    masterCode: ['master-code'] as const,
    apiKeys: ['api-keys'] as const,
    settings: ['settings', 'security'] as const,
  },
  settings: {
    inventory: ['settings', 'inventory'] as const,
    modules: ['settings', 'modules'] as const,
    business: ['settings', 'business'] as const,
  },
  system: { disk: ['system', 'disk'] as const },
} as const;
