import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { AUDIT_FORMATS, type SourcedAuditEvent } from '../../model/audit.js';
import type { InputError } from '../../model/errors.js';
import { AUDIT_LOG_FORMATS } from './formats/index.js';
import { parseMethodName, parseResourceName } from './formats/gke.js';
import { parseAuditText, type AuditParseResult } from './parse.js';
import { readAuditSources } from './read.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => join(here, '__fixtures__', name);
const parseFixture = (name: string) => parseAuditText(readFileSync(fixture(name), 'utf8'), name);

async function read(paths: string[], stdin?: NodeJS.ReadableStream): Promise<AuditParseResult> {
  const out: AuditParseResult = { events: [], errors: [], skipped: 0 };
  await readAuditSources(paths, { event: (e) => out.events.push(e), error: (e) => out.errors.push(e), skipped: (n) => (out.skipped += n) }, stdin);
  return out;
}

const brief = (e: SourcedAuditEvent) => `${e.format}:${e.line} ${e.event.stage} ${e.event.verb} ${e.event.objectRef?.resource ?? ''}${e.event.objectRef?.subresource ? `/${e.event.objectRef.subresource}` : ''} ${e.event.user.username ?? ''}`;
const where = (e: InputError) => `${e.code} ${e.file}:${e.line ?? ''}${e.field ? ` ${e.field}` : ''}`;

describe('format registry', () => {
  it('lists every format file of the folder once, and covers every format id of the model', () => {
    const files = readdirSync(join(here, 'formats')).filter((f) => f.endsWith('.ts') && !['index.ts', 'format.ts'].includes(f) && !f.endsWith('.test.ts'));
    expect(AUDIT_LOG_FORMATS.map((f) => `${f.id === 'kubernetes' ? 'kubernetes' : f.id}.ts`).sort()).toEqual(files.sort());
    expect(AUDIT_LOG_FORMATS.map((f) => f.id).sort()).toEqual([...AUDIT_FORMATS].sort());
    for (const f of AUDIT_LOG_FORMATS) expect(f.description.length).toBeGreaterThan(20);
  });
});

describe('native Kubernetes audit logs', () => {
  it('reads JSON lines; each bad line is one error with its line, and never stops the rest', () => {
    const r = parseFixture('native.jsonl');
    expect(r.events.map(brief)).toEqual([
      'kubernetes:1 ResponseStarted create pods/exec alice@example.com',
      'kubernetes:2 ResponseComplete create pods/exec alice@example.com',
      'kubernetes:4 ResponseComplete get secrets system:serviceaccount:shop:cart',
    ]);
    expect(r.errors.map(where)).toEqual(['E_JSON_SYNTAX native.jsonl:3', 'E_AUDIT_EVENT native.jsonl:5 verb', 'E_AUDIT_EVENT native.jsonl:7']);
    expect(r.errors[2]!.message).toMatch(/not recognised as a Kubernetes audit event/);
  });

  it('keeps fields the schema does not name', () => {
    const e = parseFixture('native.jsonl').events[0]!.event as Record<string, unknown>;
    expect((e.responseStatus as Record<string, unknown>).metadata).toEqual({});
    expect(e.kind).toBe('Event');
  });

  it('reads an EventList spread over many lines, validating items one by one', () => {
    const r = parseFixture('eventlist.json');
    expect(r.events.map(brief)).toEqual(['kubernetes:1 ResponseComplete create clusterrolebindings kubernetes-admin']);
    expect(r.errors.map(where)).toEqual(['E_AUDIT_EVENT eventlist.json:1 items[1].user']);
  });

  it('accepts v1beta1 events without apiVersion (old traces) and rejects other API versions', () => {
    const ok = parseAuditText('{"apiVersion":"audit.k8s.io/v1beta1","kind":"Event","stage":"ResponseComplete","verb":"get","user":{"username":"u"},"timestamp":"2018-10-25T13:58:49Z"}\n{"stage":"ResponseComplete","verb":"get","user":{}}', 'x');
    expect(ok.events).toHaveLength(2);
    const bad = parseAuditText('{"apiVersion":"audit.k8s.io/v2","kind":"Event","stage":"ResponseComplete","verb":"get","user":{}}', 'x');
    expect(bad.errors.map(where)).toEqual(['E_AUDIT_EVENT x:1 apiVersion']);
  });

  it('reports a truncated document line by line instead of dropping the file', () => {
    const r = parseAuditText('{\n  "kind": "EventList",\n  "items": [', 'cut.json');
    expect(r.events).toEqual([]);
    expect(r.errors.length).toBeGreaterThan(0);
    expect(r.errors.every((e) => e.file === 'cut.json' && e.line !== undefined)).toBe(true);
  });
});

describe('GKE Cloud Logging entries', () => {
  it('parses method and resource names, restoring API groups', () => {
    expect(parseMethodName('io.k8s.core.v1.pods.exec.create')).toEqual({ apiGroup: '', apiVersion: 'v1', resource: 'pods', subresource: 'exec', verb: 'create' });
    expect(parseMethodName('io.k8s.authorization.rbac.v1.clusterrolebindings.create')).toMatchObject({ apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings', verb: 'create' });
    expect(parseMethodName('io.k8s.apps.v1.deployments.patch')).toMatchObject({ apiGroup: 'apps', verb: 'patch' });
    expect(parseMethodName('io.istio.networking.v1beta1.gateways.create')).toMatchObject({ apiGroup: 'networking.istio.io', resource: 'gateways' });
    expect(parseMethodName('io.k8s.bogus')).toBeUndefined();
    expect(parseResourceName('core/v1/namespaces/payments/pods/ledger-0/exec')).toEqual({ apiGroup: '', apiVersion: 'v1', namespace: 'payments', resource: 'pods', name: 'ledger-0', subresource: 'exec' });
    expect(parseResourceName('core/v1/namespaces/staging')).toMatchObject({ resource: 'namespaces', name: 'staging' });
    expect(parseResourceName('core/v1/namespaces/staging')?.namespace).toBeUndefined();
    expect(parseResourceName('rbac.authorization.k8s.io/v1/clusterrolebindings/backdoor')).toMatchObject({ apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings', name: 'backdoor' });
  });

  it('normalises a gcloud array to audit events', () => {
    const r = parseFixture('gke-gcloud.json');
    expect(r.errors).toEqual([]);
    expect(r.events.map(brief)).toEqual([
      'gke:1 ResponseStarted create pods/exec mallory@acme.example',
      'gke:1 ResponseComplete create clusterrolebindings mallory@acme.example',
      'gke:1 ResponseComplete get secrets system:serviceaccount:payments:ledger',
    ]);
    const [exec, crb, denied] = r.events.map((e) => e.event);
    expect(exec).toMatchObject({ auditID: '0f4c8e2a-8b7d-4d1e-a1b2-3c4d5e6f7a8b', sourceIPs: ['198.51.100.77'], responseStatus: { code: 101 }, objectRef: { namespace: 'payments', name: 'ledger-0' } });
    expect(exec!.userAgent).toMatch(/^kubectl\/v1\.30\.1/);
    expect(crb!.requestObject).toMatchObject({ kind: 'ClusterRoleBinding', roleRef: { name: 'cluster-admin' } });
    expect(crb!.requestObject).not.toHaveProperty('@type');
    expect(crb!.responseStatus?.code).toBe(201);
    expect(denied!.responseStatus?.code).toBe(403);
    expect(denied!.annotations?.['authorization.k8s.io/decision']).toBe('forbid');
  });

  it('reads sink JSON lines, skipping other services and reporting unknown methods', () => {
    const r = parseFixture('gke-sink.jsonl');
    expect(r.events.map(brief)).toEqual(['gke:1 ResponseComplete patch deployments ops@acme.example', 'gke:2 ResponseComplete delete namespaces ops@acme.example']);
    expect(r.events[1]!.event.objectRef).toMatchObject({ resource: 'namespaces', name: 'staging' });
    expect(r.skipped).toBe(1);
    expect(r.errors.map(where)).toEqual(['E_AUDIT_EVENT gke-sink.jsonl:4 protoPayload.methodName']);
  });
});

describe('EKS CloudWatch exports', () => {
  it('unwraps filter-log-events output, skipping non-audit streams and reporting a broken message', () => {
    const r = parseFixture('eks-filter-log-events.json');
    expect(r.events.map(brief)).toEqual(['eks:1 ResponseComplete delete events arn:aws:sts::111122223333:assumed-role/dev/eve', 'eks:1 ResponseComplete list secrets system:anonymous']);
    expect(r.skipped).toBe(1);
    expect(r.errors.map(where)).toEqual(['E_AUDIT_EVENT eks-filter-log-events.json:1 events[3].message']);
  });

  it('reads S3 export lines with their timestamp prefix', () => {
    const r = parseFixture('eks-s3-export.txt');
    expect(r.events.map(brief)).toEqual(['eks:1 ResponseComplete delete events arn:aws:sts::111122223333:assumed-role/dev/eve', 'eks:2 ResponseStarted create pods/portforward arn:aws:sts::111122223333:assumed-role/dev/eve']);
    expect(r.errors.map(where)).toEqual(['E_JSON_SYNTAX eks-s3-export.txt:3']);
  });

  it('unwraps subscription-filter payloads', () => {
    const r = parseFixture('eks-subscription.json');
    expect(r.events.map(brief)).toEqual(['eks:1 ResponseStarted create pods/portforward arn:aws:sts::111122223333:assumed-role/dev/eve']);
  });
});

describe('AKS diagnostic logs', () => {
  it('reads Event Hubs records of the audit categories only, and reports a record without a log', () => {
    const r = parseFixture('aks-event-hubs.json');
    expect(r.events.map(brief)).toEqual(['aks:1 ResponseComplete create pods system:serviceaccount:kube-system:default', 'aks:1 ResponseComplete update configmaps aks-admin@contoso.example']);
    expect(r.skipped).toBe(1);
    expect(r.errors.map(where)).toEqual(['E_AUDIT_EVENT aks-event-hubs.json:1 records[3]']);
    expect(r.events[0]!.event.requestObject).toMatchObject({ spec: { containers: [{ image: 'docker.io/xmrig/xmrig:6.21.0' }] } });
  });

  it('reads storage-account blobs (one record per line) and AzureDiagnostics rows', () => {
    const r = parseFixture('aks-storage-PT1H.json');
    expect(r.events.map(brief)).toEqual(['aks:1 ResponseComplete create pods system:serviceaccount:kube-system:default', 'aks:3 ResponseComplete update configmaps aks-admin@contoso.example']);
    expect(r.skipped).toBe(1);
    const d = parseFixture('aks-azurediagnostics.jsonl');
    expect(d.events.map(brief)).toEqual(['aks:1 ResponseComplete update configmaps aks-admin@contoso.example']);
  });
});

describe('reading files, folders and standard input', () => {
  it('reads gzip files whatever their name, folders recursively, and reports a missing file without stopping', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-audit-'));
    writeFileSync(join(dir, 'audit.log.gz'), gzipSync(readFileSync(fixture('native.jsonl'))));
    writeFileSync(join(dir, 'rotated-1'), gzipSync(readFileSync(fixture('eks-s3-export.txt'))));
    writeFileSync(join(dir, 'notes.md'), 'not a log');
    const r = await read([join(dir, 'audit.log.gz'), join(dir, 'rotated-1'), join(dir, 'missing.log'), fixture('gke-gcloud.json')]);
    expect(r.events.map((e) => e.format)).toEqual(['kubernetes', 'kubernetes', 'kubernetes', 'eks', 'eks', 'gke', 'gke', 'gke']);
    expect(r.errors.map((e) => `${e.code} ${e.file.slice(dir.length + 1)}:${e.line ?? ''}`)).toEqual([
      'E_JSON_SYNTAX audit.log.gz:3',
      'E_AUDIT_EVENT audit.log.gz:5',
      'E_AUDIT_EVENT audit.log.gz:7',
      'E_JSON_SYNTAX rotated-1:3',
      'E_READ missing.log:',
    ]);
    const folder = await read([dir]);
    expect(folder.events).toHaveLength(3);
  });

  it('reads standard input, gzipped or not', async () => {
    const plain = await read(['-'], Readable.from([readFileSync(fixture('eventlist.json'))]));
    expect(plain.events).toHaveLength(1);
    expect(plain.events[0]!.file).toBe('-');
    const gz = await read(['-'], Readable.from([gzipSync(readFileSync(fixture('native.jsonl')))]));
    expect(gz.events).toHaveLength(3);
    expect(gz.errors).toHaveLength(3);
  });

  it('reports a corrupt gzip stream as a read error of that file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-audit-'));
    const gz = gzipSync(readFileSync(fixture('native.jsonl')));
    writeFileSync(join(dir, 'bad.gz'), gz.subarray(0, gz.length - 20));
    const r = await read([join(dir, 'bad.gz'), fixture('eks-subscription.json')]);
    expect(r.errors.some((e) => e.code === 'E_READ' && e.file.endsWith('bad.gz'))).toBe(true);
    expect(r.events.at(-1)!.format).toBe('eks');
  });
});
