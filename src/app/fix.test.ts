import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jsYaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { corpusRoot, findRepoRoot } from '../../test/conformance/corpus.js';
import { ALL_CHECKS } from '../misconfig/checks/index.js';
import { configSchema } from '../model/config.js';
import type { PatchOperation } from '../model/finding.js';
import { getIn } from '../model/path.js';
import { fixManifests, type FixOptions } from './fix.js';
import { scanManifests } from './scan.js';

const config = configSchema.parse({});
const ONLY = ['privileged-container', 'host-pid'];
const fix = (paths: string[], extra: Partial<FixOptions> = {}) => fixManifests({ paths, config, only: ONLY, ...extra });

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-fix-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const DEPLOYMENT = `# Web tier: reviewed 2024-05
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: apps
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels:
        app: web
    spec:
      hostPID: true   # needed for the debugger, remove later

      containers:
        - name: app
          image: "registry.example.com/web:1.4.2"   # pinned
          securityContext:
            privileged: true

        # the sidecar ships logs
        - name: logs
          image: 'registry.example.com/logs:2.0'
          securityContext:
            privileged: true
            runAsNonRoot: true
`;
const SERVICE = `apiVersion: v1
kind: Service
metadata: { name: web,  namespace: apps }   # odd spacing stays
spec:
  selector: {app: web}
  ports: [ {port: 80, targetPort: 8080} ]
`;
const CONFIGMAP = `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: apps
data:
  settings.yaml: |
    privileged: true
    hostPID: true
`;
const MULTI = `${DEPLOYMENT}---\n${SERVICE}---\n${CONFIGMAP}`;

const FIXED_DEPLOYMENT = DEPLOYMENT.replace('      hostPID: true   # needed for the debugger, remove later\n\n', '').replace(
  /privileged: true/g,
  'privileged: false',
);

describe('fixManifests', () => {
  it('fixes commented YAML in place: comments, blank lines and quoting stay, untouched documents are byte-identical', async () => {
    const dir = tempDir({ 'web.yaml': MULTI });
    const result = await fix([dir]);
    expect(result.applied.map((a) => a.finding.slug).sort()).toEqual(['host-pid', 'privileged-container', 'privileged-container']);
    expect(result.files).toHaveLength(1);
    expect(readFileSync(join(dir, 'web.yaml'), 'utf8')).toBe(`${FIXED_DEPLOYMENT}---\n${SERVICE}---\n${CONFIGMAP}`);
    expect(result.notApplied).toEqual([]);
    expect(result.files[0]!.reformattedDocuments).toEqual([]);
  });

  it('is idempotent: a second run changes nothing and a re-scan no longer reports the fixed findings', async () => {
    const dir = tempDir({ 'web.yaml': MULTI });
    const first = await fix([dir]);
    expect(first.applied.length).toBeGreaterThan(0);
    const after = readFileSync(join(dir, 'web.yaml'), 'utf8');
    const second = await fix([dir]);
    expect(second.applied).toEqual([]);
    expect(second.files).toEqual([]);
    expect(readFileSync(join(dir, 'web.yaml'), 'utf8')).toBe(after);
    const report = await scanManifests({ paths: [dir], config, only: ONLY });
    expect(report.findings).toEqual([]);
  });

  it('writes nothing on a dry run but reports the same changes', async () => {
    const dir = tempDir({ 'web.yaml': MULTI });
    const result = await fix([dir], { dryRun: true });
    expect(result.dryRun).toBe(true);
    expect(readFileSync(join(dir, 'web.yaml'), 'utf8')).toBe(MULTI);
    expect(result.files[0]).toMatchObject({ before: MULTI, after: `${FIXED_DEPLOYMENT}---\n${SERVICE}---\n${CONFIGMAP}`, fixes: 3 });
  });

  it('fixes List items and JSON files', async () => {
    const list = 'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: a}\n    spec:\n      hostPID: true\n      containers:\n        - {name: a, image: a}\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: b}\n    spec:\n      containers:\n        - name: b\n          image: b\n          securityContext: {privileged: true}\n';
    const json = `${JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'j' }, spec: { hostPID: true, containers: [{ name: 'j', image: 'j', securityContext: { privileged: true } }] } }, null, 2)}\n`;
    const dir = tempDir({ 'list.yaml': list, 'pod.json': json });
    const result = await fix([dir]);
    expect(result.applied).toHaveLength(4);
    expect(readFileSync(join(dir, 'list.yaml'), 'utf8')).toBe(list.replace('      hostPID: true\n', '').replace('{privileged: true}', '{privileged: false}'));
    expect(readFileSync(join(dir, 'pod.json'), 'utf8')).toBe(`${JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'j' }, spec: { containers: [{ name: 'j', image: 'j', securityContext: { privileged: false } }] } }, null, 2)}\n`);
  });

  it('never writes a file in which a document fails to parse', async () => {
    const broken = `${DEPLOYMENT}---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: [broken\n`;
    const dir = tempDir({ 'broken.yaml': broken, 'ok.yaml': DEPLOYMENT });
    const result = await fix([dir]);
    expect(readFileSync(join(dir, 'broken.yaml'), 'utf8')).toBe(broken);
    expect(readFileSync(join(dir, 'ok.yaml'), 'utf8')).toBe(FIXED_DEPLOYMENT);
    expect(result.skippedFiles).toEqual([join(dir, 'broken.yaml')]);
    expect(result.errors.map((e) => e.code)).toContain('E_YAML_SYNTAX');
    expect(result.notApplied.filter((u) => u.kind === 'skipped')).toHaveLength(3);
  });

  it('refuses stdin', async () => {
    await expect(fix(['-'])).rejects.toThrow(/cannot read standard input/);
  });

  it('lists findings without a mechanical fix as manual and fixes only the selected checks', async () => {
    const dir = tempDir({ 'web.yaml': DEPLOYMENT });
    const result = await fixManifests({ paths: [dir], config, only: ['host-pid', 'image-latest-tag'] });
    expect(result.applied.map((a) => a.finding.slug)).toEqual(['host-pid']);
    expect(readFileSync(join(dir, 'web.yaml'), 'utf8')).toContain('privileged: true');
  });
});

/**
 * Every failing fixture of every check: the check's fixes apply cleanly, a re-scan no longer reports
 * the findings that had a fix, and a second run changes nothing. New checks are covered as they land.
 */
describe('fixes of every check on its failing fixtures', () => {
  const fixtures = fileURLToPath(new URL('../misconfig/checks/__fixtures__/', import.meta.url));
  const cases = ALL_CHECKS.flatMap((c) => {
    const dir = join(fixtures, c.slug);
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((f) => f.startsWith('fail.')).map((f) => ({ check: c, file: join(dir, f), name: `${c.slug}/${f}` }));
  });

  it.each(cases)('$name', async ({ check, file }) => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-fix-fixture-'));
    const target = join(dir, file.split('/').pop()!);
    copyFileSync(file, target);
    const first = await fixManifests({ paths: [target], config, only: [check.id] });
    expect(first.notApplied.map((u) => `${u.finding.path}: ${u.reason}`)).toEqual([]);
    expect(first.files.flatMap((f) => f.reformattedDocuments)).toEqual([]);
    const fixed = readFileSync(target, 'utf8');
    const second = await fixManifests({ paths: [target], config, only: [check.id] });
    expect(second.applied).toEqual([]);
    expect(second.notApplied).toEqual([]);
    expect(readFileSync(target, 'utf8')).toBe(fixed);
  });
});

/**
 * Polaris ships the expected result of its own fixes (`mutated*.yaml` for `failure*.yaml`). For the checks
 * that list a Polaris id as equivalent, our fix must agree on the fields it touches: removed where Polaris
 * removes, the same value where Polaris sets a policy value, and some value where both only fill in a
 * placeholder (resource quantities, replica counts).
 */
describe('fixes agree with Polaris mutations', () => {
  const corpus = corpusRoot(findRepoRoot(fileURLToPath(import.meta.url)));
  const root = join(corpus, 'polaris', 'test', 'checks');
  const cases = existsSync(root)
    ? readdirSync(root).flatMap((polarisId) => {
        const checks = ALL_CHECKS.filter((c) => (c.equivalents.polaris as readonly string[] | undefined)?.includes(polarisId));
        if (checks.length === 0) return [];
        return readdirSync(join(root, polarisId))
          .filter((f) => f.startsWith('mutated') && existsSync(join(root, polarisId, f.replace('mutated', 'failure'))))
          .map((m) => ({ name: `${polarisId}/${m}`, checks, mutated: join(root, polarisId, m), failure: join(root, polarisId, m.replace('mutated', 'failure')) }));
      })
    : [];
  const placeholder = (v: unknown) => typeof v === 'number' || (typeof v === 'string' && /^\d+(\.\d+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/.test(v));

  it.skipIf(cases.length === 0)('has cases', () => expect(cases.length).toBeGreaterThan(0));

  it.each(cases)('$name', async ({ checks, mutated, failure }) => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-fix-polaris-'));
    const target = join(dir, 'failure.yaml');
    copyFileSync(failure, target);
    const only = checks.map((c) => c.id);
    const result = await fixManifests({ paths: [target], config, only });
    const ours = jsYaml.load(readFileSync(target, 'utf8'));
    const theirs = jsYaml.load(readFileSync(mutated, 'utf8'));
    const ops: PatchOperation[] = result.applied.flatMap((a) => a.finding.fix!.operations);
    for (const op of ops) {
      const mine = getIn(ours, op.path);
      const polaris = getIn(theirs, op.path);
      if (op.op === 'remove') {
        expect(mine, `${op.path.join('.')} removed`).toBeUndefined();
        expect(polaris, `${op.path.join('.')} removed by Polaris too`).toBeUndefined();
      } else if (placeholder(op.value)) {
        expect(typeof polaris, `${op.path.join('.')} set by Polaris too`).toBe(typeof mine);
      } else {
        expect(mine, op.path.join('.')).toEqual(polaris);
      }
    }
    const rescan = await scanManifests({ paths: [target], config, only });
    expect(rescan.findings.filter((f) => f.fix)).toEqual([]);
  });
});
