/** The REST API, same origin. Errors keep the API's {code, message, details} so forms show them at the field. */
export interface FieldIssue { path: string; message: string }
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details?: unknown) { super(message); }
  /** The API's message for one form field (details [{path, message}] from a 422), if any. */
  field(name: string): string | undefined {
    if (!Array.isArray(this.details)) return undefined;
    const hit = (this.details as FieldIssue[]).find((d) => d.path === name || d.path.startsWith(`${name}.`));
    return hit?.message;
  }
}

const TOKEN_KEY = 'acd.session';
export const session = {
  get token(): string | null { return localStorage.getItem(TOKEN_KEY); },
  set(token: string | null) { if (token) localStorage.setItem(TOKEN_KEY, token); else localStorage.removeItem(TOKEN_KEY); },
};

let onUnauthorized: () => void = () => undefined;
export function whenUnauthorized(fn: () => void) { onUnauthorized = fn; }

export async function api<T = any>(method: string, path: string, body?: unknown, o: { token?: string | null; raw?: BodyInit; contentType?: string } = {}): Promise<T> {
  const headers: Record<string, string> = {};
  const token = o.token === undefined ? session.token : o.token;
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (o.contentType) headers['content-type'] = o.contentType;
  const res = await fetch(`/api/v1${path}`, { method, headers, body: o.raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
  const text = await res.text();
  const data = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const e = data?.error ?? { code: 'HTTP_' + res.status, message: res.statusText };
    if (res.status === 401 && o.token === undefined && path !== '/sessions') onUnauthorized();
    throw new ApiError(res.status, e.code, e.message, e.details);
  }
  return data as T;
}

export const enc = encodeURIComponent;
