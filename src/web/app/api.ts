import type { Problem } from '../../shared/contracts/common.ts';

/** A failed API call, carrying the server's problem document. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem | null;
  constructor(status: number, problem: Problem | null) {
    super(problem?.detail ?? `The server answered ${status}.`);
    this.status = status;
    this.problem = problem;
  }
  get title(): string {
    return this.problem?.title ?? 'Something went wrong';
  }
  /** Field messages keyed by path, for forms. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.problem?.errors ?? []) out[e.path] = out[e.path] ? `${out[e.path]} ${e.message}` : e.message;
    return out;
  }
}

let csrfToken: string | null = null;

/**
 * Called when an action needs the master code: asks the person for it (the elevation dialog),
 * and resolves true once the session is elevated, so the call can be retried.
 */
type ElevationHandler = (problem: Problem) => Promise<boolean>;
let elevationHandler: ElevationHandler | null = null;
export function setElevationHandler(handler: ElevationHandler | null): void {
  elevationHandler = handler;
}

/** Called when the server no longer knows the session (signed out elsewhere, deactivated, timed out). */
let sessionEndedHandler: (() => void) | null = null;
export function setSessionEndedHandler(handler: (() => void) | null): void {
  sessionEndedHandler = handler;
}

function networkError(url: string, detail: string): ApiError {
  return new ApiError(0, {
    type: 'urn:steward:problem:network',
    title: 'Cannot reach Steward',
    status: 0,
    detail,
    instance: url,
    requestId: '',
  });
}

const isProblem = (p: Problem | null, slug: string) => p?.type === `urn:steward:problem:${slug}`;

/** Remembers the CSRF token the server gave at login or in /me. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

async function request<T>(method: string, url: string, body?: unknown, retried = false): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw networkError(url, 'The server did not answer. Check your connection and try again.');
  }
  const text = await res.text();
  const data = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const problem = (data as Problem) ?? null;
    if (res.status === 403 && isProblem(problem, 'elevation-required') && elevationHandler && !retried && problem) {
      if (await elevationHandler(problem)) return request<T>(method, url, body, true);
    }
    if (res.status === 401 && !url.startsWith('/api/v1/auth/login') && !url.startsWith('/api/v1/me')) {
      sessionEndedHandler?.();
    }
    throw new ApiError(res.status, problem);
  }
  return data as T;
}

/** Uploads one file as multipart/form-data, reporting progress (0–1); same errors as `request`. */
function upload<T>(url: string, file: File, onProgress?: (fraction: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('accept', 'application/json');
    if (csrfToken) xhr.setRequestHeader('x-csrf-token', csrfToken);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress?.(e.loaded / e.total);
    };
    xhr.onerror = () =>
      reject(networkError(url, 'The upload did not reach the server. Check your connection and try again.'));
    xhr.onload = () => {
      const data = xhr.responseText ? (JSON.parse(xhr.responseText) as unknown) : undefined;
      if (xhr.status >= 200 && xhr.status < 300) resolve(data as T);
      else {
        if (xhr.status === 401) sessionEndedHandler?.();
        reject(new ApiError(xhr.status, (data as Problem) ?? null));
      }
    };
    const form = new FormData();
    form.append('file', file);
    xhr.send(form);
  });
}

export const api = {
  upload,
  get: <T>(url: string) => request<T>('GET', url),
  post: <T>(url: string, body?: unknown) => request<T>('POST', url, body ?? {}),
  put: <T>(url: string, body?: unknown) => request<T>('PUT', url, body ?? {}),
  patch: <T>(url: string, body?: unknown) => request<T>('PATCH', url, body ?? {}),
  delete: <T>(url: string) => request<T>('DELETE', url),
};

/** The message to show above a form: the error's, unless it is all about particular fields. */
export function generalError(error: unknown): string | null {
  if (!error) return null;
  if (error instanceof ApiError) return Object.keys(error.fieldErrors()).length > 0 ? null : error.message;
  return error instanceof Error ? error.message : String(error);
}
