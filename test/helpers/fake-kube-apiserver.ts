/**
 * A local fake Kubernetes API server. No real API server (nor etcd) can run on the machines these tests run
 * on, so this one speaks the same wire protocol for the resources Palisade reads, and the connector under
 * test is the very code that talks to a real cluster:
 *
 * - discovery: `/version`, `/api`, `/api/v1`, `/apis`, `/apis/<group>/<version>`;
 * - list, cluster-wide and per namespace, with `resourceVersion`, `limit`/`continue` pages served from a
 *   consistent snapshot, and `410 Gone` (reason `Expired`) for a continue token older than the last
 *   compaction; `labelSelector` (equality terms);
 * - `Accept: ...;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1` (and `PartialObjectMetadata` on watches):
 *   metadata only, as the real server answers metadata informers;
 * - watch (`?watch=1`): chunked JSON lines `ADDED`/`MODIFIED`/`DELETED`, `BOOKMARK` with
 *   `allowWatchBookmarks`, replay from a `resourceVersion`, and an `ERROR` event holding a 410 Status when
 *   that version has been compacted away;
 * - `SelfSubjectRulesReview` and `SelfSubjectAccessReview` answered from a configurable RBAC rule set, and
 *   403 Status answers (with the real message wording) to requests the rules do not allow;
 * - bearer-token authentication (401 without a known token); HTTPS with a throw-away CA when openssl is
 *   installed, plain HTTP otherwise or on request.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One kind the fake serves. */
export interface FakeKind {
  kind: string;
  group: string;
  version: string;
  resource: string;
  namespaced: boolean;
}

/** Kinds the fake serves (what Palisade reads, plus the review kinds). */
export const FAKE_KINDS: readonly FakeKind[] = [
  { kind: 'Namespace', group: '', version: 'v1', resource: 'namespaces', namespaced: false },
  { kind: 'Node', group: '', version: 'v1', resource: 'nodes', namespaced: false },
  { kind: 'Pod', group: '', version: 'v1', resource: 'pods', namespaced: true },
  { kind: 'ReplicationController', group: '', version: 'v1', resource: 'replicationcontrollers', namespaced: true },
  { kind: 'Service', group: '', version: 'v1', resource: 'services', namespaced: true },
  { kind: 'ServiceAccount', group: '', version: 'v1', resource: 'serviceaccounts', namespaced: true },
  { kind: 'ConfigMap', group: '', version: 'v1', resource: 'configmaps', namespaced: true },
  { kind: 'Secret', group: '', version: 'v1', resource: 'secrets', namespaced: true },
  { kind: 'Deployment', group: 'apps', version: 'v1', resource: 'deployments', namespaced: true },
  { kind: 'ReplicaSet', group: 'apps', version: 'v1', resource: 'replicasets', namespaced: true },
  { kind: 'StatefulSet', group: 'apps', version: 'v1', resource: 'statefulsets', namespaced: true },
  { kind: 'DaemonSet', group: 'apps', version: 'v1', resource: 'daemonsets', namespaced: true },
  { kind: 'Job', group: 'batch', version: 'v1', resource: 'jobs', namespaced: true },
  { kind: 'CronJob', group: 'batch', version: 'v1', resource: 'cronjobs', namespaced: true },
  { kind: 'Ingress', group: 'networking.k8s.io', version: 'v1', resource: 'ingresses', namespaced: true },
  { kind: 'NetworkPolicy', group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies', namespaced: true },
  { kind: 'PodDisruptionBudget', group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', namespaced: true },
  { kind: 'HorizontalPodAutoscaler', group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', namespaced: true },
  { kind: 'Role', group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles', namespaced: true },
  { kind: 'RoleBinding', group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings', namespaced: true },
  { kind: 'ClusterRole', group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles', namespaced: false },
  { kind: 'ClusterRoleBinding', group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings', namespaced: false },
  { kind: 'ValidatingWebhookConfiguration', group: 'admissionregistration.k8s.io', version: 'v1', resource: 'validatingwebhookconfigurations', namespaced: false },
  { kind: 'MutatingWebhookConfiguration', group: 'admissionregistration.k8s.io', version: 'v1', resource: 'mutatingwebhookconfigurations', namespaced: false },
];

/** An RBAC rule granted to the token's user; `namespace` makes it a RoleBinding-scoped grant. */
export interface FakeRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  namespace?: string;
}

/** A Kubernetes object as stored (loosely typed). */
export interface FakeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/** One request the fake received, for assertions. */
export interface FakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  accept: string;
  status: number;
}

export interface FakeKubeOptions {
  /** Objects to start with (default: {@link seedCluster}). */
  objects?: FakeObject[];
  /** Rules of the user the token belongs to (default: read everything). */
  rules?: FakeRule[];
  /** Bearer token accepted (default: a fixed test token). */
  token?: string;
  /** Serve plain HTTP even when openssl is available. */
  plainHttp?: boolean;
}

interface WatchEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  kind: FakeKind;
  object: FakeObject;
}

interface Watcher {
  kind: FakeKind;
  namespace?: string;
  metadataOnly: boolean;
  bookmarks: boolean;
  res: ServerResponse;
}

const READ_ALL: FakeRule[] = [{ verbs: ['get', 'list', 'watch'], apiGroups: ['*'], resources: ['*'] }];

/** A running fake API server. Create it with {@link startFakeKubeApiServer}. */
export class FakeKubeApiServer {
  readonly requests: FakeRequest[] = [];
  rules: FakeRule[];
  /** Continue tokens and watches older than this version get 410 Gone. */
  private compactedRv = 0;
  private rv = 1000;
  private uid = 0;
  private readonly objects = new Map<string, { kind: FakeKind; object: FakeObject }>();
  private readonly events: WatchEvent[] = [];
  /** Consistent list snapshots by list resourceVersion, for continue tokens. */
  private readonly snapshots = new Map<number, Map<string, FakeObject[]>>();
  private readonly watchers = new Set<Watcher>();
  private server!: Server;
  url = '';
  /** PEM of the CA that signed the server certificate (HTTPS only). */
  caPem?: string;
  readonly token: string;

  constructor(opts: FakeKubeOptions = {}) {
    this.rules = opts.rules ?? READ_ALL;
    this.token = opts.token ?? 'palisade-test-token';
    for (const o of opts.objects ?? seedCluster()) this.put(o, false);
  }

  /** Current resourceVersion of the store. */
  get resourceVersion(): string {
    return String(this.rv);
  }

  /** Creates or replaces an object; watchers see ADDED or MODIFIED. */
  apply(object: FakeObject): FakeObject {
    return this.put(object, true);
  }

  /** Deletes an object; watchers see DELETED. */
  remove(kind: string, name: string, namespace?: string): boolean {
    const k = kindOf(kind);
    const key = objectKey(k, namespace, name);
    const existing = this.objects.get(key);
    if (!existing) return false;
    this.objects.delete(key);
    const object = { ...existing.object, metadata: { ...existing.object.metadata, resourceVersion: String(++this.rv) } };
    this.emit({ rv: this.rv, type: 'DELETED', kind: k, object });
    return true;
  }

  /** Forgets history up to now, as etcd compaction does: older continue tokens and watch versions get 410. */
  compact(): void {
    // Lists after the compaction are served at a newer version than any token handed out before it.
    this.compactedRv = this.rv++;
    this.events.length = 0;
    this.snapshots.clear();
  }

  /** Sends a BOOKMARK to every watch that asked for them. */
  bookmark(): void {
    for (const w of this.watchers) {
      if (!w.bookmarks) continue;
      w.res.write(JSON.stringify({ type: 'BOOKMARK', object: { kind: w.kind.kind, apiVersion: apiVersion(w.kind), metadata: { resourceVersion: String(this.rv), annotations: { 'k8s.io/initial-events-end': 'true' } } } }) + '\n');
    }
  }

  /** Ends every open watch from the server side (as an API server restart or a timeout does). */
  closeWatches(): void {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
  }

  /** Number of open watch streams. */
  get openWatches(): number {
    return this.watchers.size;
  }

  /** A kubeconfig naming this server, with the token and (for HTTPS) the CA. */
  kubeconfig(context = 'fake'): string {
    const cluster = this.caPem ? `    certificate-authority-data: ${Buffer.from(this.caPem).toString('base64')}\n` : '';
    return `apiVersion: v1
kind: Config
current-context: ${context}
clusters:
- name: ${context}-cluster
  cluster:
    server: ${this.url}
${cluster}contexts:
- name: ${context}
  context:
    cluster: ${context}-cluster
    user: ${context}-user
users:
- name: ${context}-user
  user:
    token: ${this.token}
`;
  }

  /** All stored objects of a kind (with server-set metadata), for comparisons. */
  list(kind: string): FakeObject[] {
    const k = kindOf(kind);
    return [...this.objects.values()].filter((e) => e.kind === k).map((e) => e.object);
  }

  async listen(plainHttp: boolean): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    const tls = !plainHttp && spawnSync('openssl', ['version']).status === 0 ? makeCertificate() : undefined;
    this.server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createHttpServer(handler);
    this.caPem = tls?.cert;
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const port = (this.server.address() as AddressInfo).port;
    this.url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    this.closeWatches();
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private put(object: FakeObject, notify: boolean): FakeObject {
    const k = kindOf(object.kind);
    const key = objectKey(k, object.metadata.namespace, object.metadata.name);
    const existing = this.objects.get(key);
    const stored = structuredClone(object);
    stored.apiVersion = apiVersion(k);
    stored.metadata.resourceVersion = String(++this.rv);
    stored.metadata.uid = existing?.object.metadata.uid ?? `00000000-0000-4000-8000-${String(++this.uid).padStart(12, '0')}`;
    stored.metadata.creationTimestamp ??= '2026-01-05T10:00:00Z';
    if (!k.namespaced) delete stored.metadata.namespace;
    this.objects.set(key, { kind: k, object: stored });
    if (notify) this.emit({ rv: this.rv, type: existing ? 'MODIFIED' : 'ADDED', kind: k, object: stored });
    return stored;
  }

  private emit(e: WatchEvent): void {
    this.events.push(e);
    for (const w of this.watchers) if (w.kind === e.kind && (!w.namespace || w.namespace === e.object.metadata.namespace)) writeEvent(w, e.type, e.object);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams);
    const accept = String(req.headers.accept ?? '');
    const log: FakeRequest = { method: req.method ?? 'GET', path: url.pathname, query, accept, status: 200 };
    this.requests.push(log);
    const send = (status: number, body: unknown) => {
      log.status = status;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      send(401, status(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    const body = req.method === 'POST' ? await readBody(req) : undefined;
    const path = url.pathname.replace(/\/+$/, '');
    if (path === '/version') return send(200, { major: '1', minor: '31', gitVersion: 'v1.31.4', platform: 'linux/amd64' });
    if (path === '/api') return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '10.0.0.1:6443' }] });
    if (path === '/apis') return send(200, apiGroupList());
    if (req.method === 'POST' && path === '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews') return send(201, this.rulesReview(body));
    if (req.method === 'POST' && path === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews') return send(201, this.accessReview(body));
    const discovery = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (discovery) {
      const group = discovery[2] ?? '';
      const version = discovery[1] ?? discovery[3]!;
      const kinds = FAKE_KINDS.filter((k) => k.group === group && k.version === version);
      if (kinds.length === 0) return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
      return send(200, {
        kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version,
        resources: kinds.map((k) => ({ name: k.resource, singularName: k.kind.toLowerCase(), namespaced: k.namespaced, kind: k.kind, verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] })),
      });
    }
    const m = /^\/(?:api\/v1|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/.exec(path);
    const kind = m && FAKE_KINDS.find((k) => k.group === (m[1] ?? '') && k.resource === m[4] && (m[2] === undefined || k.version === m[2]));
    if (!m || !kind || req.method !== 'GET' || (m[3] !== undefined && !kind.namespaced)) {
      return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    }
    const namespace = m[3];
    const name = m[5];
    const watch = query.watch === '1' || query.watch === 'true';
    const verb = name ? 'get' : watch ? 'watch' : 'list';
    if (!this.allowed(verb, kind.group, kind.resource, namespace)) {
      const scope = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
      const what = name ? `${kind.resource} "${name}"` : kind.resource;
      return send(403, { ...status(403, 'Forbidden', `${what} is forbidden: User "system:serviceaccount:palisade:scanner" cannot ${verb} resource "${kind.resource}" in API group "${kind.group}" ${scope}`), details: { kind: kind.resource, group: kind.group } });
    }
    const metadataOnly = /as=PartialObjectMetadata/.test(accept);
    if (name) {
      const found = this.objects.get(objectKey(kind, namespace, name));
      if (!found) return send(404, status(404, 'NotFound', `${kind.resource} "${name}" not found`));
      return send(200, metadataOnly ? partial(found.object) : found.object);
    }
    if (watch) return this.watch(kind, namespace, query, metadataOnly, res, log);
    this.serveList(kind, namespace, query, metadataOnly, send);
  }

  private serveList(kind: FakeKind, namespace: string | undefined, query: Record<string, string>, metadataOnly: boolean, send: (status: number, body: unknown) => void): void {
    let listRv = this.rv;
    let start = 0;
    const snapshotKey = `${kind.resource}\u0000${namespace ?? ''}\u0000${query.labelSelector ?? ''}`;
    let items: FakeObject[];
    if (query.continue) {
      let token: { rv: number; start: number };
      try {
        token = JSON.parse(Buffer.from(query.continue, 'base64url').toString('utf8')) as { rv: number; start: number };
      } catch {
        return send(400, status(400, 'BadRequest', 'continue key is not valid: illegal base64 data'));
      }
      const snap = this.snapshots.get(token.rv)?.get(snapshotKey);
      if (token.rv <= this.compactedRv || !snap) {
        return send(410, status(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.'));
      }
      listRv = token.rv;
      start = token.start;
      items = snap;
    } else {
      items = [...this.objects.values()]
        .filter((e) => e.kind === kind && (!namespace || e.object.metadata.namespace === namespace) && labelsMatch(e.object, query.labelSelector))
        .map((e) => e.object)
        .sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));
    }
    const limit = query.limit ? Number(query.limit) : 0;
    const page = limit > 0 ? items.slice(start, start + limit) : items.slice(start);
    const metadata: Record<string, unknown> = { resourceVersion: String(listRv) };
    if (limit > 0 && start + limit < items.length) {
      let byKey = this.snapshots.get(listRv);
      if (!byKey) this.snapshots.set(listRv, (byKey = new Map()));
      byKey.set(snapshotKey, items);
      metadata.continue = Buffer.from(JSON.stringify({ rv: listRv, start: start + limit })).toString('base64url');
      metadata.remainingItemCount = items.length - start - limit;
    }
    // Items of a typed list carry no kind or apiVersion: the list says what they are.
    const out = page.map((o) => {
      if (metadataOnly) return partial(o);
      const { kind: _k, apiVersion: _a, ...rest } = o;
      return rest;
    });
    send(200, metadataOnly
      ? { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata, items: out }
      : { kind: `${kind.kind}List`, apiVersion: apiVersion(kind), metadata, items: out });
  }

  private watch(kind: FakeKind, namespace: string | undefined, query: Record<string, string>, metadataOnly: boolean, res: ServerResponse, log: FakeRequest): void {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const w: Watcher = { kind, namespace, metadataOnly, bookmarks: query.allowWatchBookmarks === 'true' || query.allowWatchBookmarks === '1', res };
    const from = query.resourceVersion && query.resourceVersion !== '0' ? Number(query.resourceVersion) : undefined;
    if (from !== undefined && from < this.compactedRv) {
      log.status = 410;
      res.end(JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${this.compactedRv})`) }) + '\n');
      return;
    }
    if (from === undefined) {
      // No version: the current state first, as synthetic ADDED events.
      for (const e of this.objects.values()) if (e.kind === kind && (!namespace || e.object.metadata.namespace === namespace)) writeEvent(w, 'ADDED', e.object);
    } else {
      for (const e of this.events) if (e.rv > from && e.kind === kind && (!namespace || e.object.metadata.namespace === namespace)) writeEvent(w, e.type, e.object);
    }
    this.watchers.add(w);
    res.on('close', () => this.watchers.delete(w));
  }

  private allowed(verb: string, group: string, resource: string, namespace: string | undefined): boolean {
    return this.rules.some((r) =>
      (r.namespace === undefined || r.namespace === namespace) &&
      (r.verbs.includes('*') || r.verbs.includes(verb)) &&
      (r.apiGroups.includes('*') || r.apiGroups.includes(group)) &&
      (r.resources.includes('*') || r.resources.includes(resource)));
  }

  private rulesReview(body: unknown): unknown {
    const ns = (body as { spec?: { namespace?: string } })?.spec?.namespace;
    const rules = this.rules.filter((r) => r.namespace === undefined || r.namespace === ns);
    return {
      kind: 'SelfSubjectRulesReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec: { namespace: ns },
      status: {
        resourceRules: [
          { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] },
          ...rules.map((r) => ({ verbs: r.verbs, apiGroups: r.apiGroups, resources: r.resources })),
        ],
        nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/readyz', '/version', '/version/'] }],
        incomplete: false,
      },
    };
  }

  private accessReview(body: unknown): unknown {
    const spec = (body as { spec?: { resourceAttributes?: { namespace?: string; verb?: string; group?: string; resource?: string } } })?.spec ?? {};
    const a = spec.resourceAttributes ?? {};
    const allowed = this.allowed(a.verb ?? '', a.group ?? '', a.resource ?? '', a.namespace || undefined);
    return { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec, status: allowed ? { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "palisade-read"' } : { allowed: false } };
  }
}

/** Starts a fake API server on a free loopback port. */
export async function startFakeKubeApiServer(opts: FakeKubeOptions = {}): Promise<FakeKubeApiServer> {
  const s = new FakeKubeApiServer(opts);
  await s.listen(opts.plainHttp ?? false);
  return s;
}

function writeEvent(w: Watcher, type: string, object: FakeObject): void {
  w.res.write(JSON.stringify({ type, object: w.metadataOnly ? partial(object) : object }) + '\n');
}

function partial(o: FakeObject): unknown {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

function kindOf(kind: string): FakeKind {
  const k = FAKE_KINDS.find((x) => x.kind === kind);
  if (!k) throw new Error(`fake API server: unknown kind ${kind}`);
  return k;
}

function apiVersion(k: FakeKind): string {
  return k.group ? `${k.group}/${k.version}` : k.version;
}

function objectKey(k: FakeKind, ns: string | undefined, name: string): string {
  return `${k.resource}/${k.namespaced ? (ns ?? 'default') : ''}/${name}`;
}

function keyOf(o: FakeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function labelsMatch(o: FakeObject, selector: string | undefined): boolean {
  if (!selector) return true;
  const labels = (o.metadata.labels ?? {}) as Record<string, string>;
  return selector.split(',').every((term) => {
    const [k, v] = term.split(/!?=+/);
    if (term.includes('!=')) return labels[k!] !== v;
    return v === undefined ? k! in labels : labels[k!] === v;
  });
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function apiGroupList(): unknown {
  const groups = [...new Set(FAKE_KINDS.map((k) => k.group).filter(Boolean)), 'authorization.k8s.io'];
  return {
    kind: 'APIGroupList', apiVersion: 'v1',
    groups: groups.map((g) => {
      const version = FAKE_KINDS.find((k) => k.group === g)?.version ?? 'v1';
      const gv = { groupVersion: `${g}/${version}`, version };
      return { name: g, versions: [gv], preferredVersion: gv };
    }),
  };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

function makeCertificate(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-fake-kube-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=fake-kube-apiserver',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'pipe' });
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Fields a real API server adds that a scan must not depend on: managedFields and status. */
function serverNoise(manager: string): Record<string, unknown> {
  return { managedFields: [{ manager, operation: 'Update', apiVersion: 'v1', time: '2026-01-05T10:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': {} } } }] };
}

const container = (name: string, image: string, extra: Record<string, unknown> = {}) => ({ name, image, ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: {}, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent', ...extra });

const hardened = {
  allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 10001,
  capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
};

/**
 * A small but realistic cluster: system and application namespaces, two nodes, a hardened and a careless
 * Deployment with their ReplicaSets and Pods (owner references as a controller manager writes them), a
 * DaemonSet, a CronJob, Services (one LoadBalancer), an Ingress without TLS, a default-deny NetworkPolicy
 * in one namespace only, RBAC with a risky binding, service accounts, admission webhooks, ConfigMaps and
 * Secrets (one applied with kubectl, so its last-applied annotation holds the secret value).
 */
export function seedCluster(): FakeObject[] {
  const out: FakeObject[] = [];
  const add = (o: FakeObject) => out.push(o);
  for (const ns of ['default', 'kube-system', 'payments', 'storefront', 'monitoring']) {
    add({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns, ...(ns === 'payments' ? { 'pod-security.kubernetes.io/enforce': 'restricted' } : {}) }, ...serverNoise('kube-apiserver') }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  }
  for (const n of ['node-a', 'node-b']) {
    add({ apiVersion: 'v1', kind: 'Node', metadata: { name: n, labels: { 'kubernetes.io/hostname': n, 'kubernetes.io/os': 'linux' }, ...serverNoise('kubelet') }, spec: { podCIDR: '10.244.0.0/24' }, status: { nodeInfo: { kubeletVersion: 'v1.31.4', containerRuntimeVersion: 'containerd://1.7.22', osImage: 'Debian GNU/Linux 12 (bookworm)' }, addresses: [{ type: 'InternalIP', address: n === 'node-a' ? '10.0.0.11' : '10.0.0.12' }], images: [{ names: ['registry.k8s.io/pause:3.10'], sizeBytes: 320368 }], conditions: [{ type: 'Ready', status: 'True' }] } });
  }
  const workload = (ns: string, name: string, spec: Record<string, unknown>, labels: Record<string, string>) => {
    const template = { metadata: { labels }, spec };
    add({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns, labels, annotations: { 'deployment.kubernetes.io/revision': '3' }, generation: 3, ...serverNoise('kubectl-client-side-apply') }, spec: { replicas: 2, selector: { matchLabels: labels }, template, strategy: { type: 'RollingUpdate' } }, status: { replicas: 2, readyReplicas: 2, observedGeneration: 3 } });
    const rs = `${name}-7d9f8b6c5`;
    add({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: rs, namespace: ns, labels: { ...labels, 'pod-template-hash': '7d9f8b6c5' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: `uid-${name}`, controller: true, blockOwnerDeletion: true }], ...serverNoise('kube-controller-manager') }, spec: { replicas: 2, selector: { matchLabels: { ...labels, 'pod-template-hash': '7d9f8b6c5' } }, template: { metadata: { labels: { ...labels, 'pod-template-hash': '7d9f8b6c5' } }, spec } }, status: { replicas: 2 } });
    for (const suffix of ['x2k4p', 'q8m7z']) {
      add({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `${rs}-${suffix}`, namespace: ns, labels: { ...labels, 'pod-template-hash': '7d9f8b6c5' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs, uid: `uid-${rs}`, controller: true, blockOwnerDeletion: true }], ...serverNoise('kubelet') }, spec: { ...spec, nodeName: suffix === 'x2k4p' ? 'node-a' : 'node-b' }, status: { phase: 'Running', podIP: '10.244.1.7', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, imageID: 'docker.io/library/app@sha256:' + 'a'.repeat(64) }] } });
    }
  };
  workload('payments', 'ledger', {
    serviceAccountName: 'ledger', automountServiceAccountToken: false, securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [container('app', `registry.example.com/payments/ledger@sha256:${'b'.repeat(64)}`, { securityContext: hardened, resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } }, livenessProbe: { httpGet: { path: '/healthz', port: 8080 } }, readinessProbe: { httpGet: { path: '/ready', port: 8080 } } })],
  }, { app: 'ledger' });
  workload('storefront', 'web', {
    hostNetwork: true,
    containers: [container('app', 'nginx:latest', { securityContext: { privileged: true }, env: [{ name: 'DB_PASSWORD', value: 'hunter2' }] })],
    volumes: [{ name: 'docker', hostPath: { path: '/var/run/docker.sock' } }],
  }, { app: 'web' });
  add({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'node-exporter', namespace: 'monitoring', labels: { app: 'node-exporter' } }, spec: { selector: { matchLabels: { app: 'node-exporter' } }, template: { metadata: { labels: { app: 'node-exporter' } }, spec: { hostPID: true, containers: [container('exporter', 'quay.io/prometheus/node-exporter:v1.8.2', { volumeMounts: [{ name: 'proc', mountPath: '/host/proc', readOnly: true }] })], volumes: [{ name: 'proc', hostPath: { path: '/proc' } }] } } }, status: { numberReady: 2 } });
  add({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'nightly-report', namespace: 'storefront' }, spec: { schedule: '0 2 * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [container('report', 'registry.example.com/storefront/report:1.4.2')] } } } } } });
  add({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'ledger', namespace: 'payments' }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.20', selector: { app: 'ledger' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] } });
  add({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'storefront' }, spec: { type: 'LoadBalancer', clusterIP: '10.96.0.30', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, nodePort: 31080, protocol: 'TCP' }] }, status: { loadBalancer: { ingress: [{ ip: '203.0.113.10' }] } } });
  add({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'kubernetes', namespace: 'default' }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, targetPort: 6443, protocol: 'TCP' }] } });
  add({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'storefront' }, spec: { ingressClassName: 'nginx', rules: [{ host: 'shop.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] } });
  add({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny', namespace: 'payments' }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } });
  for (const [ns, sa] of [['default', 'default'], ['payments', 'default'], ['payments', 'ledger'], ['storefront', 'default'], ['monitoring', 'default'], ['kube-system', 'default']] as const) {
    add({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: ns } });
  }
  add({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'cluster-admin', labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }] });
  add({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'ci-deployer' }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }, { apiGroups: ['apps'], resources: ['deployments'], verbs: ['*'] }] });
  add({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'ci-is-admin' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: 'storefront' }] });
  add({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'ledger-config', namespace: 'payments' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'watch', 'list'] }] });
  add({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'ledger-config', namespace: 'payments' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'ledger-config' }, subjects: [{ kind: 'ServiceAccount', name: 'ledger', namespace: 'payments' }] });
  add({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'policy-controller' }, webhooks: [{ name: 'validate.policy.example.com', admissionReviewVersions: ['v1'], sideEffects: 'None', failurePolicy: 'Ignore', clientConfig: { service: { name: 'policy', namespace: 'kube-system', path: '/validate' } }, rules: [{ apiGroups: ['*'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] }] }] });
  add({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'sidecar-injector' }, webhooks: [{ name: 'inject.sidecar.example.com', admissionReviewVersions: ['v1'], sideEffects: 'None', failurePolicy: 'Fail', clientConfig: { service: { name: 'injector', namespace: 'kube-system', path: '/inject' } }, rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }] }] });
  add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ledger-settings', namespace: 'payments' }, data: { LOG_LEVEL: 'info', DATABASE_PASSWORD: 'correct-horse-battery-staple' } });
  add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace: 'storefront' }, data: { 'ca.crt': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' } });
  add({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'ledger-db', namespace: 'payments', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"apiVersion":"v1","data":{"password":"c2VjcmV0LXZhbHVlLTQy"},"kind":"Secret","metadata":{"name":"ledger-db","namespace":"payments"}}\n' } }, data: { password: Buffer.from('secret-value-42').toString('base64') } });
  add({ apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'shop-tls', namespace: 'storefront' }, data: { 'tls.crt': 'LS0tLS1CRUdJTg==', 'tls.key': Buffer.from('private-key-material').toString('base64') } });
  return out;
}
