import { describe, expect, it } from 'vitest';
import { jsonPointer, kubectlPatchCommand, toJsonPatch } from './json-patch.js';

/** A minimal RFC 6902 applier (add, replace, remove), strict about parents, to check patches apply as kubectl would. */
function apply(doc: unknown, patch: ReturnType<typeof toJsonPatch>): unknown {
  const out = structuredClone(doc) as Record<string, unknown>;
  for (const op of patch) {
    const segs = op.path.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = segs.pop()!;
    let parent = out as Record<string, unknown> | unknown[];
    for (const s of segs) {
      const next = (parent as Record<string, unknown>)[s];
      if (next === null || typeof next !== 'object') throw new Error(`missing parent at ${op.path}`);
      parent = next as Record<string, unknown> | unknown[];
    }
    if (Array.isArray(parent)) {
      if (op.op === 'remove') parent.splice(Number(last), 1);
      else if (last === '-') parent.push(op.value);
      else if (op.op === 'add') parent.splice(Number(last), 0, op.value);
      else parent[Number(last)] = op.value;
    } else if (op.op === 'remove') {
      if (!(last in parent)) throw new Error(`remove of a missing field ${op.path}`);
      delete parent[last];
    } else {
      if (op.op === 'replace' && !(last in parent)) throw new Error(`replace of a missing field ${op.path}`);
      parent[last] = op.value;
    }
  }
  return out;
}

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', annotations: { 'app.kubernetes.io/name': 'web' } },
  spec: { template: { spec: { hostNetwork: true, containers: [{ name: 'app', image: 'nginx', securityContext: { privileged: true } }, { name: 'side', image: 'envoy' }] } } },
};

describe('toJsonPatch', () => {
  it('escapes pointers as RFC 6901 says', () => {
    expect(jsonPointer(['metadata', 'annotations', 'app.kubernetes.io/name'])).toBe('/metadata/annotations/app.kubernetes.io~1name');
    expect(jsonPointer(['a~b', 0])).toBe('/a~0b/0');
  });

  it('replaces existing fields, adds missing ones under their deepest existing parent, and drops removals of missing fields', () => {
    const patch = toJsonPatch(deployment, [
      { op: 'replace', path: ['spec', 'template', 'spec', 'containers', 0, 'securityContext', 'privileged'], value: false },
      { op: 'add', path: ['spec', 'template', 'spec', 'containers', 1, 'securityContext', 'runAsNonRoot'], value: true },
      { op: 'add', path: ['spec', 'template', 'spec', 'containers', 1, 'securityContext', 'readOnlyRootFilesystem'], value: true },
      { op: 'remove', path: ['spec', 'template', 'spec', 'hostNetwork'] },
      { op: 'remove', path: ['spec', 'template', 'spec', 'hostPID'] },
    ]);
    expect(patch).toEqual([
      { op: 'replace', path: '/spec/template/spec/containers/0/securityContext/privileged', value: false },
      { op: 'add', path: '/spec/template/spec/containers/1/securityContext', value: { runAsNonRoot: true } },
      { op: 'add', path: '/spec/template/spec/containers/1/securityContext/readOnlyRootFilesystem', value: true },
      { op: 'remove', path: '/spec/template/spec/hostNetwork' },
    ]);
    const fixed = apply(deployment, patch) as typeof deployment;
    expect(fixed.spec.template.spec.containers[1]).toMatchObject({ securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true } });
    expect(fixed.spec.template.spec.containers[0]!.securityContext).toEqual({ privileged: false });
    expect('hostNetwork' in fixed.spec.template.spec).toBe(false);
    // The input is not changed.
    expect(deployment.spec.template.spec.hostNetwork).toBe(true);
  });

  it('creates arrays for numeric steps and appends past the end of an array', () => {
    const patch = toJsonPatch({ spec: { containers: [] } }, [
      { op: 'add', path: ['spec', 'containers', 0], value: { name: 'a' } },
      { op: 'add', path: ['spec', 'volumes', 0, 'name'], value: 'tmp' },
    ]);
    expect(patch).toEqual([
      { op: 'add', path: '/spec/containers/-', value: { name: 'a' } },
      { op: 'add', path: '/spec/volumes', value: [{ name: 'tmp' }] },
    ]);
    expect(apply({ spec: { containers: [] } }, patch)).toEqual({ spec: { containers: [{ name: 'a' }], volumes: [{ name: 'tmp' }] } });
  });
});

describe('kubectlPatchCommand', () => {
  it('quotes names and the patch for a POSIX shell', () => {
    const cmd = kubectlPatchCommand({ kind: 'Deployment', name: 'web', namespace: 'shop' }, [{ op: 'add', path: '/metadata/annotations/x', value: "it's" }]);
    expect(cmd).toBe(`kubectl patch deployment 'web' -n 'shop' --type=json -p '[{"op":"add","path":"/metadata/annotations/x","value":"it'\\''s"}]'`);
    expect(kubectlPatchCommand({ kind: 'ClusterRoleBinding', name: 'admins' }, [])).toBe(`kubectl patch clusterrolebinding 'admins' --type=json -p '[]'`);
  });
});
