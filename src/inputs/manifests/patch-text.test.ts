import jsYaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import type { PatchOperation } from '../../model/finding.js';
import { applyOperations, orderOperations, planFixes } from './patch-ops.js';
import { patchManifestText, type TextPatch } from './patch-text.js';
import { splitDocuments } from './parse.js';

const set = (path: PatchOperation['path'], value: unknown): PatchOperation => ({ op: 'add', path, value });
const del = (path: PatchOperation['path']): PatchOperation => ({ op: 'remove', path });
const one = (operations: PatchOperation[], documentIndex = 0): TextPatch => ({ documentIndex, operations });
const c = (i: number, ...rest: Array<string | number>) => ['spec', 'containers', i, ...rest];

/** Lines removed and added between two texts (a crude line diff: enough to show an edit stayed local). */
function changedLines(a: string, b: string): { removed: string[]; added: string[] } {
  const x = a.split('\n');
  const y = b.split('\n');
  let s = 0;
  while (s < x.length && s < y.length && x[s] === y[s]) s++;
  let e = 0;
  while (e < x.length - s && e < y.length - s && x[x.length - 1 - e] === y[y.length - 1 - e]) e++;
  return { removed: x.slice(s, x.length - e), added: y.slice(s, y.length - e) };
}

const POD = `# Pod with comments
apiVersion: v1
kind: Pod
metadata:
  name: web   # the name
  labels:
    app: web
spec:
  hostPID: true   # debugging only

  containers:
  - name: app
    image: "nginx:1.25"
    securityContext:
      privileged: true # reviewed
  - name: sidecar
    image: busybox:1.36
  - name: flow
    image: x
    securityContext: {runAsUser: 1000}
  - name: empty
    image: x
    securityContext: {}
  - name: nothing
    image: x
    securityContext:
`;

describe('patchManifestText on YAML', () => {
  it('replaces a scalar in place, keeping its comment and every other line', () => {
    const r = patchManifestText(POD, [one([set(c(0, 'securityContext', 'privileged'), false)])]);
    expect(r.statuses).toEqual([{ status: 'applied' }]);
    expect(changedLines(POD, r.text)).toEqual({ removed: ['      privileged: true # reviewed'], added: ['      privileged: false # reviewed'] });
  });

  it('removes a field with its lines and the blank line it leaves at the top of its mapping', () => {
    const r = patchManifestText(POD, [one([del(['spec', 'hostPID'])])]);
    expect(r.text).toBe(POD.replace('  hostPID: true   # debugging only\n\n', ''));
    expect(r.text).toContain('# Pod with comments');
  });

  it('creates missing parents at the indentation of their siblings', () => {
    const r = patchManifestText(POD, [one([set(c(1, 'securityContext', 'capabilities', 'drop'), ['ALL'])])]);
    expect(changedLines(POD, r.text).added).toEqual(['    securityContext:', '      capabilities:', '        drop:', '        - ALL']);
    expect((jsYaml.load(r.text) as { spec: { containers: Array<Record<string, unknown>> } }).spec.containers[1]!.securityContext).toEqual({ capabilities: { drop: ['ALL'] } });
  });

  it('creates a missing parent once for several fixes, in the order of the fixes', () => {
    const r = patchManifestText(POD, [
      one([set(c(1, 'securityContext', 'runAsNonRoot'), true)]),
      one([set(c(1, 'securityContext', 'allowPrivilegeEscalation'), false)]),
      one([set(c(1, 'resources', 'limits', 'cpu'), '500m')]),
      one([set(c(1, 'resources', 'limits', 'memory'), '512Mi')]),
      one([set(c(1, 'imagePullPolicy'), 'Always')]),
    ]);
    expect(changedLines(POD, r.text).added).toEqual([
      '    imagePullPolicy: Always',
      '    securityContext:',
      '      runAsNonRoot: true',
      '      allowPrivilegeEscalation: false',
      '    resources:',
      '      limits:',
      '        cpu: 500m',
      '        memory: 512Mi',
    ]);
  });

  it('fills an empty or null securityContext in block style and extends a flow one in flow style', () => {
    const r = patchManifestText(POD, [
      one([set(c(2, 'securityContext', 'runAsNonRoot'), true)]),
      one([set(c(3, 'securityContext', 'runAsNonRoot'), true)]),
      one([set(c(4, 'securityContext', 'seccompProfile'), { type: 'RuntimeDefault' })]),
    ]);
    expect(r.statuses.map((s) => s.status)).toEqual(['applied', 'applied', 'applied']);
    expect(r.text).toContain('    securityContext: {runAsUser: 1000, runAsNonRoot: true}\n');
    expect(r.text).toContain('  - name: empty\n    image: x\n    securityContext:\n      runAsNonRoot: true\n');
    expect(r.text).toMatch(/- name: nothing\n {4}image: x\n {4}securityContext:\n {6}seccompProfile:\n {8}type: RuntimeDefault\n$/);
    expect(r.reformatted).toEqual([]);
  });

  it('keeps the quoting of a replaced string and of a replaced flow list', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: "nginx:1.0"\n    securityContext:\n      capabilities:\n        drop: ["NET_RAW"]\n';
    const r = patchManifestText(text, [
      one([{ op: 'replace', path: c(0, 'image'), value: 'nginx:1.1' }]),
      one([set(c(0, 'securityContext', 'capabilities', 'drop'), ['ALL'])]),
    ]);
    expect(r.text).toContain('    image: "nginx:1.1"\n');
    expect(r.text).toContain('        drop: ["ALL"]\n');
  });

  it('follows the document indentation (4 spaces, unindented sequences)', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n    name: p\nspec:\n    containers:\n    -   name: a\n        image: a\n';
    const r = patchManifestText(text, [one([set(c(0, 'resources', 'limits', 'memory'), '1Gi'), set(c(0, 'args'), ['--x'])])]);
    expect(changedLines(text, r.text).added).toEqual(['        args:', '        - --x', '        resources:', '            limits:', '                memory: 1Gi']);
  });

  it('removes the first key of a sequence item without losing the dash', () => {
    const text = 'spec:\n  sysctls:\n  - name: a\n    value: "1"\n';
    const r = patchManifestText(`apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n${text}`, [one([del(['spec', 'sysctls', 0, 'name'])])]);
    expect(r.text).toContain('  sysctls:\n  - value: "1"\n');
  });

  it('removes several sequence items by their original indices, last first', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  securityContext:\n    sysctls:\n    - name: a\n    - name: b\n    # keep me\n    - name: c\n    - name: d\n';
    const r = patchManifestText(text, [one([del(['spec', 'securityContext', 'sysctls', 0])]), one([del(['spec', 'securityContext', 'sysctls', 2])])]);
    expect(r.statuses.map((s) => s.status)).toEqual(['applied', 'applied']);
    expect((jsYaml.load(r.text) as { spec: { securityContext: { sysctls: unknown[] } } }).spec.securityContext.sysctls).toEqual([{ name: 'b' }, { name: 'd' }]);
    expect(r.text).toContain('# keep me');
  });

  it('turns an emptied mapping or sequence into {} or []', () => {
    const r = patchManifestText(POD, [one([del(c(0, 'securityContext', 'privileged'))])]);
    expect(r.text).toContain('    image: "nginx:1.25"\n    securityContext: {}\n  - name: sidecar\n');
  });

  it('inserts and appends sequence items', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  volumes:\n  - name: x\n    emptyDir: {}\n';
    const r = patchManifestText(text, [one([set(['spec', 'volumes', 0], { name: 'first' }), set(['spec', 'volumes', '-'], { name: 'last' })])]);
    expect((jsYaml.load(r.text) as { spec: { volumes: Array<{ name: string }> } }).spec.volumes.map((v) => v.name)).toEqual(['first', 'x', 'last']);
  });

  it('edits only the documents it is asked to: the others stay byte-identical', () => {
    const doc2 = '# second\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\nspec:\n  hostPID: true\n  hostIPC: true\n';
    const doc3 = 'apiVersion: v1\nkind: Service\nmetadata: { name: s }   # odd spacing kept\nspec:\n    ports: [ {port: 80} ]\n';
    const text = `${POD}---\n${doc2}---\n${doc3}`;
    const r = patchManifestText(text, [one([del(['spec', 'hostPID'])], 1)]);
    const docs = splitDocuments(r.text);
    expect(docs[0]!.text).toBe(POD);
    expect(docs[1]!.text).toBe(doc2.replace('  hostPID: true\n', ''));
    expect(docs[2]!.text).toBe(doc3);
  });

  it('numbers documents like the scanner (a comment-only preamble is document 0)', () => {
    const text = '# generated\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n  containers: []\n';
    expect(patchManifestText(text, [one([del(['spec', 'hostPID'])], 1)]).text).toBe(text.replace('  hostPID: true\n', ''));
    expect(patchManifestText(text, [one([del(['spec', 'hostPID'])], 0)]).statuses[0]).toMatchObject({ status: 'failed' });
  });

  it('patches List items through their path prefix', () => {
    const text = 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n  spec:\n    hostPID: true\n    containers:\n    - name: a\n      image: a\n';
    const r = patchManifestText(text, [one([del(['items', 0, 'spec', 'hostPID']), set(['items', 0, 'spec', 'containers', 0, 'securityContext', 'privileged'], false)])]);
    expect(r.text).toBe('apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n  spec:\n    containers:\n    - name: a\n      image: a\n      securityContext:\n        privileged: false\n');
  });

  it('keeps CRLF line endings and a missing final newline', () => {
    const crlf = POD.replace(/\n/g, '\r\n');
    const r = patchManifestText(crlf, [one([set(c(1, 'securityContext', 'privileged'), false), del(['spec', 'hostPID'])])]);
    expect(r.text).not.toMatch(/[^\r]\n/);
    expect((jsYaml.load(r.text) as { spec: { containers: Array<Record<string, unknown>> } }).spec.containers[1]!.securityContext).toEqual({ privileged: false });
    const bare = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  hostPID: true';
    expect(patchManifestText(bare, [one([set(['spec', 'hostIPC'], false)])]).text).toBe(`${bare}\n  hostIPC: false`);
  });

  it('replaces block scalars and block collections as a whole', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    note: |\n      two\n      lines\n    other: x\nspec:\n  containers:\n  - name: a\n    command:\n    - sh\n    - -c\n';
    const r = patchManifestText(text, [one([{ op: 'replace', path: ['metadata', 'annotations', 'note'], value: 'one' }, { op: 'replace', path: c(0, 'command'), value: ['sleep'] }])]);
    expect(r.text).toBe('apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    note: one\n    other: x\nspec:\n  containers:\n  - name: a\n    command:\n    - sleep\n');
  });

  it('refuses the whole file when the document to edit does not parse', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  a: [\n';
    const r = patchManifestText(text, [one([set(['spec', 'x'], 1)])]);
    expect(r.error?.message).toMatch(/document 1/);
    expect(r.text).toBe(text);
  });

  it('fails a fix that does not fit the document, and leaves the others applied', () => {
    const r = patchManifestText(POD, [one([set(c(0, 'image', 'tag'), 'x')]), one([del(['spec', 'hostPID'])])]);
    expect(r.statuses[0]).toEqual({ status: 'failed', reason: 'spec.containers[0].image is a string, not a mapping' });
    expect(r.statuses[1]).toEqual({ status: 'applied' });
  });

  it('applies identical operations of two fixes once, and defers a conflicting one', () => {
    const path = c(0, 'securityContext', 'capabilities', 'drop');
    const r = patchManifestText(POD, [one([set(path, ['ALL'])]), one([set(path, ['ALL'])]), one([set(path, ['NET_RAW'])])]);
    expect(r.statuses).toEqual([{ status: 'applied' }, { status: 'applied' }, { status: 'conflict', with: 0 }]);
  });

  it('reports a fix that is already in place as unchanged', () => {
    const r = patchManifestText(POD, [one([set(c(0, 'securityContext', 'privileged'), true)])]);
    expect(r.statuses).toEqual([{ status: 'unchanged' }]);
    expect(r.text).toBe(POD);
  });

  it('changes an anchored value where it is written (aliases follow, as YAML means)', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  securityContext: &sc\n    runAsNonRoot: false\n  containers:\n  - name: a\n    securityContext: *sc\n';
    const r = patchManifestText(text, [one([set(['spec', 'securityContext', 'runAsNonRoot'], true)])]);
    expect(r.text).toContain('  securityContext: &sc\n    runAsNonRoot: true\n');
    expect(r.text).toContain('    securityContext: *sc\n');
  });

  it('fails rather than edit through an alias', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nx: &sc\n  a: 1\nspec:\n  securityContext: *sc\n';
    const r = patchManifestText(text, [one([set(['spec', 'securityContext', 'b'], 2)])]);
    expect(r.statuses[0]).toMatchObject({ status: 'failed' });
    expect(r.text).toBe(text);
  });
});

describe('patchManifestText on JSON', () => {
  it('rewrites the object with the file indentation and final newline', () => {
    const text = '{\n    "apiVersion": "v1",\n    "kind": "Pod",\n    "metadata": {"name": "j"},\n    "spec": {"hostPID": true, "containers": [{"name": "a"}]}\n}\n';
    const r = patchManifestText(text, [one([del(['spec', 'hostPID']), set(c(0, 'securityContext', 'privileged'), false)])]);
    expect(r.text).toBe(`${JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'j' }, spec: { containers: [{ name: 'a', securityContext: { privileged: false } }] } }, null, 4)}\n`);
  });

  it('keeps tabs, minified files and List items', () => {
    const tabs = '{\n\t"kind": "Pod",\n\t"spec": {\n\t\t"hostPID": true\n\t}\n}';
    expect(patchManifestText(tabs, [one([del(['spec', 'hostPID'])])]).text).toBe('{\n\t"kind": "Pod",\n\t"spec": {}\n}');
    const list = '{"kind":"List","items":[{"kind":"Pod","spec":{"hostPID":true}}]}';
    expect(patchManifestText(list, [one([del(['items', 0, 'spec', 'hostPID'])])]).text).toBe('{"kind":"List","items":[{"kind":"Pod","spec":{}}]}');
  });

  it('leaves the text untouched when nothing changes', () => {
    const text = '{ "kind": "Pod", "spec": {} }';
    expect(patchManifestText(text, [one([del(['spec', 'hostPID'])])])).toMatchObject({ text, statuses: [{ status: 'unchanged' }] });
  });
});

describe('operation semantics', () => {
  it('orders settings shallow-first and index shifts last-index-first', () => {
    const ops: PatchOperation[] = [del(['a', 1]), set(['b', 'c', 'd'], 1), del(['a', 3]), set(['b'], { x: 1 }), set(['a', 0], 'new')];
    expect(orderOperations(ops).map((o) => o.path.join('.'))).toEqual(['b', 'b.c.d', 'a.3', 'a.1', 'a.0']);
  });

  it('merges a setting inside a mapping another fix sets as a whole', () => {
    const plan = planFixes({ spec: {} }, [[set(['spec', 'securityContext'], { runAsNonRoot: true })], [set(['spec', 'securityContext', 'privileged'], false)]]);
    expect(plan.statuses.map((s) => s.status)).toEqual(['apply', 'apply']);
    expect(plan.expected).toEqual({ spec: { securityContext: { runAsNonRoot: true, privileged: false } } });
  });

  it('creates a missing sequence for an index path and never walks through scalars', () => {
    expect(applyOperations({}, [set(['a', 0, 'b'], 1)]).value).toEqual({ a: [{ b: 1 }] });
    expect(applyOperations({ a: null }, [set(['a', 'b'], 1)]).value).toEqual({ a: { b: 1 } });
    expect(() => applyOperations({ a: 'x' }, [set(['a', 'b'], 1)])).toThrow(/a\b.*is a string/);
    expect(applyOperations({ a: 1 }, [del(['b', 'c'])]).changed).toBe(false);
  });
});
