import * as z from 'zod/mini';

/** Attaches OpenAPI metadata (description, examples, component id) to a schema and returns it. */
export function meta<T extends z.ZodMiniType>(schema: T, data: z.core.GlobalMeta): T {
  z.globalRegistry.add(schema, data);
  return schema;
}
