/**
 * Container resource requests and limits: reading them from loosely typed manifests and comparing
 * Kubernetes quantities (`500m`, `1Gi`, `0.5`). Shared by the resource checks.
 */
import { describeContainer, inContainer, setField, show, type CheckResult } from '../../check.js';
import type { ContainerView, PodView } from '../../pod-view.js';
import { remembered } from './memo.js';

export type ResourceSection = 'requests' | 'limits';
export type ResourceName = 'cpu' | 'memory' | 'ephemeral-storage';

const SUFFIX: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/** Quantities read so far: a scan reads the same few dozen (`500m`, `256Mi`) in every container, for every resource check. */
const quantities = new Map<string, number | undefined>();

/** Parses a Kubernetes quantity to a number in base units; undefined when it is not a valid quantity. */
export function parseQuantity(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  return remembered(quantities, v, readQuantity);
}

function readQuantity(v: string): number | undefined {
  const m = QUANTITY.exec(v.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  return base * SUFFIX[m[3] ?? '']!;
}

/** Two quantities denote the same amount (`1` and `1000m`, `1Gi` and `1024Mi`). */
export function sameQuantity(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

/** What a container says about one resource in one section. */
export type ResourceValue =
  | { state: 'set'; value: unknown; amount: number }
  | { state: 'missing' }
  | { state: 'zero'; value: unknown }
  | { state: 'invalid'; value: unknown }
  /** `resources` or the section has the wrong type: the manifest cannot be judged. */
  | { state: 'malformed' };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Reads `resources.<section>.<name>` of a container. */
export function readResource(c: ContainerView, section: ResourceSection, name: ResourceName): ResourceValue {
  const resources = c.container.resources as unknown;
  if (resources === undefined || resources === null) return { state: 'missing' };
  if (!isPlainObject(resources)) return { state: 'malformed' };
  const sec = resources[section];
  if (sec === undefined || sec === null) return { state: 'missing' };
  if (!isPlainObject(sec)) return { state: 'malformed' };
  const value = sec[name];
  if (value === undefined || value === null || value === '') return { state: 'missing' };
  const amount = parseQuantity(value);
  if (amount === undefined) return { state: 'invalid', value };
  if (amount === 0) return { state: 'zero', value };
  return { state: 'set', value, amount };
}

/** Regular and init containers: the ones that may declare resources (ephemeral containers may not). */
export function resourceContainers(pod: PodView): ContainerView[] {
  return pod.allContainers.filter((c) => c.type !== 'ephemeralContainer');
}

/** Failures of a "this resource must be set" rule, plus whether some container could not be judged. */
export interface PresenceOutcome {
  results: CheckResult[];
  undecidable: boolean;
}

const PLACEHOLDER: Record<ResourceSection, Record<ResourceName, string>> = {
  requests: { cpu: '100m', memory: '256Mi', 'ephemeral-storage': '1Gi' },
  limits: { cpu: '500m', memory: '512Mi', 'ephemeral-storage': '2Gi' },
};

/**
 * Containers whose `resources.<section>.<name>` is unset, empty, zero or not a quantity. The suggested fix
 * reuses the other section's value when there is one (a limit equal to the request, or a request equal to
 * the limit), else a placeholder the team should size.
 */
export function missingResource(pod: PodView, section: ResourceSection, name: ResourceName): PresenceOutcome {
  const results: CheckResult[] = [];
  let undecidable = false;
  const other: ResourceSection = section === 'limits' ? 'requests' : 'limits';
  const label = name === 'ephemeral-storage' ? 'ephemeral-storage' : name === 'cpu' ? 'CPU' : 'memory';
  const noun = section === 'limits' ? 'limit' : 'request';
  for (const c of resourceContainers(pod)) {
    const v = readResource(c, section, name);
    if (v.state === 'set') continue;
    if (v.state === 'malformed') {
      undecidable = true;
      continue;
    }
    const counterpart = readResource(c, other, name);
    const fixValue = counterpart.state === 'set' ? counterpart.value : PLACEHOLDER[section][name];
    const fixNote = counterpart.state === 'set' ? `the ${other === 'limits' ? 'limit' : 'request'} ${show(counterpart.value)}` : `${show(fixValue)} (a placeholder: size it from observed usage)`;
    const path = ['resources', section, name];
    const fix = setField([...c.path, ...path], fixValue, `set resources.${section}.${name} to ${fixNote}`);
    const what =
      v.state === 'missing' ? `has no ${label} ${noun} (resources.${section}.${name} is unset)`
      : v.state === 'zero' ? `sets a zero ${label} ${noun} (resources.${section}.${name}: ${show(v.value)})`
      : `sets an invalid ${label} ${noun} (resources.${section}.${name}: ${show(v.value)} is not a quantity)`;
    results.push(inContainer(c, path, `${describeContainer(c)} ${what}`, fix));
  }
  return { results, undecidable };
}

/**
 * The usual `appliesTo` of a presence rule: there is something to judge, and a manifest whose resources
 * have the wrong shape is left alone unless another container fails anyway.
 */
export function presenceApplies(pod: PodView | undefined, section: ResourceSection, name: ResourceName): boolean {
  if (!pod) return false;
  // What missingResource would answer, without building its results: some container fails, or none is malformed.
  let containers = 0;
  let undecidable = false;
  for (const c of pod.allContainers) {
    if (c.type === 'ephemeralContainer') continue;
    containers++;
    const state = readResource(c, section, name).state;
    if (state === 'malformed') undecidable = true;
    else if (state !== 'set') return true;
  }
  return containers > 0 && !undecidable;
}

/**
 * Containers whose request and limit for `name` differ. A container that sets neither is left to the
 * presence checks; one that sets only one side fails (the other side is not equal to it).
 */
export function requestLimitMismatch(pod: PodView, name: ResourceName): CheckResult[] {
  const results: CheckResult[] = [];
  for (const c of resourceContainers(pod)) {
    const req = readResource(c, 'requests', name);
    const lim = readResource(c, 'limits', name);
    if (req.state === 'malformed' || lim.state === 'malformed') continue;
    if (req.state === 'missing' && lim.state === 'missing') continue;
    if (req.state === 'set' && lim.state === 'set' && sameQuantity(req.amount, lim.amount)) continue;
    if (req.state === 'zero' && lim.state === 'zero') continue;
    const rv = req.state === 'missing' ? undefined : (req as { value: unknown }).value;
    const lv = lim.state === 'missing' ? undefined : (lim as { value: unknown }).value;
    const message = `${describeContainer(c)} ${name} request ${show(rv)} does not equal its limit ${show(lv)}`;
    if (lim.state === 'set') {
      results.push(inContainer(c, ['resources', 'requests', name], message,
        setField([...c.path, 'resources', 'requests', name], lim.value, `set resources.requests.${name} to the limit ${show(lim.value)}`)));
    } else if (req.state === 'set') {
      results.push(inContainer(c, ['resources', 'limits', name], message,
        setField([...c.path, 'resources', 'limits', name], req.value, `set resources.limits.${name} to the request ${show(req.value)}`)));
    } else {
      results.push(inContainer(c, ['resources', 'limits', name], message));
    }
  }
  return results;
}

/** Applies when some container could be judged by the equality rule. */
export function equalityApplies(pod: PodView | undefined, name: ResourceName): boolean {
  if (!pod) return false;
  return resourceContainers(pod).some((c) => {
    const req = readResource(c, 'requests', name);
    const lim = readResource(c, 'limits', name);
    return req.state !== 'malformed' && lim.state !== 'malformed';
  });
}
