/**
 * How a role entry holds a permission: on every record (`allow`), on the holder's own records
 * (`own`), or behind the master code (`elevated`). Defined once: the engine, the templates, the
 * API contracts, the database types and the web app import it.
 */
export const POLICIES = ['allow', 'own', 'elevated'] as const;
export type Policy = (typeof POLICIES)[number];
