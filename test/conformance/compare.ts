/**
 * Pure comparison helpers: peer resource ids, per-resource verdict sets and summary counts. No I/O, so
 * the unit tests can pin down exactly how a Palisade answer is matched against a peer expectation.
 */

/** What Palisade concluded for one resource, for the checks mapped to one peer rule. */
export type ResourceStatus = 'passed' | 'failed' | 'skipped' | 'not-applied' | 'error';

/** A resource's verdict, keyed by the peer's resource id. */
export interface ResourceVerdict {
  id: string;
  status: ResourceStatus;
}

/**
 * Checkov's resource id: `<Kind>.<namespace>.<metadata.name>`, with `default` when the namespace is unset
 * (Checkov does this for every kind, cluster-scoped ones included, and keeps a namespace written on a
 * cluster-scoped object as is).
 */
export function checkovResourceId(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}.${namespace !== undefined && namespace !== '' ? namespace : 'default'}.${name}`;
}

/** A pod-bearing resource that a peer may refer to through a pod derived from its template. */
export interface PodOwner {
  /** The owner's own peer id (`Deployment.default.web`). */
  id: string;
  kind: string;
  namespace: string | undefined;
  name: string;
}

/**
 * Checkov's graph builder turns a workload's pod template into a `Pod` vertex whose id is
 * `Pod.<namespace>.<workload name>.<label key>-<label value>...`. Such ids do not exist in the input, so
 * they are resolved to the workload that owns the template; any other id is returned unchanged.
 */
export function resolvePeerResourceId(id: string, known: ReadonlySet<string>, owners: readonly PodOwner[]): string {
  if (known.has(id) || !id.startsWith('Pod.')) return id;
  let best: PodOwner | undefined;
  for (const o of owners) {
    if (o.kind === 'Pod') continue;
    const prefix = `Pod.${o.namespace !== undefined && o.namespace !== '' ? o.namespace : 'default'}.${o.name}.`;
    if (id.startsWith(prefix) && (!best || o.name.length > best.name.length)) best = o;
  }
  return best ? best.id : id;
}

/** Which verdict sets an id belongs to. */
export interface Membership {
  pass: boolean;
  fail: boolean;
  error: boolean;
}

/** `passed`, `failed`, `passed+failed` (duplicates with different verdicts), `not evaluated` or `error`. */
export function describeMembership(m: Membership): string {
  if (m.error) return 'error';
  if (m.pass && m.fail) return 'passed+failed';
  if (m.pass) return 'passed';
  if (m.fail) return 'failed';
  return 'not evaluated';
}

/** One per-resource comparison. */
export interface ResourceComparison {
  id: string;
  expected: string;
  got: string;
  agree: boolean;
}

/**
 * Compares Palisade's per-resource verdicts with a peer's sets of passing and failing resource ids.
 * Peers assert set equality, so ids are compared as set members: an id passes when at least one
 * resource with that id passed (inputs often repeat an id across files). Resources Palisade skipped
 * through an exemption are in neither set, as in the peer. Ids Palisade evaluated that the peer lists
 * nowhere are reported too (expected `not evaluated`).
 */
export function compareResourceSets(expectedPass: readonly string[], expectedFail: readonly string[], ours: readonly ResourceVerdict[]): ResourceComparison[] {
  const got = new Map<string, Membership>();
  for (const v of ours) {
    let m = got.get(v.id);
    if (!m) got.set(v.id, (m = { pass: false, fail: false, error: false }));
    if (v.status === 'passed') m.pass = true;
    else if (v.status === 'failed') m.fail = true;
    else if (v.status === 'error') m.error = true;
  }
  const pass = new Set(expectedPass);
  const fail = new Set(expectedFail);
  const ids = [...new Set([...expectedPass, ...expectedFail])];
  for (const [id, m] of got) if (!pass.has(id) && !fail.has(id) && (m.pass || m.fail || m.error)) ids.push(id);
  return ids.map((id) => {
    const e: Membership = { pass: pass.has(id), fail: fail.has(id), error: false };
    const g = got.get(id) ?? { pass: false, fail: false, error: false };
    return { id, expected: describeMembership(e), got: describeMembership(g), agree: !g.error && e.pass === g.pass && e.fail === g.fail };
  });
}

/** Summary counts as a peer reports them. */
export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

/** Counts resources by status; `not-applied` resources are not counted, errors count as neither. */
export function countStatuses(verdicts: readonly ResourceVerdict[]): Counts {
  const c: Counts = { passed: 0, failed: 0, skipped: 0 };
  for (const v of verdicts) {
    if (v.status === 'passed') c.passed++;
    else if (v.status === 'failed') c.failed++;
    else if (v.status === 'skipped') c.skipped++;
  }
  return c;
}

/** `passed=3 failed=4 skipped=0`, listing only the given fields. */
export function formatCounts(c: Partial<Counts>, fields: ReadonlyArray<keyof Counts> = ['passed', 'failed', 'skipped']): string {
  return fields.filter((f) => c[f] !== undefined).map((f) => `${f}=${c[f]}`).join(' ');
}

/**
 * Compares the counts a peer test asserts with Palisade's. Only the fields the peer asserts are
 * compared (some tests do not assert `skipped`).
 */
export function compareCounts(expected: Partial<Counts>, got: Counts): { agree: boolean; expected: string; got: string } {
  const fields = (['passed', 'failed', 'skipped'] as const).filter((f) => expected[f] !== undefined);
  return {
    agree: fields.length > 0 && fields.every((f) => expected[f] === got[f]),
    expected: formatCounts(expected, fields),
    got: formatCounts(got, fields),
  };
}
