import type { CheckInfo } from '../model/check-info.js';
import type { SuggestedFix } from '../model/finding.js';
import type { FieldPath } from '../model/path.js';
import type { K8sObject, Resource } from '../model/resource.js';
import type { Inventory } from './inventory.js';
import type { ResolvedParameters } from './parameters.js';
import type { ContainerView, PodView } from './pod-view.js';

/** What a check sees for one resource. */
export interface CheckContext {
  resource: Resource;
  object: K8sObject;
  /** Present for every pod-bearing kind (Pod, Deployment, ..., CronJob). */
  pod?: PodView;
  /** The whole input, for cross-resource checks. */
  inventory: Inventory;
  params: ResolvedParameters;
}

/** One failure reported by a check: the offending field and a message naming its value. */
export interface CheckResult {
  path: FieldPath;
  message: string;
  container?: string;
  fix?: SuggestedFix;
}

/** A check: catalogue data plus the code that evaluates it. One file each under checks/. */
export interface Check extends Omit<CheckInfo, 'frameworks'> {
  /**
   * The check reads other resources (`inventory`): it runs once the whole input is known, while the
   * others run on each file as soon as it is read. (A check that reads the inventory without saying so
   * is put off too, at the cost of a wasted first call.)
   */
  crossResource?: true;
  /** Narrows `kinds` further (e.g. only Services of type LoadBalancer). Not applying means not counted. */
  appliesTo?(ctx: CheckContext): boolean;
  /** Returns one result per failure; an empty array means the resource passes. */
  evaluate(ctx: CheckContext): CheckResult[];
}

/** A result that points at a field inside a container. */
export function inContainer(c: ContainerView, sub: FieldPath, message: string, fix?: SuggestedFix): CheckResult {
  return { path: [...c.path, ...sub], message, container: c.name, fix };
}

/** A fix that sets one field. */
export function setField(path: FieldPath, value: unknown, description: string): SuggestedFix {
  return { description, operations: [{ op: 'add', path, value }] };
}

/** A fix that removes one field. */
export function removeField(path: FieldPath, description: string): SuggestedFix {
  return { description, operations: [{ op: 'remove', path }] };
}

/** Quoted value for messages: `"nginx:latest"`, `true`, `<unset>`. */
export function show(v: unknown): string {
  if (v === undefined) return '<unset>';
  return typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
}

/** `container "app"` or `init container "setup"`, for messages. */
export function describeContainer(c: ContainerView): string {
  const label = c.type === 'initContainer' ? 'init container' : c.type === 'ephemeralContainer' ? 'ephemeral container' : 'container';
  return `${label} "${c.name}"`;
}
