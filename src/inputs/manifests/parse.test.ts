import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMap, isSeq, LineCounter, parseAllDocuments, parseDocument, type Node as YamlNode } from 'yaml';
import { DEFAULT_LIMITS, parseManifestRaw, parseManifestText, prepareText, splitDocuments } from './parse.js';

const deployment = `# leading comment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  template:
    spec:
      containers:
      - name: app
        image: nginx
        securityContext:
          privileged: true
      - name: side
        image: "busybox:1"
        command: |
          echo hi
          foo: bar
        env:
          - name: A
            value: b
`;

describe('splitDocuments', () => {
  it('splits on --- and ... and keeps the first line of each document', () => {
    const docs = splitDocuments('a: 1\n---\nb: 2\n...\n---\nc: 3\n');
    expect(docs.map((d) => [d.text.trim(), d.startLine])).toEqual([['a: 1', 1], ['b: 2', 3], ['c: 3', 6]]);
  });
  it('ignores empty documents', () => {
    expect(splitDocuments('---\n---\n# only a comment\n---\n')).toHaveLength(1);
  });
  it('splits only on markers that start a line and stand alone or before whitespace', () => {
    const split = (text: string) => splitDocuments(text).map((d) => [d.text, d.startLine, d.start]);
    // CRLF files; a `\r` alone does not end a line; `----` and `---a` are content; an indented or quoted `---` too.
    expect(split('a: 1\r\n---\r\nb: 2\r\n')).toEqual([['a: 1\r\n', 1, 0], ['b: 2\r\n', 3, 11]]);
    expect(split('a\r---\nb')).toEqual([['a\r---\nb', 1, 0]]);
    expect(split('----\n---a\n  ---\nb: |\n  ---\n')).toHaveLength(1);
    // Content after `--- ` stays in the next document, from the marker's own line; `...` ends one.
    expect(split('x: 1\n--- a: 1\ny: 2\n...\nz: 3\n')).toEqual([['x: 1\n', 1, 0], [' a: 1\ny: 2\n', 2, 8], ['z: 3\n', 5, 23]]);
    expect(split('--- # comment\n\n\nq: 1')).toEqual([['\n\nq: 1', 2, 14]]);
  });
});

describe('prepareText', () => {
  it('lets another thread split the documents and look at the characters, with the same result', () => {
    const root = join(import.meta.dirname, '../../misconfig/checks/__fixtures__');
    const texts = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => /\.(ya?ml|json)$/.test(f)).map((f) => readFileSync(join(root, f), 'utf8'));
    texts.push('a: 1\n---\nkind: Pod\napiVersion: v1\nmetadata: {name: x}\n', 'kind: Pod\tx\n', 'kind: Pod\napiVersion: v1\nmetadata:\n  name: "caf\u00e9"\n', '{"kind": "Pod"}');
    const strip = (raw: ReturnType<typeof parseManifestRaw>) => ({ ...raw, docs: raw.docs.map((d) => [d.text, d.startLine, d.start]) });
    for (const text of texts) {
      const prepared = prepareText(text);
      expect(prepared.plainAscii).toBe(!/[^\x20-\x7E\n]/.test(text));
      expect(strip(parseManifestRaw('f.yaml', text, DEFAULT_LIMITS, prepared))).toEqual(strip(parseManifestRaw('f.yaml', text, DEFAULT_LIMITS)));
    }
  });
});

describe('parseManifestText', () => {
  it('finds the line of every field, including in sequences and after block scalars', () => {
    const { resources, errors } = parseManifestText('d.yaml', deployment);
    expect(errors).toEqual([]);
    const [r] = resources;
    expect(r!.id).toBe('Deployment/prod/web');
    expect(r!.source.line).toBe(2);
    const line = (p: Array<string | number>) => r!.source.locate(p).line;
    expect(line(['spec', 'template', 'spec', 'containers', 0, 'securityContext', 'privileged'])).toBe(14);
    expect(line(['spec', 'template', 'spec', 'containers', 1, 'image'])).toBe(16);
    expect(line(['spec', 'template', 'spec', 'containers', 1, 'env', 0, 'value'])).toBe(22);
    // A missing field points at its deepest existing parent: the container.
    expect(line(['spec', 'template', 'spec', 'containers', 1, 'securityContext', 'runAsNonRoot'])).toBe(15);
    expect(line(['metadata', 'namespace'])).toBe(6);
  });

  it('finds lines in kubectl-style documents (sequences at their key\'s indent), in any query order', () => {
    const text = [
      'apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: api', '  "namespace": shop', 'spec:',
      '  template:', '    spec:', '      containers:   # the pods', '      - name: app', '        image: api:1',
      '        ports:', '        - containerPort: 8080', '          name: http', '        - containerPort: 9090',
      '        env:', '        - name: A', '          value: "1"', "        'resources':", '          limits:',
      '            cpu: 500m', '      - name: side', '        args:', '        - --verbose', '        securityContext:',
      '          privileged: true', '      volumes:', '      - name: data', '        emptyDir: {}', '',
    ].join('\r\n');
    const r = parseManifestText('k.yaml', text).resources[0]!;
    expect(r.namespace).toBe('shop');
    // Expected lines from the yaml library's syntax tree, for every field and for a missing child of each.
    const counter = new LineCounter();
    const doc = parseDocument(text, { lineCounter: counter });
    const paths: Array<Array<string | number>> = [];
    const walk = (v: unknown, p: Array<string | number>) => {
      paths.push(p);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
      else if (v !== null && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
        paths.push([...p, 'missing']);
      }
    };
    walk(r.object, []);
    const expected = (p: Array<string | number>) => {
      let node: unknown = doc.contents;
      let offset = (doc.contents as YamlNode).range![0];
      for (const seg of p) {
        if (isMap(node)) {
          const pair = node.items.find((x) => String((x.key as { value: unknown }).value) === String(seg));
          if (!pair) break;
          offset = (pair.key as YamlNode).range![0];
          node = pair.value;
        } else if (isSeq(node) && typeof seg === 'number') {
          node = node.items[seg];
          offset = (node as YamlNode).range![0];
        } else break;
      }
      return counter.linePos(offset).line;
    };
    // Reversed and shuffled orders exercise the reuse of shared path prefixes between queries.
    const orders = [paths, [...paths].reverse(), paths.filter((_, i) => i % 2 === 0).concat(paths.filter((_, i) => i % 2 === 1))];
    for (const order of orders) {
      for (const p of order) expect([p, r.source.locate(p).line]).toEqual([p, expected(p)]);
    }
    expect(r.source.locate(['spec', 'template', 'spec', 'containers', 0, 'ports', 1, 'containerPort']).line).toBe(15);
    expect(r.source.locate(['spec', 'template', 'spec', 'containers', 0, 'resources', 'limits', 'cpu']).line).toBe(21);
  });

  it('finds the same line as the yaml library\'s syntax tree for every field of every check fixture and example', () => {
    const roots = [join(import.meta.dirname, '../../misconfig/checks/__fixtures__'), join(import.meta.dirname, '../../../examples/shop')];
    const files = roots.flatMap((root) => readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(root, f)));
    expect(files.length).toBeGreaterThan(100);
    let compared = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const counter = new LineCounter();
      const docs = parseAllDocuments(text, { lineCounter: counter, uniqueKeys: false });
      if (!Array.isArray(docs)) continue;
      for (const r of parseManifestText(file, text).resources) {
        const doc = docs.find((d) => d.contents?.range && counter.linePos(d.range[0]).line <= r.source.line && r.source.line <= counter.linePos(d.range[2]).line);
        if (!doc?.contents) continue;
        const expected = (p: ReadonlyArray<string | number>) => {
          let node: unknown = doc.contents;
          let offset = (doc.contents as YamlNode).range![0];
          for (const seg of [...r.source.pathPrefix, ...p]) {
            if (isMap(node)) {
              const pair = node.items.find((x) => String((x.key as { value: unknown }).value) === String(seg));
              if (!pair) break;
              offset = (pair.key as YamlNode).range![0];
              node = pair.value;
            } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
              node = node.items[seg];
              offset = (node as YamlNode).range![0];
            } else break;
          }
          return counter.linePos(offset).line;
        };
        const paths: Array<Array<string | number>> = [];
        const walk = (v: unknown, p: Array<string | number>) => {
          paths.push(p);
          if (Array.isArray(v)) {
            v.forEach((x, i) => walk(x, [...p, i]));
            paths.push([...p, v.length]);
          } else if (v !== null && typeof v === 'object') {
            for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
            paths.push([...p, 'missing']);
          }
        };
        walk(r.object, []);
        // Forward, then backward: the second pass resumes from unrelated earlier queries.
        for (const p of [...paths, ...paths.reverse()]) {
          expect([file, p, r.source.locate(p).line]).toEqual([file, p, expected(p)]);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(10_000);
  });

  it('agrees with the full YAML parser on flow-style and quoted documents', () => {
    const text = `apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: "x"}\nspec:\n  containers: [{name: c, image: x},\n    {name: d, image: y}]\n`;
    const { resources } = parseManifestText('p.yaml', text);
    const r = resources[0]!;
    expect(r.namespace).toBe('x');
    expect(r.source.locate(['spec', 'containers', 1, 'image']).line).toBe(6);
    expect(r.source.locate(['metadata', 'name']).line).toBe(3);
  });

  it('expands List kinds (kubectl get -o yaml) and keeps item lines', () => {
    const text = `apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata:\n    name: a\n- apiVersion: v1\n  kind: Service\n  metadata:\n    name: b\n    namespace: n\n`;
    const { resources, errors } = parseManifestText('l.yaml', text);
    expect(errors).toEqual([]);
    expect(resources.map((r) => [r.id, r.source.line])).toEqual([['Service/a', 4], ['Service/n/b', 8]]);
    expect(resources[1]!.source.locate(['metadata', 'namespace']).line).toBe(12);
    expect(resources[1]!.source.pathPrefix).toEqual(['items', 1]);
  });

  it('fills kind and apiVersion of typed lists (DeploymentList)', () => {
    const json = JSON.stringify({ apiVersion: 'apps/v1', kind: 'DeploymentList', items: [{ metadata: { name: 'x' }, spec: {} }] }, null, 2);
    const { resources, errors } = parseManifestText('d.json', json);
    expect(errors).toEqual([]);
    expect(resources[0]!.id).toBe('Deployment/x');
    expect(resources[0]!.apiVersion).toBe('apps/v1');
    expect(resources[0]!.source.locate(['metadata', 'name']).line).toBe(7);
  });

  it('reports a broken document with file and line and still returns the others', () => {
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkey: [unclosed\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n`;
    const { resources, errors } = parseManifestText('m.yaml', text);
    expect(resources.map((r) => r.name)).toEqual(['a', 'b']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'E_YAML_SYNTAX', file: 'm.yaml' });
    expect(errors[0]!.line).toBeGreaterThanOrEqual(5);
  });

  it('reports documents that are not Kubernetes objects, naming what is missing', () => {
    const { errors } = parseManifestText('x.yaml', 'foo: bar\n---\napiVersion: v1\nkind: Pod\n---\n- a\n- b\n');
    expect(errors.map((e) => [e.code, e.line])).toEqual([['E_NOT_K8S_OBJECT', 1], ['E_NOT_K8S_OBJECT', 3], ['E_NOT_K8S_OBJECT', 6]]);
    expect(errors[1]!.message).toContain('metadata.name');
    expect(errors[2]!.message).toContain('sequence');
  });

  it('reports invalid JSON with its line', () => {
    const { errors } = parseManifestText('x.json', '{\n  "apiVersion": "v1",\n  "kind": \n}\n');
    expect(errors[0]!.code).toBe('E_JSON_SYNTAX');
    expect(errors[0]!.line).toBe(4);
  });

  it('stops alias bombs with a clear message', () => {
    const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: bomb}', 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    const { resources, errors } = parseManifestText('bomb.yaml', lines.join('\n'));
    expect(resources).toEqual([]);
    expect(errors[0]!.code).toBe('E_ALIAS_LIMIT');
    expect(errors[0]!.message).toMatch(/alias expansion/);
  });

  it('bounds nesting depth and document size', () => {
    const deep = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata: ${'['.repeat(150)}${']'.repeat(150)}\n`;
    const r1 = parseManifestText('deep.yaml', deep, { maxDocumentBytes: 1e6, maxNodes: 1e6, maxDepth: 100 });
    expect(r1.errors[0]).toMatchObject({ code: 'E_DEPTH_LIMIT', line: 4 });
    expect(r1.errors[0]!.message).toContain('deeper than 100 levels');
    const big = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata:\n  k: "${'x'.repeat(2000)}"\n`;
    const r2 = parseManifestText('big.yaml', big, { maxDocumentBytes: 1000, maxNodes: 1e6, maxDepth: 100 });
    expect(r2.errors[0]).toMatchObject({ code: 'E_DOC_TOO_LARGE', line: 1 });
  });
});

describe('parseManifestRaw', () => {
  const cm = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n${data}\n`;

  it('marks files whose resources JSON rebuilds exactly, and JSON then rebuilds them', () => {
    const raw = parseManifestRaw('d.yaml', `${deployment}---\n${cm('  a: "1"\n  b: 2.5\n  c: ~\n  d: [x, 3, true]\n  e: {}')}`);
    expect(raw.jsonExact).toBe(true);
    expect(JSON.parse(JSON.stringify(raw.resources))).toEqual(raw.resources.map((r) => ({ ...r, namespace: r.namespace ?? undefined })));
  });

  it('does not mark files with values JSON would change, or parsed by js-yaml', () => {
    for (const value of ['2024-01-02', '.nan', '-.inf', '-0.0']) expect(parseManifestRaw('v.yaml', cm(`  a: ${value}`)).jsonExact, value).toBeUndefined();
    // Anchors and aliases take js-yaml, and share objects.
    expect(parseManifestRaw('a.yaml', cm('  a: &x {k: v}\n  b: *x')).jsonExact).toBeUndefined();
    expect(parseManifestRaw('j.json', '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}').jsonExact).toBeUndefined();
  });
});
