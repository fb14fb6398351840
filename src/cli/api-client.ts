/**
 * The CLI's client of a Palisade server (`palisade connect`, `inventory`, `recommendations`, `offboard`):
 * where the server is (`--server` or PALISADE_SERVER), the API token (`--token` or PALISADE_TOKEN, never
 * printed), one request function, and HTTP errors turned into messages that say what to do and exit codes
 * that scripts can tell apart.
 */
import { Option } from 'commander';
import { PalisadeError } from '../model/errors.js';
import { EXIT, reportError, type Io } from './io.js';

/** Exit codes of server calls (sysexits.h, like the rest of the CLI's non-policy codes). */
export const API_EXIT = {
  /** The server answered 400 or 409: the request itself is wrong or conflicts with what exists. */
  dataError: 65,
  /** The server answered 404: no such connector, asset, check... */
  notFound: 66,
  /** The server could not be reached, or answered 502/503/504. */
  unavailable: 69,
  /** The server answered 500: a bug on its side. */
  serverError: 70,
  /** The server answered 401 or 403: no token, a bad one, or a role too low. */
  noPermission: 77,
} as const;

/** Where a server is and how to authenticate to it. */
export interface ApiOptions {
  /** Base URL, e.g. `https://palisade.example.com` (a trailing slash is ignored). */
  server: string;
  /** API token (`pal_...`); sent as a bearer token, never printed. */
  token?: string;
  /** Gives up after this long (default 60 s; a sync of a large cluster can take a while). */
  timeoutMs?: number;
  /** The fetch to use (tests); global fetch by default. */
  fetch?: typeof fetch;
}

/** An answer of the server that was not a success, or a server that could not be reached. */
export class ApiError extends PalisadeError {
  constructor(
    message: string,
    /** HTTP status, or 0 when no answer came. */
    readonly status: number,
    /** The parsed error body (`{error, message, ...}`), when there was one. */
    readonly body: unknown,
    /** The exit code a command should end with. */
    readonly exitCode: number,
  ) {
    super('E_SERVER_API', message);
    this.name = 'ApiError';
  }
}

/** `--server` and `--token`, for every command that talks to a server. */
export function serverOptions(): Option[] {
  return [
    new Option('--server <url>', 'URL of the Palisade server (default: $PALISADE_SERVER)'),
    new Option('--token <token>', 'API token (default: $PALISADE_TOKEN; prefer the variable: flags show in process lists)'),
  ];
}

/** Resolves the server and token of a command from its flags, then PALISADE_SERVER and PALISADE_TOKEN. */
export function apiOptionsFrom(flags: { server?: string; token?: string }, env: NodeJS.ProcessEnv): ApiOptions {
  const server = flags.server ?? env.PALISADE_SERVER;
  if (!server) throw new PalisadeError('E_USAGE', 'no server: give --server https://palisade.example.com or set PALISADE_SERVER');
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new PalisadeError('E_USAGE', `--server: "${server}" is not a URL (e.g. http://127.0.0.1:8080)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new PalisadeError('E_USAGE', `--server: "${server}" must start with http:// or https://`);
  const token = flags.token ?? env.PALISADE_TOKEN;
  return { server: url.toString().replace(/\/+$/, ''), token: token || undefined };
}

/** `path?k=v&...` with the defined values only. */
export function withQuery(path: string, query: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path;
}

function exitCodeOf(status: number): number {
  if (status === 401 || status === 403) return API_EXIT.noPermission;
  if (status === 404) return API_EXIT.notFound;
  if (status === 500) return API_EXIT.serverError;
  if (status >= 500) return API_EXIT.unavailable;
  return API_EXIT.dataError;
}

function explain(status: number, serverMessage: string | undefined, opts: ApiOptions, method: string, path: string): string {
  const said = serverMessage ? `: ${serverMessage}` : '';
  if (status === 401) {
    return opts.token
      ? `the server refused the API token (revoked, expired or not one of this server's)${said}; create one with "palisade tokens create" or POST /api/v1/tokens`
      : 'the server needs an API token: give --token or set PALISADE_TOKEN (palisade tokens create --user <you> --name cli)';
  }
  if (status === 403) return `permission denied for ${method} ${path}${said}`;
  if (status === 404) return `not found: ${method} ${path}${said}`;
  if (status >= 500) return `the server failed on ${method} ${path} (HTTP ${status})${said}`;
  return `${method} ${path} was refused (HTTP ${status})${said}`;
}

/**
 * Sends one request to the server and returns the parsed JSON answer (undefined for 204). Anything but a
 * 2xx throws an {@link ApiError} whose message says what went wrong and what to do, and whose `exitCode`
 * tells a script why (see {@link API_EXIT}). The token is sent as a bearer token and never appears in a
 * message.
 */
export async function apiRequest<T = unknown>(opts: ApiOptions, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const url = `${opts.server.replace(/\/+$/, '')}${path.startsWith('/') ? path : `/${path}`}`;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await (opts.fetch ?? fetch)(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = (e as Error).name === 'TimeoutError' ? `no answer within ${Math.round((opts.timeoutMs ?? 60_000) / 1000)} s` : (cause?.code ?? cause?.message ?? (e as Error).message);
    throw new ApiError(`cannot reach the Palisade server at ${opts.server} (${why}); check --server or PALISADE_SERVER`, 0, undefined, API_EXIT.unavailable);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (res.ok) {
    if (text && parsed === undefined) throw new ApiError(`${method} ${path}: the server at ${opts.server} did not answer JSON; is it a Palisade server?`, res.status, undefined, API_EXIT.unavailable);
    return parsed as T;
  }
  const serverMessage = (parsed as { message?: unknown } | undefined)?.message;
  throw new ApiError(explain(res.status, typeof serverMessage === 'string' ? serverMessage : undefined, opts, method, path.split('?')[0]), res.status, parsed, exitCodeOf(res.status));
}

/** Reports an error of a server command: an {@link ApiError} with its own exit code, anything else as usual. */
export function reportApiError(e: unknown, io: Io): number {
  if (e instanceof ApiError) {
    io.stderr(`palisade: ${e.message}\n`);
    return e.exitCode;
  }
  return reportError(e, io);
}

/** Runs a server command's action: exit 0 on success, the error's exit code otherwise. */
export function apiAction<A extends unknown[]>(io: Io, setExit: (code: number) => void, fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      setExit((await fn(...args)) ?? EXIT.ok);
    } catch (e) {
      setExit(reportApiError(e, io));
    }
  };
}
