/**
 * Helpers shared by the RBAC and service-account checks (PAL-060..079): policy-rule matching with the
 * API server's semantics, roleRef resolution (including aggregated ClusterRoles and the built-in
 * user-facing ClusterRoles when they are not in the input), subjects, and the names that belong to
 * the platform rather than to the user. Everything tolerates malformed manifests: fields of the wrong
 * type read as "unset", nothing throws.
 */
import type { FieldPath } from '../../../model/path.js';
import { effectiveNamespace, type Resource } from '../../../model/resource.js';
import type { CheckResult } from '../../check.js';
import { selectorMatches, type Inventory } from '../../inventory.js';
import type { PodView } from '../../pod-view.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';
export const CORE_GROUP = '';

/** One entry of `rules`, normalised: every list is an array of strings. */
export interface PolicyRule {
  /** Position in the role's `rules`. */
  index: number;
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

/** A rule together with the role it was read from (own rules, aggregated ones, or a built-in role). */
export interface SourcedRule {
  rule: PolicyRule;
  /** `ClusterRole "edit"`, `Role "dev/runner"`. */
  role: string;
  /** True when the rule is known from the built-in definition rather than read from the input. */
  builtIn: boolean;
}

/** One request attribute set, as the authorizer sees it: `create` on `pods/exec` in group `""`. */
export interface Access {
  group: string;
  /** Resource, with the subresource after a slash (`pods/exec`). */
  resource: string;
  verb: string;
}

function strings(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.filter((x): x is string => typeof x === 'string');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Normalised rules by role object: a role is read by every RBAC check and every binding that names it. */
const normalisedRules = new WeakMap<object, readonly PolicyRule[]>();

/** The `rules` of a Role or ClusterRole, normalised. Entries that are not mappings are skipped. */
export function rulesOf(obj: unknown): readonly PolicyRule[] {
  if (!isRecord(obj) || !Array.isArray(obj.rules)) return [];
  let rules = normalisedRules.get(obj);
  if (!rules) normalisedRules.set(obj, (rules = normalise(obj.rules)));
  return rules;
}

function normalise(list: unknown[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  list.forEach((r, index) => {
    if (!isRecord(r)) return;
    out.push({
      index,
      apiGroups: strings(r.apiGroups),
      resources: strings(r.resources),
      verbs: strings(r.verbs),
      resourceNames: strings(r.resourceNames),
      nonResourceURLs: strings(r.nonResourceURLs),
    });
  });
  return out;
}

/** Verb matching as in the RBAC authorizer: `*` or the exact verb. */
export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.includes('*') || rule.verbs.includes(verb);
}

/** API group matching: `*` or the exact group (`""` is the core group). */
export function groupMatches(rule: PolicyRule, group: string): boolean {
  return rule.apiGroups.includes('*') || rule.apiGroups.includes(group);
}

/**
 * Resource matching as in the RBAC authorizer: `*` matches every resource and subresource, an exact
 * `resource/subresource` matches itself, and a star in place of the resource (star, slash, `exec`)
 * matches that subresource of any resource. `pods` does not match `pods/exec`, and `pods/*` is not a
 * wildcard.
 */
export function resourceMatches(rule: PolicyRule, resource: string): boolean {
  const slash = resource.indexOf('/');
  const sub = slash >= 0 ? resource.slice(slash + 1) : '';
  for (const r of rule.resources) {
    if (r === '*' || r === resource) return true;
    if (sub !== '' && r === `*/${sub}`) return true;
  }
  return false;
}

/** True when the rule allows the access (resourceNames are the caller's concern). */
export function ruleAllows(rule: PolicyRule, a: Access): boolean {
  return groupMatches(rule, a.group) && resourceMatches(rule, a.resource) && verbMatches(rule, a.verb);
}

/** Every access of the list the rule allows. */
export function allowedBy(rule: PolicyRule, accesses: readonly Access[]): Access[] {
  return accesses.filter((a) => ruleAllows(rule, a));
}

/** Cartesian product: every verb on every resource of one group. */
export function accesses(group: string, resources: readonly string[], verbs: readonly string[]): Access[] {
  const out: Access[] = [];
  for (const resource of resources) for (const verb of verbs) out.push({ group, resource, verb });
  return out;
}

/** The basic verbs whose union, on every resource of every group, is full control. */
const ALL_BASIC_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

/**
 * A rule equivalent to cluster-admin's: every API group, every resource, and `*` or all the basic verbs,
 * not narrowed by resourceNames.
 */
export function isFullAccessRule(rule: PolicyRule): boolean {
  if (!rule.apiGroups.includes('*') || !rule.resources.includes('*') || rule.resourceNames.length > 0) return false;
  return rule.verbs.includes('*') || ALL_BASIC_VERBS.every((v) => rule.verbs.includes(v));
}

/**
 * Accesses grouped for reading: `get, create on pods/exec, pods/attach`, and for other API groups
 * `bind on roles, clusterroles (rbac.authorization.k8s.io)`.
 */
export function describeAccesses(list: readonly Access[]): string {
  // group -> resource -> verbs, in first-seen order
  const byGroup = new Map<string, Map<string, string[]>>();
  for (const a of list) {
    const res = byGroup.get(a.group) ?? new Map<string, string[]>();
    const verbs = res.get(a.resource) ?? [];
    if (!verbs.includes(a.verb)) verbs.push(a.verb);
    res.set(a.resource, verbs);
    byGroup.set(a.group, res);
  }
  const parts: string[] = [];
  for (const [group, res] of byGroup) {
    // Resources that share the same verbs are listed together.
    const byVerbs = new Map<string, string[]>();
    for (const [r, verbs] of res) {
      const key = verbs.join(', ');
      byVerbs.set(key, [...(byVerbs.get(key) ?? []), r]);
    }
    for (const [verbs, resources] of byVerbs) {
      parts.push(`${verbs} on ${resources.join(', ')}${group === CORE_GROUP ? '' : ` (${group})`}`);
    }
  }
  return parts.join('; ');
}

/** `apiGroups [""], resources ["*"], verbs ["get"]`, for messages. */
export function describeRule(rule: PolicyRule): string {
  const list = (l: string[]) => `[${l.map((x) => JSON.stringify(x)).join(', ')}]`;
  const parts = [`apiGroups ${list(rule.apiGroups)}`, `resources ${list(rule.resources)}`, `verbs ${list(rule.verbs)}`];
  if (rule.resourceNames.length > 0) parts.push(`resourceNames ${list(rule.resourceNames)}`);
  return parts.join(', ');
}

/** True when a wildcard of the rule, not an exact entry, is what grants the accesses. */
function viaWildcard(rule: PolicyRule, list: readonly Access[]): boolean {
  return list.some((a) => !rule.apiGroups.includes(a.group) || !rule.resources.includes(a.resource) || !rule.verbs.includes(a.verb));
}

/** `allows create on pods/exec`, with the rule itself when a wildcard is what grants it. */
export function describeGrant(rule: PolicyRule, list: readonly Access[]): string {
  const base = `allows ${describeAccesses(list)}`;
  return viaWildcard(rule, list) ? `${base} (${describeRule(rule)})` : base;
}

// ---------------------------------------------------------------------------------------------------
// Names owned by the platform
// ---------------------------------------------------------------------------------------------------

/**
 * Roles and bindings the platform creates and reconciles: the `system:` ones of the API server and
 * controllers, and GKE's Calico PSP role. Users cannot meaningfully change them, so judging them is noise;
 * but a user-created binding *to* a `system:` role is still judged.
 */
export function isPlatformName(name: string): boolean {
  return name.startsWith('system:') || name === 'gce:podsecuritypolicy:calico-sa';
}

/** The user-facing ClusterRoles the API server creates and reconciles at startup. */
export const BUILT_IN_CLUSTER_ROLES: readonly string[] = ['cluster-admin', 'admin', 'edit', 'view'];

/**
 * True for roles a role-level check does not judge: platform names, the built-in user-facing
 * ClusterRoles (wide by design), and aggregated ClusterRoles, whose rules the controller manager
 * overwrites with the union of the ClusterRoles they select (those are judged one by one instead).
 */
export function isUnjudgedRole(r: Resource): boolean {
  if (isPlatformName(r.name)) return true;
  if (r.kind !== 'ClusterRole') return false;
  return BUILT_IN_CLUSTER_ROLES.includes(r.name) || isRecord(r.object.aggregationRule);
}

/**
 * Bindings the platform owns: `system:` names, GKE's Calico binding, and the built-in `cluster-admin`
 * ClusterRoleBinding that grants cluster-admin to the `system:masters` group.
 */
export function isPlatformBinding(r: Resource): boolean {
  return isPlatformName(r.name) || (r.kind === 'ClusterRoleBinding' && r.name === 'cluster-admin');
}

/** `ClusterRole "edit"`, `Role "dev/runner"`, `RoleBinding "dev/ci"`. */
export function describeRbacObject(r: Pick<Resource, 'kind' | 'name' | 'namespace'>): string {
  const ns = effectiveNamespace(r);
  return ns === undefined ? `${r.kind} "${r.name}"` : `${r.kind} "${ns}/${r.name}"`;
}

// ---------------------------------------------------------------------------------------------------
// Built-in ClusterRoles, for bindings whose role is not in the input
// ---------------------------------------------------------------------------------------------------

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];

function rule(index: number, apiGroups: string[], resources: string[], verbs: string[]): PolicyRule {
  return { index, apiGroups, resources, verbs, resourceNames: [], nonResourceURLs: [] };
}

/**
 * The security-relevant part of the built-in ClusterRoles as the API server bootstraps them
 * (plugin/pkg/auth/authorizer/rbac/bootstrappolicy): enough to judge a binding to them when the role
 * itself is not in the input. `admin` and `edit` include exec and attach, reading and writing Secrets,
 * creating pods and workloads, and impersonating the namespace's ServiceAccounts; `view` excludes
 * Secrets on purpose.
 */
const EDIT_RULES: PolicyRule[] = [
  rule(0, [''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'], READ),
  rule(1, [''], ['serviceaccounts'], ['impersonate']),
  rule(2, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy'], WRITE),
  rule(3, [''], ['serviceaccounts/token'], ['create']),
  rule(4, [''], ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy'], WRITE),
  rule(5, ['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale'], WRITE),
  rule(6, ['autoscaling'], ['horizontalpodautoscalers'], WRITE),
  rule(7, ['batch'], ['cronjobs', 'jobs'], WRITE),
  rule(8, ['policy'], ['poddisruptionbudgets'], WRITE),
  rule(9, ['networking.k8s.io'], ['ingresses', 'networkpolicies'], WRITE),
  rule(10, ['', 'apps', 'batch'], ['pods', 'services', 'configmaps', 'deployments', 'daemonsets', 'statefulsets', 'replicasets', 'jobs', 'cronjobs'], READ),
];

const BUILT_IN_RULES: Record<string, PolicyRule[]> = {
  'cluster-admin': [rule(0, ['*'], ['*'], ['*']), { ...rule(1, [], [], ['*']), nonResourceURLs: ['*'] }],
  edit: EDIT_RULES,
  admin: [...EDIT_RULES, rule(EDIT_RULES.length, [RBAC_GROUP], ['roles', 'rolebindings'], [...READ, ...WRITE]), rule(EDIT_RULES.length + 1, ['authorization.k8s.io'], ['localsubjectaccessreviews'], ['create'])],
  view: [rule(0, ['', 'apps', 'batch'], ['pods', 'services', 'configmaps', 'deployments', 'daemonsets', 'statefulsets', 'replicasets', 'jobs', 'cronjobs'], READ)],
};

// ---------------------------------------------------------------------------------------------------
// roleRef resolution
// ---------------------------------------------------------------------------------------------------

/** The role a binding references, with its effective rules. */
export interface ResolvedRole {
  kind: 'Role' | 'ClusterRole';
  name: string;
  /** The role in the input, when there. */
  resource?: Resource;
  /** `ClusterRole "edit"`, plus ` (built-in, not in the input)` when only its built-in definition is known. */
  label: string;
  rules: SourcedRule[];
}

function clusterRoleRules(inv: Inventory, r: Resource, seen: Set<Resource>): SourcedRule[] {
  if (seen.has(r)) return [];
  seen.add(r);
  const label = describeRbacObject(r);
  const out: SourcedRule[] = rulesOf(r.object).map((rule) => ({ rule, role: label, builtIn: false }));
  const agg = r.object.aggregationRule;
  if (isRecord(agg) && Array.isArray(agg.clusterRoleSelectors)) {
    // The aggregation controller fills rules with the union of every ClusterRole one of the selectors
    // matches; resolve it from the input, recursively (an aggregated role can select another one).
    for (const other of inv.ofKind('ClusterRole')) {
      if (other === r) continue;
      const labels = isRecord(other.object.metadata.labels) ? (other.object.metadata.labels as Record<string, string>) : {};
      const stringLabels: Record<string, string> = {};
      for (const [k, v] of Object.entries(labels)) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') stringLabels[k] = String(v);
      if (agg.clusterRoleSelectors.some((sel) => isRecord(sel) && Object.keys(sel).length > 0 && selectorMatches(sel, stringLabels))) {
        out.push(...clusterRoleRules(inv, other, seen));
      }
    }
  }
  return out;
}

/**
 * Resolves a RoleBinding's or ClusterRoleBinding's roleRef. A Role is looked up in the binding's
 * namespace, a ClusterRole cluster-wide. The built-in ClusterRoles (cluster-admin, admin, edit, view)
 * are known even when absent, and their built-in rules always apply (the API server reconciles them at
 * startup). Any other role that is not in the input cannot be judged: undefined.
 */
export function resolveRoleRef(binding: Resource, inv: Inventory): ResolvedRole | undefined {
  // Every binding check asks: resolve each binding once per scan.
  const known = inv.derive('rbac.resolveRoleRef', () => new Map<Resource, ResolvedRole | undefined>());
  if (known.has(binding)) return known.get(binding);
  const role = resolve(binding, inv);
  known.set(binding, role);
  return role;
}

function resolve(binding: Resource, inv: Inventory): ResolvedRole | undefined {
  const ref = binding.object.roleRef;
  if (!isRecord(ref) || typeof ref.name !== 'string' || ref.name === '') return undefined;
  const name = ref.name;
  if (ref.kind === 'Role') {
    // A ClusterRoleBinding cannot reference a Role; the API server rejects it.
    if (binding.kind !== 'RoleBinding') return undefined;
    const role = inv.get('Role', effectiveNamespace(binding), name);
    if (!role) return undefined;
    const label = describeRbacObject(role);
    return { kind: 'Role', name, resource: role, label, rules: rulesOf(role.object).map((rule) => ({ rule, role: label, builtIn: false })) };
  }
  if (ref.kind !== 'ClusterRole') return undefined;
  const role = inv.get('ClusterRole', undefined, name);
  const builtIn = BUILT_IN_RULES[name];
  if (!role && !builtIn) return undefined;
  const label = `ClusterRole "${name}"`;
  const rules: SourcedRule[] = role ? clusterRoleRules(inv, role, new Set()) : [];
  if (builtIn) rules.push(...builtIn.map((rule) => ({ rule, role: `${label} (built-in)`, builtIn: true })));
  return { kind: 'ClusterRole', name, resource: role, label: role ? label : `${label} (built-in, not in the input)`, rules };
}

// ---------------------------------------------------------------------------------------------------
// Subjects
// ---------------------------------------------------------------------------------------------------

/** One subject of a binding, with its position. */
export interface Subject {
  index: number;
  kind: string;
  name: string;
  /** For ServiceAccounts: the subject's namespace, or the RoleBinding's when unset. */
  namespace?: string;
}

/** The binding's subjects; entries without a kind and name are skipped. */
export function subjectsOf(binding: Resource): Subject[] {
  const list = binding.object.subjects;
  if (!Array.isArray(list)) return [];
  const out: Subject[] = [];
  list.forEach((s, index) => {
    if (!isRecord(s) || typeof s.kind !== 'string' || typeof s.name !== 'string') return;
    const sub: Subject = { index, kind: s.kind, name: s.name };
    if (s.kind === 'ServiceAccount') {
      const ns = typeof s.namespace === 'string' && s.namespace !== '' ? s.namespace : binding.kind === 'RoleBinding' ? effectiveNamespace(binding) : undefined;
      if (ns !== undefined) sub.namespace = ns;
    }
    out.push(sub);
  });
  return out;
}

/** `ServiceAccount "ci/deployer"`, `User "alice"`, `Group "devs"`. */
export function describeSubject(s: Subject): string {
  if (s.kind === 'ServiceAccount') return `ServiceAccount "${s.namespace ?? '?'}/${s.name}"`;
  return `${s.kind} "${s.name}"`;
}

/** Up to three subjects, then a count. */
export function describeSubjects(list: readonly Subject[]): string {
  const shown = list.slice(0, 3).map(describeSubject).join(', ');
  return list.length > 3 ? `${shown} and ${list.length - 3} more` : shown;
}

/**
 * True for a namespace's default ServiceAccount, written either as a ServiceAccount subject or as its
 * username (`system:serviceaccount:<ns>:default`).
 */
export function isDefaultServiceAccount(s: Subject): boolean {
  if (s.kind === 'ServiceAccount') return s.name === 'default';
  return s.kind === 'User' && /^system:serviceaccount:[^:]+:default$/.test(s.name);
}

// ---------------------------------------------------------------------------------------------------
// Evaluation helpers
// ---------------------------------------------------------------------------------------------------

/**
 * What one rule grants that matters to a check (`allows create on pods/exec`), or undefined when it
 * grants nothing of interest.
 */
export interface RuleJudge {
  (rule: PolicyRule): string | undefined;
  /** For judges that look for a list of accesses: what one rule allows of it, to merge built-in rules. */
  allowed?: (rule: PolicyRule) => Access[];
}

/** A judge that reports the accesses of a list that a rule allows. */
export function judgeAccesses(list: readonly Access[], opts: { ignoreNamedRules?: boolean } = {}): RuleJudge {
  const allowed = (rule: PolicyRule): Access[] => (opts.ignoreNamedRules && rule.resourceNames.length > 0 ? [] : allowedBy(rule, list));
  const judge: RuleJudge = (rule) => {
    const got = allowed(rule);
    return got.length > 0 ? describeGrant(rule, got) : undefined;
  };
  judge.allowed = allowed;
  return judge;
}

/**
 * Role-level evaluation: one result per offending rule, pointing at the rule. Platform and built-in
 * roles pass (see {@link isUnjudgedRole}).
 */
export function evaluateRole(role: Resource, judge: RuleJudge, say: (what: string) => string): CheckResult[] {
  if (isUnjudgedRole(role)) return [];
  const out: CheckResult[] = [];
  for (const rule of rulesOf(role.object)) {
    const what = judge(rule);
    if (what !== undefined) out.push({ path: ['rules', rule.index], message: `${describeRbacObject(role)} ${say(`rules[${rule.index}] ${what}`)}` });
  }
  return out;
}

/**
 * Binding-level evaluation: when the referenced role (resolved from the input, or one of the built-in
 * ClusterRoles) has a rule the judge flags, one result on `roleRef.name` naming the binding, the role,
 * the subjects and the first offending rules. Platform bindings, bindings without subjects and bindings
 * to roles that are not in the input pass.
 */
export function evaluateBinding(binding: Resource, inv: Inventory, judge: RuleJudge, say: (what: string) => string): CheckResult[] {
  if (isPlatformBinding(binding)) return [];
  const subjects = subjectsOf(binding);
  if (subjects.length === 0) return [];
  const role = resolveRoleRef(binding, inv);
  if (!role) return [];
  const grants: string[] = [];
  const builtIn: Access[] = [];
  for (const r of role.rules) {
    if (r.builtIn && judge.allowed) {
      // The built-in definition is ours, not the user's: report what it allows as a whole.
      for (const a of judge.allowed(r.rule)) if (!builtIn.some((b) => b.group === a.group && b.resource === a.resource && b.verb === a.verb)) builtIn.push(a);
      continue;
    }
    const what = judge(r.rule);
    if (what === undefined) continue;
    let text: string;
    if (r.builtIn) text = `its built-in definition ${what}`;
    else if (role.resource && r.role === describeRbacObject(role.resource)) text = `rules[${r.rule.index}] ${what}`;
    else text = `aggregated ${r.role} rules[${r.rule.index}] ${what}`;
    if (!grants.includes(text)) grants.push(text);
  }
  if (builtIn.length > 0) grants.push(`its built-in definition allows ${describeAccesses(builtIn)}`);
  if (grants.length === 0) return [];
  return [bindingResult(binding, role, subjects, `${say(grants.slice(0, 2).join('; '))}${grants.length > 2 ? ` (and ${grants.length - 2} more rules)` : ''}`)];
}

/** The result of a binding-level check, on `roleRef.name`. */
export function bindingResult(binding: Resource, role: ResolvedRole, subjects: readonly Subject[], detail: string): CheckResult {
  const path: FieldPath = ['roleRef', 'name'];
  return { path, message: `${describeRbacObject(binding)} grants ${role.label} to ${describeSubjects(subjects)}: ${detail}` };
}

// ---------------------------------------------------------------------------------------------------
// Risky permissions shared by the role-level and binding-level checks
// ---------------------------------------------------------------------------------------------------

/**
 * Running commands in containers: exec and attach on pods, and the kubelet API through nodes/proxy.
 * `get` counts as much as `create`: the WebSocket upgrade of an exec or attach request is a GET.
 */
export const EXEC_ACCESSES: readonly Access[] = accesses(CORE_GROUP, ['pods/exec', 'pods/attach', 'nodes/proxy'], ['get', 'create']);
export const EXEC_CONSEQUENCE = 'whoever holds it can run commands inside running containers';

/** `escalate` lets a subject write roles granting permissions it does not hold. */
export const ESCALATE_ACCESSES: readonly Access[] = accesses(RBAC_GROUP, ['roles', 'clusterroles'], ['escalate']);

/**
 * `bind` lets a subject create bindings to roles whose permissions it does not hold. The verb takes
 * effect on roles and clusterroles; granting it on the binding resources shows the same intent (and is
 * what `*` on them includes), so those count too.
 */
export const BIND_ACCESSES: readonly Access[] = accesses(RBAC_GROUP, ['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'], ['bind']);

/** Reading Secrets: with list or watch, every Secret of the scope at once. */
export const SECRET_READ_ACCESSES: readonly Access[] = accesses(CORE_GROUP, ['secrets'], ['get', 'list', 'watch']);

/** Impersonating users, groups, service accounts and UIDs. */
export const IMPERSONATE_ACCESSES: readonly Access[] = [
  ...accesses(CORE_GROUP, ['users', 'groups', 'serviceaccounts'], ['impersonate']),
  ...accesses('authentication.k8s.io', ['uids'], ['impersonate']),
];

/** Creating pods, directly or through a workload controller. */
export const CREATE_POD_ACCESSES: readonly Access[] = [
  ...accesses(CORE_GROUP, ['pods', 'replicationcontrollers'], ['create']),
  ...accesses('apps', ['deployments', 'daemonsets', 'statefulsets', 'replicasets'], ['create']),
  ...accesses('batch', ['jobs', 'cronjobs'], ['create']),
];

// ---------------------------------------------------------------------------------------------------
// Service account of a pod and token automounting
// ---------------------------------------------------------------------------------------------------

/** The ServiceAccount a pod runs as, and the field that names it (undefined: none, so `default`). */
export function serviceAccountOf(pod: PodView): { name: string; field?: 'serviceAccountName' | 'serviceAccount' } {
  const spec = pod.spec;
  if (typeof spec.serviceAccountName === 'string' && spec.serviceAccountName !== '') return { name: spec.serviceAccountName, field: 'serviceAccountName' };
  // serviceAccount is the deprecated alias, still honoured when serviceAccountName is unset.
  if (typeof spec.serviceAccount === 'string' && spec.serviceAccount !== '') return { name: spec.serviceAccount, field: 'serviceAccount' };
  return { name: 'default' };
}

/**
 * Whether the API server mounts a service account token into the pod, and why: the pod's
 * automountServiceAccountToken wins when set; otherwise the ServiceAccount's (when it is in the input);
 * otherwise the default, which is to mount.
 */
export function tokenMount(pod: PodView, inv: Inventory, namespace: string): { mounted: boolean; reason: string } {
  const own = pod.spec.automountServiceAccountToken;
  if (own === false) return { mounted: false, reason: 'the pod sets automountServiceAccountToken: false' };
  const sa = serviceAccountOf(pod);
  const label = `ServiceAccount "${namespace}/${sa.name}"`;
  if (own === true) return { mounted: true, reason: 'the pod sets automountServiceAccountToken: true' };
  const account = inv.get('ServiceAccount', namespace, sa.name);
  if (!account) return { mounted: true, reason: `the pod does not set automountServiceAccountToken and ${label} is not in the input to disable it` };
  const v = account.object.automountServiceAccountToken;
  if (v === false) return { mounted: false, reason: `${label} sets automountServiceAccountToken: false` };
  return { mounted: true, reason: v === true ? `the pod does not set automountServiceAccountToken and ${label} sets it to true` : `neither the pod nor ${label} sets automountServiceAccountToken: false` };
}
