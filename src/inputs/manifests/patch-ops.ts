import { isDeepStrictEqual } from 'node:util';
import type { PatchOperation } from '../../model/finding.js';
import { formatPath, type FieldPath, type Segment } from '../../model/path.js';

/**
 * The meaning of a suggested fix's operations on a plain JSON value, shared by the JSON writer and by the
 * YAML editor (which checks its text edits against it).
 *
 * Semantics, JSON-Patch-like but forgiving where Kubernetes fixes need it:
 * - `add`/`replace` on a mapping key set the key, creating missing (or null) parents: a mapping, or a
 *   sequence when the next segment is an index. `replace` of a missing key sets it too.
 * - `add` at a sequence index inserts before that item (`-` or the length appends); `replace` at an index
 *   overwrites an existing item.
 * - `remove` deletes a key or a sequence item; removing what is not there changes nothing.
 * - Walking through a scalar (`securityContext: "yes"`) is an error: the fix does not fit the document.
 */
export class PatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatchError';
  }
}

type Container = Record<string, unknown> | unknown[];

function isContainer(v: unknown): v is Container {
  return v !== null && typeof v === 'object';
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a sequence';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'a mapping' : `a ${typeof v}`;
}

/** True when the operation shifts the indices of a sequence (so it must run after index-based reads). */
export function shiftsIndices(op: PatchOperation): boolean {
  const last = op.path[op.path.length - 1];
  return op.op === 'remove' || (op.op === 'add' && (typeof last === 'number' || last === '-'));
}

function childOf(parent: Container, seg: Segment, at: FieldPath): unknown {
  if (Array.isArray(parent)) {
    if (typeof seg !== 'number') throw new PatchError(`${formatPath(at) || 'the document'} is a sequence, not a mapping with key ${JSON.stringify(seg)}`);
    return parent[seg];
  }
  if (typeof seg === 'number') throw new PatchError(`${formatPath(at) || 'the document'} is a mapping, not a sequence`);
  return Object.prototype.hasOwnProperty.call(parent, seg) ? parent[seg] : undefined;
}

/** Applies one operation to `root` in place. Returns false when it changed nothing. */
export function applyOperation(root: unknown, op: PatchOperation): boolean {
  const path = op.path;
  if (path.length === 0) throw new PatchError('a fix cannot replace or remove the whole object');
  if (!isContainer(root)) throw new PatchError(`the document is ${describe(root)}`);
  let parent: Container = root;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i]!;
    const here = path.slice(0, i + 1);
    let child = childOf(parent, seg, path.slice(0, i));
    if (child === undefined || child === null) {
      if (op.op === 'remove') return false;
      child = typeof path[i + 1] === 'number' || path[i + 1] === '-' ? [] : {};
      setChild(parent, seg, child, 'set', here);
    } else if (!isContainer(child)) {
      throw new PatchError(`${formatPath(here)} is ${describe(child)}, not a ${typeof path[i + 1] === 'number' ? 'sequence' : 'mapping'}`);
    }
    parent = child as Container;
  }
  const last = path[path.length - 1]!;
  if (op.op === 'remove') {
    if (Array.isArray(parent)) {
      if (typeof last !== 'number') throw new PatchError(`${formatPath(path.slice(0, -1))} is a sequence, not a mapping`);
      if (last >= parent.length) return false;
      parent.splice(last, 1);
      return true;
    }
    if (typeof last === 'number') throw new PatchError(`${formatPath(path.slice(0, -1)) || 'the document'} is a mapping, not a sequence`);
    if (!Object.prototype.hasOwnProperty.call(parent, last)) return false;
    delete parent[last];
    return true;
  }
  const value = structuredClone(op.value);
  if (Array.isArray(parent) && op.op === 'add' && (typeof last === 'number' || last === '-')) {
    const at = last === '-' ? parent.length : (last as number);
    if (at > parent.length) throw new PatchError(`${formatPath(path)}: index past the end of a sequence of ${parent.length}`);
    parent.splice(at, 0, value);
    return true;
  }
  const current = Array.isArray(parent) ? (typeof last === 'number' ? parent[last] : undefined) : childOf(parent, last, path.slice(0, -1));
  if (current !== undefined && isDeepStrictEqual(current, value)) return false;
  setChild(parent, last, value, op.op, path);
  return true;
}

function setChild(parent: Container, seg: Segment, value: unknown, how: 'set' | 'add' | 'replace', at: FieldPath): void {
  if (Array.isArray(parent)) {
    if (typeof seg !== 'number' && seg !== '-') throw new PatchError(`${formatPath(at.slice(0, -1))} is a sequence, not a mapping`);
    const i = seg === '-' ? parent.length : seg;
    if (i > parent.length || (how === 'replace' && i >= parent.length)) throw new PatchError(`${formatPath(at)}: no such sequence item (length ${parent.length})`);
    parent[i] = value;
    return;
  }
  if (typeof seg === 'number') throw new PatchError(`${formatPath(at.slice(0, -1)) || 'the document'} is a mapping, not a sequence`);
  parent[seg] = value;
}

function compareSegments(a: FieldPath, b: FieldPath): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return a.length - b.length;
}

/**
 * The order operations of several fixes on one document run in, so that each one still means what it
 * meant against the original document: settings first, shallow before deep (a new `securityContext`
 * mapping before a field inside it); then removals and insertions, last index first, so removing
 * `sysctls[1]` does not move `sysctls[3]`.
 */
export function orderOperations(ops: readonly PatchOperation[]): PatchOperation[] {
  const sets = ops.filter((o) => !shiftsIndices(o)).map((o, i) => ({ o, i }));
  sets.sort((a, b) => a.o.path.length - b.o.path.length || a.i - b.i);
  const shifts = ops.filter(shiftsIndices);
  shifts.sort((a, b) => -compareSegments(a.path, b.path));
  return [...sets.map((s) => s.o), ...shifts];
}

/** Applies operations (in safe order) to a copy of `value`. Throws PatchError when one does not fit. */
export function applyOperations(value: unknown, ops: readonly PatchOperation[]): { value: unknown; changed: boolean } {
  const copy = structuredClone(value);
  let changed = false;
  for (const op of orderOperations(ops)) if (applyOperation(copy, op)) changed = true;
  return { value: copy, changed };
}

function isPrefix(a: FieldPath, b: FieldPath): boolean {
  if (a.length > b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameOperation(a: PatchOperation, b: PatchOperation): boolean {
  if (a.path.length !== b.path.length || !isPrefix(a.path, b.path)) return false;
  if (a.op === 'remove' || b.op === 'remove') return a.op === b.op;
  const setLike = (o: PatchOperation) => (o.op === 'replace' || !shiftsIndices(o) ? 'set' : 'insert');
  return setLike(a) === setLike(b) && isDeepStrictEqual(a.value, b.value);
}

/**
 * Whether two operations of different fixes can run together. Identical operations are fine (they are
 * applied once). A setting inside a mapping that another fix sets as a whole merges into it. Anything
 * else touching the same field or one inside the other (a removal under a replaced list, two values for
 * one field) conflicts: the later fix waits for the next round, re-evaluated against the result.
 */
function compatible(a: PatchOperation, b: PatchOperation): boolean {
  if (sameOperation(a, b)) return true;
  const [outer, inner] = a.path.length <= b.path.length ? [a, b] : [b, a];
  if (!isPrefix(outer.path, inner.path)) return true;
  if (outer.path.length === inner.path.length) return false;
  if (shiftsIndices(outer) || shiftsIndices(inner)) return false;
  if (outer.op === 'remove' || inner.op === 'remove') return false;
  const v = outer.value;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  return inner.path.slice(outer.path.length).every((s) => typeof s === 'string');
}

/** What planning decided for one fix. */
export type PlanStatus =
  | { status: 'apply' }
  /** The fix changes nothing in this document (it is already in the fixed state). */
  | { status: 'unchanged' }
  /** Overlaps the fix at index `with`; retry once that one is applied. */
  | { status: 'conflict'; with: number }
  | { status: 'failed'; reason: string };

/**
 * Decides which fixes on one document run together: each fix is tried alone (failing when it does not
 * fit the document), then against the fixes already accepted.
 */
export function planFixes(original: unknown, fixes: readonly (readonly PatchOperation[])[]): { statuses: PlanStatus[]; operations: PatchOperation[]; expected: unknown } {
  const statuses: PlanStatus[] = [];
  const accepted: Array<{ index: number; ops: readonly PatchOperation[] }> = [];
  let operations: PatchOperation[] = [];
  let expected: unknown = original;
  fixes.forEach((ops, index) => {
    try {
      if (ops.length === 0 || !applyOperations(original, ops).changed) {
        statuses.push({ status: 'unchanged' });
        return;
      }
    } catch (e) {
      if (!(e instanceof PatchError)) throw e;
      statuses.push({ status: 'failed', reason: e.message });
      return;
    }
    for (const prev of accepted) {
      if (ops.some((o) => prev.ops.some((p) => !compatible(o, p)))) {
        statuses.push({ status: 'conflict', with: prev.index });
        return;
      }
    }
    const fresh = ops.filter((o) => !operations.some((p) => sameOperation(o, p)));
    const combined = [...operations, ...fresh];
    try {
      expected = applyOperations(original, combined).value;
    } catch (e) {
      if (!(e instanceof PatchError)) throw e;
      statuses.push({ status: 'conflict', with: accepted[accepted.length - 1]?.index ?? index });
      return;
    }
    operations = combined;
    accepted.push({ index, ops });
    statuses.push({ status: 'apply' });
  });
  return { statuses, operations: orderOperations(operations), expected };
}
