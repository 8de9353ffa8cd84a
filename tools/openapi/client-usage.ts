// Type-checked by `npm run check:openapi` against the client generated from the served
// OpenAPI document: if an operation, a parameter or a named schema disappears or changes
// shape, this stops compiling.
import createClient from 'openapi-fetch';
import type { components, operations, paths } from './generated/schema.d.ts';

type Item = components['schemas']['Item'];
type Problem = components['schemas']['Problem'];
type AuditEvent = components['schemas']['AuditEvent'];

export async function example(baseUrl: string, apiKey: string) {
  const client = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${apiKey}` } });

  const me = await client.GET('/api/v1/me');
  const email: string | undefined = me.data?.user.email;

  const items = await client.GET('/api/v1/items', { params: { query: { q: 'gloves', limit: 20 } } });
  const first: Item | undefined = items.data?.items[0];
  const problem: Problem | undefined = items.error;

  const audit = await client.GET('/api/v1/audit', { params: { query: { area: 'users', limit: 10 } } });
  const events: AuditEvent[] = audit.data?.items ?? [];

  const created = await client.POST('/api/v1/categories', { body: { name: 'Consumables' } });
  const categoryId: string | undefined = created.data?.id;

  const user = await client.GET('/api/v1/users/{id}', {
    params: { path: { id: '00000000-0000-0000-0000-000000000000' } },
  });
  const name: string | undefined = user.data?.name;

  const operationId: keyof operations = 'getUsersById';
  return { email, first, problem, events, categoryId, name, operationId };
}
