import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { minimatch } from 'minimatch';
import { PalisadeError, type InputError } from '../../model/errors.js';
import type { K8sObject, Resource } from '../../model/resource.js';
import { answerError, KubeHttp, loadKubeConfig, type ApiStatus, type ClusterAccess, type KubeApi } from './client.js';
import { kindsFor, readsData, type ClusterFeature, type ClusterKind } from './kinds.js';
import { normalizeObject, toResource } from './normalize.js';

/** What part of the cluster is read, and how. */
export interface ClusterScope {
  /** Only these namespaces (namespaced kinds are then listed per namespace); all when empty. */
  namespaces?: string[];
  /** Namespaces left out (names or globs: `kube-*`). */
  excludeNamespaces?: string[];
  /** Objects, and whole namespaces, carrying a label matching one of these (`key=value` or `key`) are left out. */
  excludeLabels?: string[];
  /** Optional reading (see {@link ClusterFeature}); `core` is always on. */
  features?: ClusterFeature[];
  /** Items per list page (`limit`); default 500. */
  pageSize?: number;
}

/** A point-in-time read of the cluster. */
export interface ClusterSnapshot {
  context: string;
  server: string;
  resources: Resource[];
  /** Kinds that could not be listed (forbidden), as input errors: the rest is still scanned. */
  errors: InputError[];
  /** Objects left out by the scope's exclusions. */
  excluded: number;
  /** resourceVersion of each kind's list (the version watches start from). */
  resourceVersions: Map<string, string>;
}

/** A change seen by a watch (or made up after a relist). */
export interface ClusterChange {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: Resource;
}

const METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;q=0.9';
const METADATA_ONE = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json;q=0.9';
/** Fresh lists tried when every continue token expires (a cluster changing faster than it can be paged). */
const MAX_RELISTS = 5;

/** A list answer whose continue token or resourceVersion is too old (410 Gone). */
export class ExpiredError extends Error {}

/**
 * Reads a Kubernetes cluster through `@kubernetes/client-node`: paginated lists of every kind Palisade
 * needs, watches with bookmarks, and exclusions. ConfigMaps are read as metadata only and Secrets not at all
 * unless the scope's features say otherwise; a metadata-only read asks the API server for
 * `PartialObjectMetadata`, so values never reach this process.
 */
export class ClusterConnector {
  readonly kinds: ClusterKind[];
  private readonly features: ReadonlySet<ClusterFeature>;
  private readonly excludedNamespaces = new Set<string>();

  constructor(readonly http: KubeApi, readonly scope: ClusterScope = {}) {
    this.features = new Set(scope.features ?? []);
    this.kinds = kindsFor(this.features);
  }

  /** Connects with a kubeconfig (file and context) or the in-cluster service account. */
  static open(access: ClusterAccess, scope: ClusterScope = {}): ClusterConnector {
    return new ClusterConnector(new KubeHttp(loadKubeConfig(access)), scope);
  }

  get context(): string {
    return this.http.loaded.context;
  }

  /** True when the kind's objects are read whole (not metadata only). */
  readsData(kind: ClusterKind): boolean {
    return readsData(kind, this.features);
  }

  /** URL path of a kind's collection, cluster-wide or in one namespace. */
  collectionPath(kind: ClusterKind, namespace?: string): string {
    const base = kind.group ? `/apis/${kind.group}/${kind.version}` : `/api/${kind.version}`;
    return kind.namespaced && namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${kind.resource}` : `${base}/${kind.resource}`;
  }

  /**
   * Lists one kind page by page (`limit`/`continue`). A continue token that expires mid-way (410: the
   * server compacted the version the first page was read at) makes the list start again from scratch,
   * since pages of different versions would not be a consistent picture.
   */
  async listKind(kind: ClusterKind, namespace?: string): Promise<{ items: Record<string, unknown>[]; resourceVersion: string }> {
    const accept = this.readsData(kind) ? 'application/json' : METADATA_LIST;
    for (let attempt = 0; ; attempt++) {
      const items: Record<string, unknown>[] = [];
      let cont: string | undefined;
      let rv = '';
      let expired = false;
      do {
        const a = await this.http.request('GET', this.collectionPath(kind, namespace), { limit: this.scope.pageSize ?? 500, continue: cont }, { accept });
        if (a.status === 410 && cont !== undefined) {
          expired = true;
          break;
        }
        if (a.status !== 200) throw answerError(`list ${kind.resource}${namespace ? ` in ${namespace}` : ''}`, a);
        const list = a.body as { metadata?: { continue?: string; resourceVersion?: string }; items?: Record<string, unknown>[] };
        for (const it of list.items ?? []) items.push(it);
        if (cont === undefined) rv = list.metadata?.resourceVersion ?? '';
        cont = list.metadata?.continue || undefined;
      } while (cont !== undefined);
      if (!expired) return { items, resourceVersion: rv };
      if (attempt + 1 >= MAX_RELISTS) throw new ExpiredError(`list ${kind.resource}: the continue token expired ${MAX_RELISTS} times in a row`);
    }
  }

  /** Reads one object (`get`), normalised; undefined when it does not exist. */
  async get(kind: ClusterKind, name: string, namespace?: string): Promise<Resource | undefined> {
    const a = await this.http.request('GET', `${this.collectionPath(kind, namespace)}/${encodeURIComponent(name)}`, {}, { accept: this.readsData(kind) ? 'application/json' : METADATA_ONE });
    if (a.status === 404) return undefined;
    if (a.status !== 200) throw answerError(`get ${kind.resource} ${name}`, a);
    return this.toResource(kind, a.body as Record<string, unknown>);
  }

  /** Normalises an object as sent by the server, or undefined when the scope excludes it. */
  toResource(kind: ClusterKind, raw: Record<string, unknown>): Resource | undefined {
    const object = normalizeObject(raw, kind, !this.readsData(kind));
    return this.excludes(kind, object) ? undefined : toResource(object, kind, this.context);
  }

  /** True when the scope leaves this object out. */
  excludes(kind: ClusterKind, object: K8sObject): boolean {
    const ns = kind.kind === 'Namespace' ? object.metadata.name : kind.namespaced ? object.metadata.namespace : undefined;
    if (ns !== undefined) {
      if (this.scope.namespaces?.length && !this.scope.namespaces.includes(ns)) return true;
      if (this.excludedNamespaces.has(ns)) return true;
      if (this.scope.excludeNamespaces?.some((p) => minimatch(ns, p))) return true;
    }
    return labelsExcluded(object.metadata.labels, this.scope.excludeLabels);
  }

  /** Lists every kind of the scope. Kinds the credentials may not list become errors; everything else is read. */
  async snapshot(): Promise<ClusterSnapshot> {
    const snap: ClusterSnapshot = { context: this.context, server: this.http.loaded.server, resources: [], errors: [], excluded: 0, resourceVersions: new Map() };
    this.excludedNamespaces.clear();
    for (const kind of this.kinds) {
      const scopes = kind.namespaced && this.scope.namespaces?.length ? this.scope.namespaces : [undefined];
      for (const ns of scopes) {
        let listed;
        try {
          listed = await this.listKind(kind, ns);
        } catch (e) {
          const err = e as { code?: string; message: string };
          if (err.code !== 'E_CLUSTER_FORBIDDEN' || /401/.test(err.message)) throw e;
          snap.errors.push({ code: 'E_CLUSTER_FORBIDDEN', file: `cluster://${encodeURIComponent(this.context)}/${kind.resource}`, message: err.message });
          continue;
        }
        snap.resourceVersions.set(rvKey(kind, ns), listed.resourceVersion);
        for (const raw of listed.items) {
          const object = normalizeObject(raw, kind, !this.readsData(kind));
          // A namespace excluded by its labels takes everything in it along.
          if (kind.kind === 'Namespace' && labelsExcluded(object.metadata.labels, this.scope.excludeLabels)) this.excludedNamespaces.add(String(object.metadata.name));
          if (this.excludes(kind, object)) snap.excluded++;
          else snap.resources.push(toResource(object, kind, this.context));
        }
      }
    }
    return snap;
  }

  /** The KubeConfig a watch uses, asking for metadata only when the kind is read that way. */
  watchConfig(kind: ClusterKind): KubeConfig {
    const kc = this.http.loaded.kc;
    // A saved snapshot has no API server behind it: nothing to watch.
    if (!kc) throw new PalisadeError('E_USAGE', `${this.context} is a saved snapshot, not a live cluster: it cannot be watched`);
    if (this.readsData(kind)) return kc;
    const adapted = Object.create(kc) as KubeConfig;
    adapted.applyToFetchOptions = (opts) => kc.applyToFetchOptions({ ...opts, headers: { ...opts.headers, Accept: METADATA_ONE } });
    return adapted;
  }
}

/** Key of a list's resourceVersion in {@link ClusterSnapshot.resourceVersions}. */
export function rvKey(kind: ClusterKind, namespace?: string): string {
  return `${kind.resource}.${kind.group}${namespace ? `/${namespace}` : ''}`;
}

function labelsExcluded(labels: Record<string, string> | undefined, selectors: string[] | undefined): boolean {
  if (!selectors?.length || !labels) return false;
  return selectors.some((s) => {
    const eq = s.indexOf('=');
    if (eq < 0) return Object.hasOwn(labels, s);
    return labels[s.slice(0, eq)] === s.slice(eq + 1).replace(/^=/, '');
  });
}

/** Options of {@link ClusterMirror.start}. */
export interface MirrorOptions {
  /** Called for every change applied to the mirror (after a relist, once per difference). */
  onChange?: (change: ClusterChange) => void;
  /** Called when a watch failed or was closed and is being reconnected (the mirror keeps going). */
  onReconnect?: (kind: string, reason: string) => void;
  /** Called after a kind was listed again because its watch version expired (410). */
  onRelist?: (kind: string) => void;
  /** First reconnection delay in ms (doubles up to 30 s); default 500. */
  retryDelayMs?: number;
}

interface KindWatch {
  kind: ClusterKind;
  namespace?: string;
  rv: string;
  abort?: AbortController;
  timer?: NodeJS.Timeout;
  delay: number;
}

/**
 * A live copy of the cluster: a snapshot kept up to date by one watch per kind (per namespace when the scope
 * names namespaces). Watches ask for bookmarks, so a reconnection resumes from a recent version; a closed or
 * failed watch reconnects with backoff; a version the server no longer has (410 Gone) makes the kind be
 * listed again, and the differences with what the mirror held are applied as changes.
 */
export class ClusterMirror {
  private readonly byId = new Map<string, Resource>();
  private readonly watches: KindWatch[] = [];
  private stopped = false;
  private opts: MirrorOptions = {};

  constructor(readonly connector: ClusterConnector, snapshot: ClusterSnapshot) {
    for (const r of snapshot.resources) this.byId.set(r.id, r);
    for (const kind of connector.kinds) {
      const scopes = kind.namespaced && connector.scope.namespaces?.length ? connector.scope.namespaces : [undefined];
      for (const ns of scopes) {
        const rv = snapshot.resourceVersions.get(rvKey(kind, ns));
        if (rv !== undefined) this.watches.push({ kind, namespace: ns, rv, delay: 0 });
      }
    }
  }

  /** The current objects, in snapshot order with additions at the end. */
  resources(): Resource[] {
    return [...this.byId.values()];
  }

  /** The version each watch will resume from (advanced by events and bookmarks). */
  versions(): Map<string, string> {
    return new Map(this.watches.map((w) => [rvKey(w.kind, w.namespace), w.rv]));
  }

  /** Starts every watch. */
  async start(opts: MirrorOptions = {}): Promise<void> {
    this.opts = opts;
    await Promise.all(this.watches.map((w) => this.run(w)));
  }

  /** Stops every watch; no callback runs afterwards. */
  stop(): void {
    this.stopped = true;
    for (const w of this.watches) {
      clearTimeout(w.timer);
      w.abort?.abort();
    }
  }

  private async run(w: KindWatch): Promise<void> {
    if (this.stopped) return;
    let expired = false;
    let failure: string | undefined;
    const path = this.connector.collectionPath(w.kind, w.namespace);
    const watch = new Watch(this.connector.watchConfig(w.kind));
    w.abort = await watch.watch(path, { allowWatchBookmarks: true, resourceVersion: w.rv }, (type: string, object: Record<string, unknown>) => {
      if (this.stopped) return;
      if (type === 'ERROR') {
        const st = object as ApiStatus;
        if (st.code === 410) expired = true;
        else failure = st.message ?? 'watch error';
        return;
      }
      const rv = (object.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
      if (rv) w.rv = rv;
      w.delay = 0;
      if (type === 'BOOKMARK') return;
      if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') this.apply(w.kind, type, object);
    }, (err: unknown) => {
      if (this.stopped) return;
      const e = err as { statusCode?: number; message?: string } | null;
      if (e?.statusCode === 410) expired = true;
      const reason = expired ? 'resourceVersion expired' : failure ?? (e ? (e.message ?? String(e)) : 'closed by the server');
      if (expired) {
        void this.relist(w).catch((x: unknown) => this.retry(w, `relist failed: ${(x as Error).message}`));
      } else {
        this.retry(w, reason);
      }
    });
  }

  private retry(w: KindWatch, reason: string): void {
    if (this.stopped) return;
    this.opts.onReconnect?.(w.kind.kind, reason);
    const first = this.opts.retryDelayMs ?? 500;
    w.delay = w.delay === 0 ? first : Math.min(w.delay * 2, 30_000);
    w.timer = setTimeout(() => void this.run(w), w.delay);
  }

  /** Lists the kind again and turns the differences with the mirror into changes, then watches from the new version. */
  private async relist(w: KindWatch): Promise<void> {
    const listed = await this.connector.listKind(w.kind, w.namespace);
    if (this.stopped) return;
    const seen = new Set<string>();
    for (const raw of listed.items) {
      const r = this.connector.toResource(w.kind, raw);
      if (!r) continue;
      seen.add(r.id);
      const old = this.byId.get(r.id);
      if (!old || JSON.stringify(old.object) !== JSON.stringify(r.object)) {
        this.byId.set(r.id, r);
        this.opts.onChange?.({ type: old ? 'MODIFIED' : 'ADDED', resource: r });
      }
    }
    for (const [id, r] of [...this.byId]) {
      if (r.kind !== w.kind.kind || seen.has(id)) continue;
      if (w.namespace !== undefined && r.namespace !== w.namespace) continue;
      this.byId.delete(id);
      this.opts.onChange?.({ type: 'DELETED', resource: r });
    }
    w.rv = listed.resourceVersion;
    this.opts.onRelist?.(w.kind.kind);
    await this.run(w);
  }

  private apply(kind: ClusterKind, type: ClusterChange['type'], raw: Record<string, unknown>): void {
    const object = normalizeObject(raw, kind, !this.connector.readsData(kind));
    const r = toResource(object, kind, this.connector.context);
    const old = this.byId.get(r.id);
    if (type === 'DELETED' || this.connector.excludes(kind, object)) {
      // An object that now carries an excluded label leaves the mirror as if deleted.
      if (!old) return;
      this.byId.delete(r.id);
      this.opts.onChange?.({ type: 'DELETED', resource: old });
      return;
    }
    this.byId.set(r.id, r);
    this.opts.onChange?.({ type: old ? 'MODIFIED' : 'ADDED', resource: r });
  }
}

