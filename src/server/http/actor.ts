import type { Access, Subject } from '../../authz/index.ts';

/** Who is making a request: one object passed from handler to service. */
export type Actor = {
  readonly user: {
    readonly id: string;
    readonly email: string;
    readonly name: string;
    readonly roleKey: string;
    readonly artistId: string | null;
    readonly mustChangePassword: boolean;
  };
  /** What the permission engine sees. */
  readonly subject: Subject;
  readonly session: {
    readonly id: string;
    /** Public handle of the session (listing and ending sessions). */
    readonly handle: string;
    readonly csrfToken: string;
    readonly elevatedUntil: number | null;
  } | null;
  /** Set when the request authenticated with an API key (never elevated, limited to the key's permissions). */
  readonly apiKey: { readonly id: string; readonly name: string } | null;
  /** The roles version read with this request's principal: the engine it is checked against. */
  readonly rolesVersion: number;
  /** The business modules switched on, read with this request's principal (the guard refuses routes of the others). */
  readonly modules: readonly string[];
  /** True while the session is elevated by the master code (never for API keys). */
  readonly elevated: boolean;
  /** The route permission's access level, set by the guard ('all' or 'own'). */
  readonly routeAccess: Access | null;
};

/** Request facts the audit log records. */
export type RequestContext = {
  readonly requestId: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
};
