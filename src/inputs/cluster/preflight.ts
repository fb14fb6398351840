import { ApiException, AuthorizationV1Api, type V1ResourceRule } from '@kubernetes/client-node';
import jsYaml from 'js-yaml';
import { PalisadeError } from '../../model/errors.js';
import type { KubeHttp } from './client.js';
import { CLUSTER_KINDS, CLUSTER_VERBS, kindsFor, type ClusterFeature, type ClusterKind, type ClusterVerb } from './kinds.js';

/** One verb on one resource, and whether the credentials have it. */
export interface PermissionCheck {
  kind: string;
  group: string;
  resource: string;
  verb: ClusterVerb;
  /** Namespace the access review asked about; absent: all namespaces (cluster scope). */
  namespace?: string;
  feature: ClusterFeature;
  /** The answer of the SelfSubjectAccessReview (authoritative). */
  allowed: boolean;
  /** What the rules of the SelfSubjectRulesReview say (may be incomplete with webhook authorizers). */
  allowedByRules: boolean;
}

/** Who the RBAC grant binds. */
export interface GrantSubject {
  kind: 'ServiceAccount' | 'User' | 'Group';
  name: string;
  /** For service accounts. */
  namespace?: string;
}

/** An extra grant an optional feature needs, on top of the read-only ClusterRole. */
export interface ExtraGrant {
  features: ClusterFeature[];
  note: string;
  yaml: string;
}

/** The outcome of {@link runPreflight}. */
export interface PreflightResult {
  context: string;
  server: string;
  features: ClusterFeature[];
  namespaces?: string[];
  checks: PermissionCheck[];
  /** Checks that were refused. */
  missing: PermissionCheck[];
  ok: boolean;
  /** The rules review said its list is incomplete (another authorizer decides too). */
  rulesIncomplete: boolean;
  /** Checks where the rules review and the access review disagree (the access review wins). */
  disagreements: PermissionCheck[];
  /** The minimal read-only ClusterRole and ClusterRoleBinding for the enabled features (YAML). */
  grant: string;
  /** Grants of the optional features that are not enabled. */
  extraGrants: ExtraGrant[];
}

/** Options of {@link runPreflight}. */
export interface PreflightOptions {
  features?: ClusterFeature[];
  /** Check namespaced kinds in these namespaces only (default: all namespaces). */
  namespaces?: string[];
  subject?: GrantSubject;
  /** Access reviews sent at once. */
  concurrency?: number;
}

/** Name of the ClusterRole and ClusterRoleBinding Palisade's grant creates. */
export const GRANT_NAME = 'palisade-read';
const DEFAULT_SUBJECT: GrantSubject = { kind: 'ServiceAccount', name: 'palisade', namespace: 'palisade' };

/**
 * Asks the API server what the connector's credentials may do: one SelfSubjectRulesReview (the list of
 * rules, for the report) and one SelfSubjectAccessReview per verb and resource the connector uses (the
 * authoritative answer: a rules review may be incomplete when webhook authorizers are configured). Every
 * refused permission is reported, with the grant that fixes them all.
 */
export async function runPreflight(http: KubeHttp, opts: PreflightOptions = {}): Promise<PreflightResult> {
  const features = [...new Set<ClusterFeature>(['core', ...(opts.features ?? [])])];
  const kinds = kindsFor(new Set(features));
  const api = new AuthorizationV1Api(http.config);
  const scopes = opts.namespaces?.length ? opts.namespaces : [undefined];

  const rulesByNs = new Map<string | undefined, V1ResourceRule[]>();
  let rulesIncomplete = false;
  for (const ns of scopes) {
    const review = await call('SelfSubjectRulesReview', () => api.createSelfSubjectRulesReview({ body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: ns ?? 'default' } } }));
    rulesByNs.set(ns, review.status?.resourceRules ?? []);
    if (review.status?.incomplete) rulesIncomplete = true;
  }

  const wanted: Array<Omit<PermissionCheck, 'allowed' | 'allowedByRules'>> = [];
  for (const k of kinds) {
    for (const verb of CLUSTER_VERBS) {
      for (const ns of k.namespaced ? scopes : [undefined]) wanted.push({ kind: k.kind, group: k.group, resource: k.resource, verb, namespace: ns, feature: k.feature === 'core' ? 'core' : k.feature });
    }
  }
  const checks: PermissionCheck[] = new Array(wanted.length);
  let next = 0;
  const worker = async () => {
    while (next < wanted.length) {
      const i = next++;
      const w = wanted[i]!;
      const review = await call('SelfSubjectAccessReview', () => api.createSelfSubjectAccessReview({ body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: w.verb, group: w.group, resource: w.resource, namespace: w.namespace } } } }));
      const rules = rulesByNs.get(w.namespace) ?? rulesByNs.get(undefined) ?? [];
      const check: PermissionCheck = { ...w, allowed: review.status?.allowed === true, allowedByRules: rulesAllow(rules, w.verb, w.group, w.resource) };
      if (check.namespace === undefined) delete check.namespace;
      checks[i] = check;
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 8, wanted.length) }, worker));
  const missing = checks.filter((c) => !c.allowed);
  const subject = opts.subject ?? DEFAULT_SUBJECT;
  return {
    context: http.loaded.context,
    server: http.loaded.server,
    features,
    ...(opts.namespaces?.length ? { namespaces: opts.namespaces } : {}),
    checks,
    missing,
    ok: missing.length === 0,
    rulesIncomplete,
    disagreements: checks.filter((c) => c.allowed !== c.allowedByRules),
    grant: grantYaml(kinds, subject, GRANT_NAME),
    extraGrants: extraGrants(new Set(features), subject),
  };
}

async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ApiException) {
      const code = e.code === 401 || e.code === 403 ? 'E_CLUSTER_FORBIDDEN' : 'E_CLUSTER_API';
      const body = typeof e.body === 'string' ? safeMessage(e.body) : '';
      throw new PalisadeError(code, `${what}: the API server answered ${e.code}${body ? `: ${body}` : ''}`);
    }
    throw new PalisadeError('E_CLUSTER_API', `${what}: ${(e as Error).message}`);
  }
}

function safeMessage(body: string): string {
  try {
    return String((JSON.parse(body) as { message?: string }).message ?? '');
  } catch {
    return body.slice(0, 200);
  }
}

/** True when a rule of a rules review allows the verb on the resource. */
export function rulesAllow(rules: readonly V1ResourceRule[], verb: string, group: string, resource: string): boolean {
  return rules.some((r) =>
    (r.verbs.includes('*') || r.verbs.includes(verb)) &&
    (r.apiGroups?.includes('*') || r.apiGroups?.includes(group)) &&
    (r.resources?.includes('*') || r.resources?.includes(resource)) &&
    !(r.resourceNames && r.resourceNames.length > 0));
}

/** RBAC rules reading the given kinds: one rule per API group, resources sorted. */
export function grantRules(kinds: readonly ClusterKind[]): Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> {
  const byGroup = new Map<string, string[]>();
  for (const k of kinds) {
    const list = byGroup.get(k.group) ?? [];
    if (!list.includes(k.resource)) list.push(k.resource);
    byGroup.set(k.group, list);
  }
  return [...byGroup].map(([g, resources]) => ({ apiGroups: [g], resources: resources.sort(), verbs: [...CLUSTER_VERBS] }));
}

/** A ClusterRole reading the kinds, and its ClusterRoleBinding to the subject, as one YAML stream. */
export function grantYaml(kinds: readonly ClusterKind[], subject: GrantSubject, name: string): string {
  const labels = { 'app.kubernetes.io/name': 'palisade', 'app.kubernetes.io/component': 'cluster-reader' };
  const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels }, rules: grantRules(kinds) };
  const binding = {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [subject.kind === 'ServiceAccount' ? { kind: 'ServiceAccount', name: subject.name, namespace: subject.namespace ?? 'default' } : { apiGroup: 'rbac.authorization.k8s.io', kind: subject.kind, name: subject.name }],
  };
  return [role, binding].map((o) => jsYaml.dump(o, { lineWidth: -1, flowLevel: 3 })).join('---\n');
}

function extraGrants(features: ReadonlySet<ClusterFeature>, subject: GrantSubject): ExtraGrant[] {
  const out: ExtraGrant[] = [];
  if (!features.has('secrets-metadata') && !features.has('secret-data')) {
    const secrets = CLUSTER_KINDS.filter((k) => k.kind === 'Secret');
    out.push({
      features: ['secrets-metadata', 'secret-data'],
      note: 'Secrets (--secrets metadata|data): Kubernetes RBAC cannot grant Secret metadata without Secret values, so this grant allows reading values even though Palisade, with `metadata`, asks only for metadata (PartialObjectMetadata) and never receives them.',
      yaml: grantYaml(secrets, subject, `${GRANT_NAME}-secrets`),
    });
  }
  if (!features.has('configmap-data')) {
    out.push({ features: ['configmap-data'], note: 'ConfigMap data (--configmaps data): no extra grant; the read-only ClusterRole already covers ConfigMaps, which Palisade otherwise reads as metadata only.', yaml: '' });
  }
  return out;
}
