import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type Query } from './api.js';
import { errorText } from './format.js';
import type { ConnectorInfo } from './types.js';

/** What {@link useApi} holds: the data, or why there is none. */
export interface Loaded<T> {
  data?: T;
  error?: unknown;
  loading: boolean;
  /** The endpoint answered 404: not on this server (yet), or the object does not exist. */
  missing: boolean;
  reload(): void;
}

/**
 * GETs `path` (null: nothing yet) and reloads when the path or query change. A 404 is not an error here but
 * `missing`, so a page can show an empty state for an endpoint the server does not have.
 */
export function useApi<T>(path: string | null, query?: Query): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean; missing: boolean }>({ loading: path !== null, missing: false });
  const [tick, setTick] = useState(0);
  const key = path === null ? null : api.href(path, query);
  useEffect(() => {
    if (key === null) return;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    api
      .get<T>(key)
      .then((data) => live && setState({ data, loading: false, missing: false }))
      .catch((error: unknown) => {
        if (!live) return;
        if (error instanceof ApiError && error.status === 404) setState({ loading: false, missing: true });
        else setState({ error, loading: false, missing: false });
      });
    return () => {
      live = false;
    };
  }, [key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** A page of a cursor-paged list (`{ items, next }`). */
export interface Page<T> {
  items: T[];
  next?: string;
}

/** {@link useApi} over a cursor-paged answer (`P` has the `next` cursor), with the cursors of earlier pages kept for "Previous". */
export interface Paged<P extends { next?: string }> extends Loaded<P> {
  pageIndex: number;
  hasPrev: boolean;
  hasNext: boolean;
  nextPage(): void;
  prevPage(): void;
}

/**
 * Pages through a list endpoint with its own `limit` and `cursor` parameters. The cursors seen so far are kept
 * (the API pages forward only), and the position goes back to the first page when the filters change.
 */
export function usePaged<P extends { next?: string }>(path: string | null, query: Query, limit: number): Paged<P> {
  const filters = api.href('', query);
  const [cursors, setCursors] = useState<string[]>([]);
  const last = useRef(filters);
  // New filters start at the first page at once: the old filters' cursor must not be sent with the new ones.
  const reset = last.current !== filters;
  if (reset) {
    last.current = filters;
    if (cursors.length) setCursors([]);
  }
  const cursor = reset ? undefined : cursors[cursors.length - 1];
  const loaded = useApi<P>(path, { ...query, limit, cursor });
  return {
    ...loaded,
    pageIndex: cursors.length,
    hasPrev: cursors.length > 0,
    hasNext: Boolean(loaded.data?.next),
    nextPage: () => {
      const next = loaded.data?.next;
      if (next) setCursors([...cursors, next]);
    },
    prevPage: () => setCursors(cursors.slice(0, -1)),
  };
}

let connectorsCache: Promise<ConnectorInfo[]> | undefined;

/** The connectors the user may read (for filters and scope names), loaded once per page load. */
export function useConnectors(): ConnectorInfo[] {
  const [list, setList] = useState<ConnectorInfo[]>([]);
  useEffect(() => {
    connectorsCache ??= api.get<{ items: ConnectorInfo[] }>('/api/v1/connectors').then(
      (r) => r.items,
      () => {
        connectorsCache = undefined;
        return [];
      },
    );
    let live = true;
    void connectorsCache.then((xs) => live && setList(xs));
    return () => {
      live = false;
    };
  }, []);
  return list;
}

/** Runs one action at a time and keeps its error for display beside the button that started it. */
export function useAction(): { busy: boolean; error: string | undefined; run: <T>(fn: () => Promise<T>) => Promise<{ ok: true; value: T } | { ok: false }>; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = useCallback(async <T,>(fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> => {
    setBusy(true);
    setError(undefined);
    try {
      return { ok: true, value: await fn() };
    } catch (e) {
      setError(errorText(e));
      return { ok: false };
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => setError(undefined), []);
  return { busy, error, run, clear };
}
