import type { PatchOperation } from '../model/finding.js';
import type { FieldPath } from '../model/path.js';

/** One operation of an RFC 6902 JSON Patch, as `kubectl patch --type=json` takes it. */
export type JsonPatchOperation = { op: 'add' | 'replace'; path: string; value: unknown } | { op: 'remove'; path: string };

/** An RFC 6901 JSON Pointer: `/spec/template/metadata/annotations/app.kubernetes.io~1name`. */
export function jsonPointer(path: FieldPath): string {
  return path.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

type Container = Record<string, unknown> | unknown[];

const isContainer = (v: unknown): v is Container => typeof v === 'object' && v !== null;

function childAt(parent: Container, seg: string | number): unknown {
  return Array.isArray(parent) ? (typeof seg === 'number' ? parent[seg] : undefined) : parent[String(seg)];
}

/** The value to add at a missing step so that `rest` can then be set under it: nested objects or arrays down to `value`. */
function nested(rest: FieldPath, value: unknown): unknown {
  let out = value;
  for (let i = rest.length - 1; i >= 0; i--) out = typeof rest[i] === 'number' ? [out] : { [rest[i]!]: out };
  return out;
}

/**
 * Turns a suggested fix's edits into a JSON Patch that applies to `object` as it is (the live resource): RFC 6902
 * `add` needs the parent to exist, so a field under missing parents is added as one nested value at the deepest
 * parent that exists; `replace` of a missing field becomes `add`; removing a missing field is left out. Edits are
 * applied in order to a copy, so each sees what the previous ones did.
 */
export function toJsonPatch(object: unknown, ops: readonly PatchOperation[]): JsonPatchOperation[] {
  const doc = structuredClone(object) as unknown;
  const out: JsonPatchOperation[] = [];
  for (const op of ops) {
    if (!isContainer(doc) || op.path.length === 0) continue;
    // Walk to the deepest existing container on the path.
    let parent: Container = doc;
    let depth = 0;
    while (depth < op.path.length - 1) {
      const next = childAt(parent, op.path[depth]!);
      if (!isContainer(next)) break;
      parent = next;
      depth++;
    }
    const seg = op.path[depth]!;
    const exists = childAt(parent, seg) !== undefined;
    if (op.op === 'remove') {
      if (depth !== op.path.length - 1 || !exists) continue;
      if (Array.isArray(parent)) parent.splice(seg as number, 1);
      else delete parent[String(seg)];
      out.push({ op: 'remove', path: jsonPointer(op.path) });
      continue;
    }
    const value = depth === op.path.length - 1 ? op.value : nested(op.path.slice(depth + 1), op.value);
    const here = op.path.slice(0, depth + 1);
    if (Array.isArray(parent)) {
      if (typeof seg !== 'number') continue;
      if (seg < parent.length) {
        parent[seg] = structuredClone(value);
        out.push({ op: 'replace', path: jsonPointer(here), value });
      } else {
        parent.push(structuredClone(value));
        out.push({ op: 'add', path: `${jsonPointer(op.path.slice(0, depth))}/-`, value });
      }
      continue;
    }
    parent[String(seg)] = structuredClone(value);
    out.push({ op: exists ? 'replace' : 'add', path: jsonPointer(here), value });
  }
  return out;
}

/** Quotes a word for a POSIX shell (single quotes; a quote inside closes, escapes and reopens). */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The `kubectl patch` command that applies a JSON Patch to one resource. */
export function kubectlPatchCommand(resource: { kind: string; name: string; namespace?: string | null }, patch: readonly JsonPatchOperation[]): string {
  const ns = resource.namespace ? ` -n ${shellQuote(resource.namespace)}` : '';
  return `kubectl patch ${resource.kind.toLowerCase()} ${shellQuote(resource.name)}${ns} --type=json -p ${shellQuote(JSON.stringify(patch))}`;
}
