import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ClusterConnector, SnapshotFile, type ClusterAccess, type ClusterFeature, type ClusterScope, type PreflightResult } from '../inputs/cluster/index.js';
import { ALL_CHECKS } from '../misconfig/checks/index.js';
import { kubectlPatchCommand, toJsonPatch } from '../misconfig/json-patch.js';
import { PalisadeError } from '../model/errors.js';
import type { Finding } from '../model/finding.js';
import type { K8sObject, Resource } from '../model/resource.js';
import { asSeverity, severityRank, type Severity } from '../model/severity.js';
import type { AssetRelationRow, AssetRow, ConnectorRow, ExemptionRow, FindingRow, Store, StoredFix } from '../storage/store.js';
import { clusterPreflight, scanCluster } from './cluster.js';
import { recordCompliance } from './compliance.js';
import { parseConfig } from './config.js';
import type { SecretBox } from './secrets.js';
import type { Actor } from './users.js';

/** How a cluster connector reaches its cluster: a kubeconfig (content and context) or the in-cluster service account. */
export interface NewClusterConnector {
  name: string;
  /** kubeconfig content; stored encrypted, never returned. */
  kubeconfig?: string;
  context?: string;
  inCluster?: boolean;
  /** What part of the cluster is read. */
  scope?: { namespaces?: string[]; excludeNamespaces?: string[]; excludeLabels?: string[]; features?: ClusterFeature[]; excludeImages?: string[] };
}

/** A connector as the API shows it: its settings, whether it holds credentials, never the credentials. */
export interface ConnectorView {
  id: string;
  kind: string;
  name: string;
  config: Record<string, unknown>;
  hasCredentials: boolean;
  /** The outcome of the latest sync (on demand or scheduled), or null before the first. */
  lastSync: LastSync | null;
  createdAt: string;
  updatedAt: string;
}

/** When the latest sync ran, whether it worked and, when it did not, why. */
export interface LastSync {
  at: string;
  ok: boolean;
  error?: string;
  /** When the latest sync that worked ran (kept across failures). */
  lastSuccessAt?: string;
}

/** The outcome of onboarding: saved (perhaps despite missing permissions, when forced) or refused. */
export type OnboardResult = { saved: true; connector: ConnectorView; preflight: PreflightResult } | { saved: false; preflight: PreflightResult };

/** What a sync found and stored. */
export interface SyncResult {
  connectorId: string;
  at: string;
  resources: number;
  assets: number;
  relations: number;
  findings: number;
  /** Findings covered by an active exemption, not stored. */
  exempted: number;
  /** Findings of an earlier sync that are gone (or newly exempted). */
  resolved: number;
  score: number;
  errors: Array<{ code: string; file: string; message: string }>;
}

/** The shape of the sealed secrets of a cluster connector. */
interface ClusterSecrets {
  kubeconfig?: string;
}

/** The connector without its credentials. */
export function connectorView(c: ConnectorRow): ConnectorView {
  return { id: c.id, kind: c.kind, name: c.name, config: c.config, hasCredentials: c.secrets !== null, lastSync: lastSyncOf(c), createdAt: c.createdAt, updatedAt: c.updatedAt };
}

/** The latest sync recorded in a connector's settings. */
export function lastSyncOf(c: Pick<ConnectorRow, 'config'>): LastSync | null {
  const l = c.config.lastSync as { at?: unknown; ok?: unknown; error?: unknown; lastSuccessAt?: unknown } | undefined;
  if (!l || typeof l.at !== 'string') return null;
  const ok = l.ok !== false;
  const out: LastSync = { at: l.at, ok };
  if (!ok && typeof l.error === 'string') out.error = l.error;
  const success = ok ? l.at : l.lastSuccessAt;
  if (typeof success === 'string') out.lastSuccessAt = success;
  return out;
}

/**
 * Whether the connector's monitoring was stopped for good (offboarding): no scheduler, in this process or
 * another sharing the store, and none after a restart, syncs or watches it again, and no sync stores data for it.
 */
export async function monitoringStopped(store: Store, connectorId: string): Promise<boolean> {
  return Boolean((await store.getOffboarding(connectorId))?.monitoringStoppedAt);
}

/**
 * Records a sync that failed in the connector's settings (`lastSync: { at, ok: false, error }`), keeping when
 * the latest sync that worked ran. Reads the row afresh so a concurrent change of settings is not lost.
 */
export async function recordSyncFailure(store: Store, id: string, error: string, at: Date = new Date()): Promise<void> {
  await store.transaction(async (tx) => {
    const c = await tx.getConnector(id);
    if (!c) return;
    const lastSuccessAt = lastSyncOf(c)?.lastSuccessAt;
    await tx.updateConnector(id, { config: { ...c.config, lastSync: { at: at.toISOString(), ok: false, error, ...(lastSuccessAt ? { lastSuccessAt } : {}) } } });
  });
}

function accessOf(input: Pick<NewClusterConnector, 'kubeconfig' | 'context' | 'inCluster'>): ClusterAccess {
  return input.inCluster ? { inCluster: true } : { kubeconfigText: input.kubeconfig ?? '', context: input.context };
}

/** The access of a stored cluster connector, its kubeconfig decrypted (bound to the connector's id). */
export function storedAccess(box: SecretBox, c: ConnectorRow): ClusterAccess {
  const secrets: ClusterSecrets = c.secrets ? (JSON.parse(box.open(c.secrets, c.id)) as ClusterSecrets) : {};
  return accessOf({ kubeconfig: secrets.kubeconfig, context: c.config.context as string | undefined, inCluster: c.config.inCluster === true });
}

function scopeOf(c: ConnectorRow): ClusterScope {
  return (c.config.scope ?? {}) as ClusterScope;
}

/** The snapshot file a cluster connector reads instead of an API server (an offline cluster), if any. */
export function snapshotOf(c: Pick<ConnectorRow, 'config'>): string | undefined {
  return typeof c.config.snapshot === 'string' ? c.config.snapshot : undefined;
}

/**
 * Opens a stored cluster connector's cluster: its saved snapshot file when it has one (`config.snapshot`),
 * else the API server its kubeconfig or service account reaches. Either way the same reading, scope and
 * exclusions apply.
 */
export function openClusterOf(box: SecretBox, c: ConnectorRow): ClusterConnector {
  const snapshot = snapshotOf(c);
  if (snapshot !== undefined) return new ClusterConnector(new SnapshotFile(snapshot, typeof c.config.context === 'string' ? c.config.context : undefined), scopeOf(c));
  return ClusterConnector.open(storedAccess(box, c), scopeOf(c));
}

/** A cluster connector that reads a saved snapshot (`kubectl get -o yaml`) instead of a live cluster. */
export interface NewSnapshotConnector {
  name: string;
  /** The snapshot file; stored as an absolute path. */
  snapshot: string;
  /** The name the cluster goes by (default: the connector's name). */
  context?: string;
  scope?: NewClusterConnector['scope'];
  /**
   * Images of the snapshot's workloads available as OCI layouts (reference -> layout folder): they are scanned
   * from there. An offline cluster's registries are usually out of reach, so no other image is pulled.
   */
  images?: Record<string, string>;
}

/** The settings of a snapshot connector as stored (absolute paths). */
export function snapshotConnectorConfig(input: NewSnapshotConnector): Record<string, unknown> {
  const snapshot = resolve(input.snapshot);
  const images = Object.fromEntries(Object.entries(input.images ?? {}).map(([ref, dir]) => [ref, resolve(dir)]));
  return { snapshot, context: input.context ?? input.name, server: pathToFileURL(snapshot).href, inCluster: false, scope: input.scope ?? {}, images };
}

/**
 * Adds a cluster connector for a saved snapshot: no credentials and no permission preflight (there is no API
 * server); it is synced, assessed and scored like any cluster connector, and never watched. Audited.
 */
export function createSnapshotConnector(store: Store, actor: Actor, input: NewSnapshotConnector): Promise<ConnectorView> {
  return store.transaction(async (tx) => {
    const created = await tx.createConnector({ kind: 'cluster', name: input.name, config: snapshotConnectorConfig(input), secrets: null });
    await tx.appendAudit({ actor: actor.name, action: 'connector.create', target: `connector:${created.id}`, source: actor.source, before: null, after: connectorView(created) });
    return connectorView(created);
  });
}

/** Summary of a preflight kept in the audit trail and the connector's settings (no YAML). */
function preflightSummary(p: PreflightResult) {
  return { ok: p.ok, server: p.server, context: p.context, checks: p.checks.length, missing: p.missing.map((m) => `${m.verb} ${m.group ? `${m.group}/` : ''}${m.resource}${m.namespace ? ` in ${m.namespace}` : ''}`) };
}

/**
 * Onboards a cluster: runs the permission preflight first and saves nothing when a required permission is
 * missing (unless `force`). The kubeconfig is sealed with the connector's id as associated data, so the
 * ciphertext is useless on any other row; the row and its audit entry are written together.
 */
export async function onboardCluster(store: Store, box: SecretBox, actor: Actor, input: NewClusterConnector, opts: { force?: boolean; dryRun?: boolean } = {}): Promise<OnboardResult> {
  const preflight = await clusterPreflight(accessOf(input), { features: input.scope?.features, namespaces: input.scope?.namespaces });
  // A dry run (the onboarding wizard's check step) only answers what the preflight found: nothing is kept.
  if (opts.dryRun) return { saved: false, preflight };
  if (!preflight.ok && !opts.force) {
    await store.appendAudit({ actor: actor.name, action: 'connector.refuse', target: `connector:${input.name}`, source: actor.source, before: null, after: preflightSummary(preflight) });
    return { saved: false, preflight };
  }
  const row = await store.transaction(async (tx) => {
    const config = { context: input.inCluster ? undefined : (input.context ?? preflight.context), inCluster: input.inCluster === true, server: preflight.server, scope: input.scope ?? {}, preflight: { ...preflightSummary(preflight), at: new Date().toISOString(), forced: !preflight.ok } };
    const created = await tx.createConnector({ kind: 'cluster', name: input.name, config: JSON.parse(JSON.stringify(config)) as Record<string, unknown>, secrets: null });
    const sealed = input.inCluster ? null : box.seal(JSON.stringify({ kubeconfig: input.kubeconfig } satisfies ClusterSecrets), created.id);
    const saved = (await tx.updateConnector(created.id, { secrets: sealed }))!;
    await tx.appendAudit({ actor: actor.name, action: 'connector.create', target: `connector:${saved.id}`, source: actor.source, before: null, after: { ...connectorView(saved), forced: !preflight.ok } });
    return saved;
  });
  return { saved: true, connector: connectorView(row), preflight };
}

/**
 * A finding's suggested fix as a JSON Patch against the object the sync read (what `kubectl patch --type=json`
 * applies to the live resource), or null when the check has none or nothing would change.
 */
export function liveFix(f: Pick<Finding, 'fix'>, object: unknown): StoredFix | null {
  if (!f.fix || object === undefined) return null;
  const patch = toJsonPatch(object, f.fix.operations);
  return patch.length > 0 ? { description: f.fix.description, patch } : null;
}

/** A stored fix with the `kubectl patch` command for the asset it is about (its kind, name and namespace). */
export function fixView(fix: StoredFix, attributes: Record<string, unknown>): { description: string; patch: StoredFix['patch']; command?: string } {
  const { kind, name, namespace } = attributes;
  if (typeof kind !== 'string' || typeof name !== 'string') return fix;
  return { ...fix, command: kubectlPatchCommand({ kind, name, namespace: typeof namespace === 'string' ? namespace : null }, fix.patch) };
}

/** Runs the preflight of a stored connector again (after a grant was applied, say), audited. */
export async function preflightConnector(store: Store, box: SecretBox, actor: Actor, c: ConnectorRow): Promise<PreflightResult> {
  if (snapshotOf(c) !== undefined) throw new PalisadeError('E_USAGE', `connector ${c.name} reads a saved snapshot: there is no API server whose permissions could be checked`);
  const scope = scopeOf(c);
  const result = await clusterPreflight(storedAccess(box, c), { features: scope.features, namespaces: scope.namespaces });
  await store.transaction(async (tx) => {
    await tx.updateConnector(c.id, { config: { ...c.config, preflight: { ...preflightSummary(result), at: new Date().toISOString() } } });
    await tx.appendAudit({ actor: actor.name, action: 'connector.preflight', target: `connector:${c.id}`, source: actor.source, before: null, after: preflightSummary(result) });
  });
  return result;
}

/** Deletes a connector with its inventory and findings (the database cascades), audited. */
export function removeConnector(store: Store, actor: Actor, id: string): Promise<boolean> {
  return store.transaction(async (tx) => {
    const c = await tx.getConnector(id);
    if (!c) return false;
    await tx.deleteConnector(id);
    await tx.appendAudit({ actor: actor.name, action: 'connector.delete', target: `connector:${id}`, source: actor.source, before: connectorView(c), after: null });
    return true;
  });
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'ReplicationController']);
const ASSET_TYPES: Record<string, string> = {
  Namespace: 'namespace',
  Pod: 'pod',
  Node: 'node',
  ServiceAccount: 'service-account',
  Role: 'role',
  ClusterRole: 'role',
  RoleBinding: 'role-binding',
  ClusterRoleBinding: 'role-binding',
  Service: 'service',
  Ingress: 'ingress',
  NetworkPolicy: 'network-policy',
};

/** The asset type of a Kubernetes kind: `workload` for controllers, else a kebab-case name of the kind. */
export function assetType(kind: string): string {
  if (WORKLOAD_KINDS.has(kind)) return 'workload';
  return ASSET_TYPES[kind] ?? kind.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** Key of a cluster object: `<namespace>/<Kind>/<name>` when namespaced (a Namespace is its own namespace), else `<Kind>/<name>`. */
export function assetKey(kind: string, name: string, namespace?: string): string {
  const ns = kind === 'Namespace' ? name : namespace;
  return ns ? `${ns}/${kind}/${name}` : `${kind}/${name}`;
}

type NewAsset = Omit<AssetRow, 'id' | 'firstSeen' | 'lastSeen'>;
type Spec = Record<string, unknown>;

interface ContainerSpec {
  name: string;
  image?: string;
}

/** The pod spec of a pod or a workload's template (a CronJob's is one level deeper). */
function podSpec(r: Resource): Spec | undefined {
  const o = r.object as K8sObject & { spec?: Spec };
  if (r.kind === 'Pod') return o.spec;
  if (r.kind === 'CronJob') return (((o.spec?.jobTemplate as Spec | undefined)?.spec as Spec | undefined)?.template as Spec | undefined)?.spec as Spec | undefined;
  return ((o.spec?.template as Spec | undefined)?.spec as Spec | undefined) ?? undefined;
}

function templateLabels(r: Resource): Record<string, string> {
  const o = r.object as K8sObject & { spec?: Spec };
  const t = r.kind === 'CronJob' ? (((o.spec?.jobTemplate as Spec | undefined)?.spec as Spec | undefined)?.template as Spec | undefined) : (o.spec?.template as Spec | undefined);
  return ((t?.metadata as Spec | undefined)?.labels as Record<string, string> | undefined) ?? (r.kind === 'Pod' ? (r.object.metadata.labels ?? {}) : {});
}

function containersOf(spec: Spec | undefined): ContainerSpec[] {
  if (!spec) return [];
  return [...((spec.initContainers as ContainerSpec[] | undefined) ?? []), ...((spec.containers as ContainerSpec[] | undefined) ?? [])];
}

/**
 * The inventory a snapshot describes: the cluster, every object as an asset, containers and images, and
 * the relations between them (workload runs image, service exposes workload, binding grants role to account).
 * Relations are named by asset identity (`type` and `key`) until the assets have ids.
 */
export function inventoryOf(connectorId: string, cluster: { context: string; server: string }, resources: Resource[]): { assets: NewAsset[]; relations: Array<{ from: string; to: string; kind: string }> } {
  const assets = new Map<string, NewAsset>();
  const relations: Array<{ from: string; to: string; kind: string }> = [];
  const id = (type: string, key: string) => `${type}\u0000${key}`;
  const add = (type: string, key: string, attributes: Record<string, unknown>) => {
    assets.set(id(type, key), { connectorId, type, key, attributes });
    return id(type, key);
  };
  const clusterId = add('cluster', `Cluster/${cluster.context}`, { context: cluster.context, server: cluster.server });
  const byKind = (kinds: string[]) => resources.filter((r) => kinds.includes(r.kind));

  for (const r of resources) {
    const type = assetType(r.kind);
    const key = assetKey(r.kind, r.name, r.namespace);
    const attrs: Record<string, unknown> = { kind: r.kind, apiVersion: r.apiVersion, name: r.name, namespace: r.namespace ?? null, labels: r.object.metadata.labels ?? {}, source: r.source.file };
    const self = add(type, key, attrs);
    if (r.kind === 'Namespace') relations.push({ from: clusterId, to: self, kind: 'contains' });
    else if (r.namespace) relations.push({ from: id('namespace', assetKey('Namespace', r.namespace)), to: self, kind: 'contains' });
    else relations.push({ from: clusterId, to: self, kind: 'contains' });

    const spec = podSpec(r);
    if (spec && (type === 'workload' || type === 'pod')) {
      const images: string[] = [];
      for (const c of containersOf(spec)) {
        const container = add('container', `${key}/${c.name}`, { name: c.name, image: c.image ?? null, owner: key });
        relations.push({ from: self, to: container, kind: 'contains' });
        if (!c.image) continue;
        images.push(c.image);
        const image = add('image', c.image, imageAttributes(c.image));
        relations.push({ from: container, to: image, kind: 'runs' }, { from: self, to: image, kind: 'runs' });
      }
      attrs.images = images;
      const sa = (spec.serviceAccountName as string | undefined) ?? 'default';
      if (r.namespace) relations.push({ from: self, to: id('service-account', assetKey('ServiceAccount', sa, r.namespace)), kind: 'uses' });
    }
    if (r.kind === 'Node') {
      const info = (r.object.status as Spec | undefined)?.nodeInfo as Spec | undefined;
      if (info) attrs.kubeletVersion = info.kubeletVersion ?? null;
    }
    // LoadBalancer and NodePort Services reach outside the cluster: the vulnerability views rank what they expose first.
    if (r.kind === 'Service') attrs.serviceType = ((r.object as K8sObject & { spec?: Spec }).spec?.type as string | undefined) ?? 'ClusterIP';
  }

  // Service exposes workload (and bare pods): its selector matches the pod template's labels, in its namespace.
  const exposable = resources.filter((r) => (WORKLOAD_KINDS.has(r.kind) || r.kind === 'Pod') && !(r.kind === 'Pod' && ((r.object.metadata.ownerReferences as unknown[] | undefined)?.length ?? 0) > 0));
  for (const s of byKind(['Service'])) {
    const selector = ((s.object as K8sObject & { spec?: Spec }).spec?.selector as Record<string, string> | undefined) ?? {};
    if (Object.keys(selector).length === 0) continue;
    for (const w of exposable) {
      if (w.namespace !== s.namespace || w.kind === 'ReplicaSet' || w.kind === 'Job') continue;
      const labels = templateLabels(w);
      if (Object.entries(selector).every(([k, v]) => labels[k] === v)) {
        relations.push({ from: id('service', assetKey('Service', s.name, s.namespace)), to: id(assetType(w.kind), assetKey(w.kind, w.name, w.namespace)), kind: 'exposes' });
      }
    }
  }
  // Controller owns what it made (Deployment -> ReplicaSet -> Pod, CronJob -> Job -> Pod), from ownerReferences in
  // the same namespace (Kubernetes forbids owners across namespaces), so a pod's page leads to what runs it.
  for (const r of resources) {
    const owners = r.object.metadata.ownerReferences as Array<{ kind?: string; name?: string; controller?: boolean }> | undefined;
    if (!Array.isArray(owners) || !r.namespace) continue;
    const self = id(assetType(r.kind), assetKey(r.kind, r.name, r.namespace));
    for (const o of owners) if (o.kind && o.name) relations.push({ from: id(assetType(o.kind), assetKey(o.kind, o.name, r.namespace)), to: self, kind: 'owns' });
  }
  // Ingress routes to service.
  for (const ing of byKind(['Ingress'])) {
    for (const svc of ingressServices(ing.object)) relations.push({ from: id('ingress', assetKey('Ingress', ing.name, ing.namespace)), to: id('service', assetKey('Service', svc, ing.namespace)), kind: 'routes-to' });
  }
  // Binding grants role to account.
  for (const b of byKind(['RoleBinding', 'ClusterRoleBinding'])) {
    const o = b.object as K8sObject & { roleRef?: { kind?: string; name?: string }; subjects?: Array<{ kind?: string; name?: string; namespace?: string }> };
    const self = id('role-binding', assetKey(b.kind, b.name, b.namespace));
    if (o.roleRef?.kind && o.roleRef.name) {
      const roleNs = o.roleRef.kind === 'Role' ? b.namespace : undefined;
      relations.push({ from: self, to: id('role', assetKey(o.roleRef.kind, o.roleRef.name, roleNs)), kind: 'grants' });
    }
    for (const s of o.subjects ?? []) {
      if (s.kind === 'ServiceAccount' && s.name) relations.push({ from: self, to: id('service-account', assetKey('ServiceAccount', s.name, s.namespace ?? b.namespace)), kind: 'binds' });
    }
  }
  const known = relations.filter((r) => assets.has(r.from) && assets.has(r.to));
  return { assets: [...assets.values()], relations: known };
}

function ingressServices(o: K8sObject): string[] {
  const spec = (o as K8sObject & { spec?: Spec }).spec ?? {};
  const out = new Set<string>();
  const backend = (b: Spec | undefined) => {
    const name = (b?.service as Spec | undefined)?.name as string | undefined;
    if (name) out.add(name);
  };
  backend(spec.defaultBackend as Spec | undefined);
  for (const rule of (spec.rules as Spec[] | undefined) ?? []) {
    for (const p of ((rule.http as Spec | undefined)?.paths as Spec[] | undefined) ?? []) backend(p.backend as Spec | undefined);
  }
  return [...out];
}

/** Repository, tag and digest of an image reference. */
export function imageAttributes(ref: string): { reference: string; repository: string; tag: string | null; digest: string | null } {
  const [nameTag, digest] = ref.split('@') as [string, string | undefined];
  const slash = nameTag.lastIndexOf('/');
  const colon = nameTag.lastIndexOf(':');
  const hasTag = colon > slash;
  return { reference: ref, repository: hasTag ? nameTag.slice(0, colon) : nameTag, tag: hasTag ? nameTag.slice(colon + 1) : digest ? null : 'latest', digest: digest ?? null };
}

/**
 * Whether an active exemption covers a finding: its check (or `*`) on `*`, `connector:<id>`,
 * `namespace:<connector name or id>/<namespace>` or `asset:<id>`.
 */
export function exemptionMatcher(c: Pick<ConnectorRow, 'id' | 'name'>, exemptions: ExemptionRow[]): (checkId: string, assetId: string, namespace?: string) => boolean {
  return (checkId, assetId, namespace) =>
    exemptions.some(
      (e) =>
        (e.checkId === '*' || e.checkId === checkId) &&
        (e.scope === '*' ||
          e.scope === `connector:${c.id}` ||
          e.scope === `asset:${assetId}` ||
          (namespace !== undefined && (e.scope === `namespace:${c.name}/${namespace}` || e.scope === `namespace:${c.id}/${namespace}`))),
    );
}

/**
 * Syncs a cluster connector now: one snapshot, the posture assessment of `palisade scan cluster`, then in
 * one transaction the inventory (assets kept by identity, so first_seen survives), relations, findings (those
 * no longer reported are removed, those an active exemption covers are not stored), a point of the connector's secure score and of the overall score (the mean
 * of every connector's latest), a point of its compliance per framework, and the audit entry.
 */
export async function syncConnector(store: Store, box: SecretBox, actor: Actor, c: ConnectorRow, opts: { now?: Date } = {}): Promise<SyncResult> {
  const now = opts.now ?? new Date();
  const at = now.toISOString();
  const { report, snapshot } = await scanCluster({ access: {}, connector: openClusterOf(box, c), config: parseConfig('', 'palisade.yaml'), now });
  const inventory = inventoryOf(c.id, { context: snapshot.context, server: snapshot.server }, snapshot.resources);
  const resourceAsset = new Map(snapshot.resources.map((r) => [r.id, `${assetType(r.kind)}\u0000${assetKey(r.kind, r.name, r.namespace)}`]));
  const objects = new Map(snapshot.resources.map((r) => [r.id, r.object]));
  return store.transaction(async (tx) => {
    // A sync that began before the connector's monitoring was stopped (offboarding) stores nothing.
    if (await monitoringStopped(tx, c.id)) throw new PalisadeError('E_USAGE', `connector ${c.name} is being offboarded: it is no longer synced`);
    const rows = await tx.upsertAssets(inventory.assets, at);
    const ids = new Map(rows.map((a) => [`${a.type}\u0000${a.key}`, a.id]));
    const relations: AssetRelationRow[] = inventory.relations.map((r) => ({ fromAsset: ids.get(r.from)!, toAsset: ids.get(r.to)!, kind: r.kind }));
    await tx.putRelations(relations);
    const findings: Array<Omit<FindingRow, 'id' | 'firstSeen' | 'lastSeen'>> = [];
    const exempt = exemptionMatcher(c, await tx.listExemptions({ activeAt: at }));
    let exempted = 0;
    for (const f of report.findings) {
      const assetId = ids.get(resourceAsset.get(f.resourceId) ?? '');
      if (!assetId) continue;
      if (exempt(f.checkId, assetId, f.resource.namespace)) exempted++;
      else findings.push({ assetId, checkId: f.checkId, severity: f.severity, path: f.path, message: f.message, fix: liveFix(f, objects.get(f.resourceId)) });
    }
    await tx.upsertFindings(findings, at);
    const resolved = await tx.pruneFindings(c.id, at);
    const score = report.score.value;
    await tx.appendScore({ scope: `connector:${c.id}`, at, score });
    const connectorIds = new Set((await tx.listConnectors()).map((x) => `connector:${x.id}`));
    const latest = (await tx.latestScores()).filter((p) => connectorIds.has(p.scope));
    if (latest.length > 0) await tx.appendScore({ scope: 'overall', at, score: Math.round((latest.reduce((s, p) => s + p.score, 0) / latest.length) * 10) / 10 });
    await recordCompliance(tx, c.id, at);
    const result: SyncResult = { connectorId: c.id, at, resources: snapshot.resources.length, assets: rows.length, relations: relations.length, findings: findings.length, exempted, resolved, score, errors: report.errors.map((e) => ({ code: e.code, file: e.file, message: e.message })) };
    const { errors, ...summary } = result;
    await tx.updateConnector(c.id, { config: { ...c.config, lastSync: { ...summary, ok: true, errors: errors.length } } });
    await tx.appendAudit({ actor: actor.name, action: 'connector.sync', target: `connector:${c.id}`, source: actor.source, before: null, after: { ...summary, errors: errors.length } });
    return result;
  });
}

/** A check's line in the recommendations view. */
export interface Recommendation {
  checkId: string;
  slug: string;
  title: string;
  category: string;
  severity: Severity;
  remediation: string;
  /** Assets with at least one finding of the check. */
  affected: number;
  findings: number;
  lastSeen: string;
}

const CHECKS = new Map(ALL_CHECKS.map((c) => [c.id, c]));

/** The check's description for the recommendation views (unknown ids, from an older version, get their id as title). */
export function recommendationOf(checkId: string, severity: Severity): Omit<Recommendation, 'affected' | 'findings' | 'lastSeen'> {
  const c = CHECKS.get(checkId);
  return { checkId, slug: c?.slug ?? checkId, title: c?.title ?? checkId, category: c?.category ?? 'unknown', severity, remediation: c?.remediation ?? '' };
}

/**
 * Findings grouped by check across assets, most severe first, then most assets affected: read from the
 * per-check totals the store keeps (`checkId`: only that check's line).
 */
export async function listRecommendations(store: Store, q: { connectorId?: string; connectorIds?: readonly string[]; severity?: Severity; checkId?: string } = {}): Promise<Recommendation[]> {
  const out: Recommendation[] = [];
  for (const s of await store.summarizeChecks({ connectorId: q.connectorId, connectorIds: q.connectorIds, checkId: q.checkId })) {
    // A check whose severity changed between syncs counts at its highest severity (the totals keep the maximum).
    const sev = asSeverity(s.severity);
    if (!q.severity || sev === q.severity) out.push({ ...recommendationOf(s.checkId, sev), affected: s.assets, findings: s.findings, lastSeen: s.lastSeen });
  }
  return out.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || b.affected - a.affected || a.checkId.localeCompare(b.checkId));
}
