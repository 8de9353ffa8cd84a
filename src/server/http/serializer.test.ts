import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Me } from '../../shared/contracts/auth.ts';
import { LoginResult } from '../../shared/contracts/two-factor.ts';
import { compiledSerializerCompiler, compileFromZod } from './serializer.ts';

const route = (schema: z.ZodType) => ({ schema, method: 'GET', url: '/x', httpStatus: '200' }) as never;

const me = {
  user: {
    id: 'u1',
    email: 'a@example.com',
    name: 'Ada',
    role: { key: 'admin', name: 'Admin' },
    artistId: null,
    mustChangePassword: false,
  },
  business: { name: 'B', template: 'stores', timezone: 'UTC', currency: 'EUR', modules: ['inventory'] },
  permissions: [{ permission: 'inventory.view', state: 'grant', access: 'all' }],
  elevatedUntil: null,
  csrfToken: 't',
  session: { handle: 'h' },
  apiKey: null,
};

describe('compiled response serializers', () => {
  it("write what Zod writes, leaving out what the contract does not declare (a union's branch too)", () => {
    const leaky = { ...me, user: { ...me.user, passwordHash: '$2b$secret', roleKey: 'admin' }, internal: 1 };
    for (const schema of [Me, LoginResult]) {
      const write = compileFromZod(schema);
      expect(write).not.toBeNull();
      const out = write?.(leaky) ?? '';
      expect(out).not.toContain('secret');
      expect(out).not.toContain('internal');
      expect(JSON.parse(out)).toEqual(schema.parse(leaky));
    }
  });

  it('leave to Zod a schema only Zod can write (a transform, a default)', () => {
    expect(compileFromZod(z.object({ at: z.date() }))).toBeNull();
    expect(compileFromZod(z.object({ n: z.number().default(0) }))).toBeNull();
    expect(compileFromZod(z.object({ s: z.string().transform((s) => s.length) }))).toBeNull();
    const serialize = compiledSerializerCompiler({ verify: false })(route(z.object({ n: z.number().default(7) })));
    expect(serialize({ n: 3 })).toBe('{"n":3}');
    expect(() => serialize({ n: 'three' })).toThrow(); // Zod's refusal, as before
  });

  it('in verify mode (tests) refuse an answer the contract refuses, which the compiled serializer alone would write', () => {
    const schema = z.object({ n: z.number().int() });
    expect(compiledSerializerCompiler({ verify: false })(route(schema))({ n: 1.5 })).toBe('{"n":1}');
    expect(() => compiledSerializerCompiler({ verify: true })(route(schema))({ n: 1.5 })).toThrow();
    expect(compiledSerializerCompiler({ verify: true })(route(schema))({ n: 2 })).toBe('{"n":2}');
  });
});
