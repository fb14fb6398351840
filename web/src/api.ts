/**
 * The dashboard's only way to the server: the HTTP API under /api/v1, authenticated by the HttpOnly session
 * cookie that `POST /api/v1/login` sets (SameSite=Strict is the CSRF defence, so no token lives in script).
 */

/** An API error with the server's code and message, for display next to the action that failed. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Query values; undefined and empty strings are left out. */
export type Query = Record<string, string | number | boolean | undefined>;

function urlOf(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function send<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
  const res = await fetch(urlOf(path, query), {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    // A proxy's HTML error page, say: without a JSON body, the status tells what happened.
    if (res.ok) throw new ApiError(res.status, 'bad_response', `the server answered ${path} with something that is not JSON`);
  }
  if (!res.ok) {
    const err = (data ?? {}) as { error?: string; code?: string; message?: string };
    if (res.status === 401) window.dispatchEvent(new CustomEvent('palisade:unauthorised'));
    throw new ApiError(res.status, err.code ?? err.error ?? String(res.status), err.message ?? res.statusText);
  }
  return data as T;
}

/** Typed calls to the API; paths start with `/api/v1/`. */
export const api = {
  get: <T>(path: string, query?: Query) => send<T>('GET', path, undefined, query),
  post: <T>(path: string, body?: unknown) => send<T>('POST', path, body ?? {}),
  patch: <T>(path: string, body: unknown) => send<T>('PATCH', path, body),
  put: <T>(path: string, body: unknown) => send<T>('PUT', path, body),
  del: <T = void>(path: string) => send<T>('DELETE', path),
  /** A URL for a download (CSV, report) the browser fetches itself with the session cookie. */
  href: (path: string, query?: Query) => urlOf(path, query),
};
