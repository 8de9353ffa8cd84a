import { isDeepStrictEqual } from 'node:util';
import fastJson from 'fast-json-stringify';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { createSerializerCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';

type Serialize = (data: unknown) => string;

/** Anything in a JSON schema that a compiled serializer would write differently from Zod. */
function needsZod(json: unknown): boolean {
  if (json === null || typeof json !== 'object') return false;
  // A default fills a missing value in Zod's output; fast-json-stringify would not.
  if (Object.hasOwn(json, 'default')) return true;
  return Object.values(json).some(needsZod);
}

/**
 * Zod's objects drop unknown keys; JSON Schema's closed objects refuse them, which makes a union
 * branch (anyOf) fail to match a value Zod accepts. Open them: fast-json-stringify still writes
 * only the declared properties of an object without `additionalProperties`.
 */
function openObjects(json: unknown): void {
  if (json === null || typeof json !== 'object') return;
  const o = json as Record<string, unknown>;
  if (o.additionalProperties === false) delete o.additionalProperties;
  for (const v of Object.values(o)) openObjects(v);
}

/**
 * A response's serializer compiled from its Zod schema's JSON schema (fast-json-stringify, as
 * Fastify serialises plain JSON-schema routes), or null when the schema holds something only Zod
 * can write (a transform, a codec, a date, a default): that route keeps Zod's encode.
 * Like Zod's output, only the declared properties of a closed object are written.
 */
export function compileFromZod(schema: z.ZodType): Serialize | null {
  let json: unknown;
  try {
    json = z.toJSONSchema(schema, { target: 'draft-7', io: 'output', unrepresentable: 'throw' });
  } catch {
    return null;
  }
  if (needsZod(json)) return null;
  openObjects(json);
  return fastJson(json as Parameters<typeof fastJson>[0]) as Serialize;
}

export class SerializerMismatchError extends Error {
  override name = 'SerializerMismatchError';
}

/**
 * Fastify's serializer compiler for Zod response schemas. Each route's serializer is compiled on
 * its first answer (routes never answered cost no memory). `verify` (tests) also runs Zod's
 * encode on every answer and throws when the compiled serializer's JSON differs, or when Zod
 * refuses what the handler returned, so every answer of the test suite proves the two agree.
 */
export function compiledSerializerCompiler(options: { verify: boolean }): FastifySerializerCompiler<unknown> {
  const zodCompiler = createSerializerCompiler({});
  return (route) => {
    const viaZod = zodCompiler(route as never) as Serialize;
    const schema = route.schema;
    let compiled: Serialize | null | undefined;
    return (data) => {
      if (compiled === undefined) {
        compiled = schema instanceof z.ZodType ? compileFromZod(schema) : null;
      }
      if (compiled === null) return viaZod(data);
      const out = compiled(data);
      if (options.verify) {
        const expected = viaZod(data);
        if (out !== expected && !isDeepStrictEqual(JSON.parse(out), JSON.parse(expected))) {
          throw new SerializerMismatchError(
            `${route.method} ${route.url}: the compiled serializer wrote ${out.slice(0, 300)} where Zod wrote ${expected.slice(0, 300)}`,
          );
        }
      }
      return out;
    };
  };
}
