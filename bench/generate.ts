/**
 * Deterministic generator of realistic Kubernetes manifests for the scan benchmark.
 *
 * The corpus looks like a platform team's GitOps repository: namespaces of a few applications each, every
 * application a workload (Deployment, StatefulSet or CronJob) with its ServiceAccount, Service, ConfigMap and,
 * depending on how carefully it was written, an Ingress, NetworkPolicy, PodDisruptionBudget, HPA and RBAC,
 * plus cluster-wide ClusterRoles and bindings. Files hold a few documents each, with comments, in the two
 * common sequence styles. Each application draws a "care" level, so hardened and sloppy manifests are mixed
 * and every kind of check has resources that pass and resources that fail.
 *
 * The same seed and count always produce the same bytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What {@link generateCorpus} wrote. */
export interface Corpus {
  dir: string;
  files: string[];
  resources: number;
  bytes: number;
  lines: number;
  kinds: Record<string, number>;
}

/** Options of {@link generateCorpus}. */
export interface CorpusOptions {
  /** Number of Kubernetes objects to write (exactly). */
  resources: number;
  /** Folder to write into (created if missing). */
  dir: string;
  seed?: number;
}

/** mulberry32: small, fast and good enough to pick words. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------------
// A small block-style YAML writer: what people write by hand (comments, both sequence indentations).
// ---------------------------------------------------------------------------------------------------

/** A comment line, placed as an entry of a mapping (`{ [c()]: 'text' }` keeps key order). */
let commentSeq = 0;
function c(): string {
  return `#${commentSeq++}`;
}

type Value = string | number | boolean | null | Value[] | { [k: string]: Value };

const PLAIN_UNSAFE = /^(?:[-?:,[\]{}#&*!|>'"%@`]|$)|: | #|^(?:true|false|yes|no|on|off|null|~|y|n)$|^[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$|^0x|^0o|\s$|^\s/i;

function scalar(v: string | number | boolean | null, quoteStyle: number): string {
  if (v === null) return 'null';
  if (typeof v !== 'string') return String(v);
  if (PLAIN_UNSAFE.test(v)) return quoteStyle === 1 && !v.includes("'") ? `'${v}'` : JSON.stringify(v);
  return v;
}

interface WriteStyle {
  /** Sequences under a key indented by two (`containers:\n  - name`) or not (`containers:\n- name`, kubectl style). */
  indentSeq: boolean;
  quote: number;
}

function isMapping(v: Value): v is { [k: string]: Value } {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function writeValue(out: string[], v: Value, indent: number, style: WriteStyle): void {
  const pad = ' '.repeat(indent);
  if (Array.isArray(v)) {
    for (const item of v) {
      if (isMapping(item) && Object.keys(item).some((k) => !k.startsWith('#'))) {
        const sub: string[] = [];
        writeValue(sub, item, indent + 2, style);
        // First real line goes on the dash line.
        const first = sub.findIndex((l) => !l.trimStart().startsWith('#'));
        for (let i = 0; i < sub.length; i++) {
          if (i === first) out.push(`${pad}- ${sub[i]!.slice(indent + 2)}`);
          else if (i < first) out.push(`${pad}${sub[i]!.trimStart()}`);
          else out.push(sub[i]!);
        }
      } else if (Array.isArray(item) || isMapping(item)) {
        out.push(`${pad}- ${Array.isArray(item) ? '[]' : '{}'}`);
      } else out.push(`${pad}- ${scalar(item, style.quote)}`);
    }
    return;
  }
  if (!isMapping(v)) throw new Error('writeValue: scalar at top level');
  for (const [k, val] of Object.entries(v)) {
    if (k.startsWith('#')) {
      out.push(`${pad}# ${String(val)}`);
      continue;
    }
    const key = scalar(k, 0);
    if (Array.isArray(val)) {
      if (val.length === 0) out.push(`${pad}${key}: []`);
      else if (val.every((x) => typeof x !== 'object' || x === null) && val.length <= 3 && style.quote === 2) {
        out.push(`${pad}${key}: [${val.map((x) => scalar(x as string, 2)).join(', ')}]`);
      } else {
        out.push(`${pad}${key}:`);
        writeValue(out, val, style.indentSeq ? indent + 2 : indent, style);
      }
    } else if (isMapping(val)) {
      if (Object.keys(val).length === 0) out.push(`${pad}${key}: {}`);
      else {
        out.push(`${pad}${key}:`);
        writeValue(out, val, indent + 2, style);
      }
    } else if (typeof val === 'string' && val.includes('\n')) {
      out.push(`${pad}${key}: |`);
      for (const line of val.replace(/\n$/, '').split('\n')) out.push(line === '' ? '' : `${pad}  ${line}`);
    } else out.push(`${pad}${key}: ${scalar(val, style.quote)}`);
  }
}

/** One document as YAML text (without the `---` separator). */
export function toYaml(doc: { [k: string]: Value }, style: WriteStyle): string {
  const out: string[] = [];
  writeValue(out, doc, 0, style);
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------------

const TEAMS = ['payments', 'checkout', 'search', 'identity', 'catalog', 'shipping', 'ledger', 'media', 'growth', 'data', 'platform', 'risk', 'support', 'mobile', 'ads', 'billing'];
const APP_WORDS = ['api', 'web', 'worker', 'gateway', 'indexer', 'scheduler', 'cache', 'sync', 'notifier', 'renderer', 'ingest', 'export', 'auth', 'proxy', 'reporter', 'store', 'queue', 'router', 'mailer', 'resizer'];
const DB_WORDS = ['postgres', 'redis', 'kafka', 'zookeeper', 'elasticsearch', 'rabbitmq', 'mongodb', 'etcd'];
const JOB_WORDS = ['backup', 'cleanup', 'report', 'reindex', 'rotate-keys', 'sync-catalog', 'expire-sessions', 'digest'];
const ENV_WORDS = ['LOG_LEVEL', 'HTTP_PORT', 'METRICS_PORT', 'FEATURE_FLAGS', 'REGION', 'CACHE_TTL', 'UPSTREAM_URL', 'TRACING_ENDPOINT', 'MAX_CONNECTIONS', 'TIMEOUT_SECONDS', 'WORKERS', 'QUEUE_NAME', 'DB_HOST', 'DB_NAME', 'DB_USER'];
const REGISTRIES = ['registry.example.com/', 'registry.example.com/', 'registry.example.com/', 'acme.azurecr.io/', 'ghcr.io/acme/', '', 'docker.io/library/', 'quay.io/acme/'];

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)]!;
}

// ---------------------------------------------------------------------------------------------------
// Objects
// ---------------------------------------------------------------------------------------------------

interface App {
  name: string;
  ns: string | undefined;
  team: string;
  /** 0..1: how carefully the manifests were written. */
  care: number;
  kind: 'Deployment' | 'StatefulSet' | 'CronJob';
  port: number;
  sa: string | undefined;
  version: string;
  /** The main container's name. */
  word: string;
}

type Obj = { [k: string]: Value };

function commonLabels(app: App): Obj {
  return {
    app: app.name,
    'app.kubernetes.io/name': app.name,
    // Helm-style release names drift from the object name in a few charts.
    'app.kubernetes.io/instance': app.care < 0.1 ? `${app.team}-release` : app.name,
    'app.kubernetes.io/part-of': app.team,
    'app.kubernetes.io/version': app.version,
    'app.kubernetes.io/managed-by': 'kustomize',
  };
}

function meta(app: App, name: string, extra: Obj = {}): Obj {
  const m: Obj = { name };
  if (app.ns !== undefined) m.namespace = app.ns;
  m.labels = commonLabels(app);
  return { ...m, ...extra };
}

function image(r: () => number, app: App, word: string): string {
  const reg = app.care > 0.5 ? 'registry.example.com/' : pick(r, REGISTRIES);
  const roll = r();
  if (app.care > 0.8 && roll < 0.5) return `${reg}${app.team}/${word}@sha256:${hex(r, 64)}`;
  if (roll < 0.12 * (1 - app.care)) return `${reg}${app.team}/${word}`; // no tag
  if (roll < 0.25 * (1 - app.care)) return `${reg}${app.team}/${word}:latest`;
  return `${reg}${app.team}/${word}:${app.version}`;
}

function hex(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(r() * 16)];
  return s;
}

function container(r: () => number, app: App, name: string, main: boolean): Obj {
  const care = app.care;
  const ctr: Obj = { name, image: image(r, app, name) };
  if (r() < 0.3 + care / 2) ctr.imagePullPolicy = care > 0.6 ? 'Always' : 'IfNotPresent';
  if (main && r() < 0.3) ctr.args = ['--config=/etc/app/config.yaml', `--port=${app.port}`, '--log-format=json'];
  if (main) {
    ctr.ports = [{ name: 'http', containerPort: app.port, protocol: 'TCP' }];
    if (r() < 0.5) (ctr.ports as Value[]).push({ name: 'metrics', containerPort: 9090 });
    if (care < 0.15 && r() < 0.3) (ctr.ports as Value[]).push({ name: 'debug', containerPort: 6060, hostPort: 6060 });
  }
  const env: Value[] = [];
  const nEnv = 2 + Math.floor(r() * 7);
  const used = new Set<string>();
  for (let i = 0; i < nEnv; i++) {
    const k = pick(r, ENV_WORDS);
    if (used.has(k) && care > 0.2) continue;
    used.add(k);
    env.push({ name: k, value: k.endsWith('PORT') ? String(app.port) : k === 'LOG_LEVEL' ? 'info' : `${app.name}-${k.toLowerCase().replace(/_/g, '-')}` });
  }
  if (r() < 0.5) env.push({ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: `${app.name}-db`, key: 'password' } } });
  else if (care < 0.2) env.push({ name: 'API_TOKEN', value: `tok-${hex(r, 24)}` });
  env.push({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
  ctr.env = env;
  if (r() < 0.3) ctr.envFrom = [{ configMapRef: { name: `${app.name}-config` } }];
  if (r() < 0.4 + care / 2) {
    const cpu = pick(r, ['100m', '250m', '500m', '1']);
    const mem = pick(r, ['128Mi', '256Mi', '512Mi', '1Gi']);
    const res: Obj = { requests: { cpu, memory: mem } };
    if (r() < care + 0.2) res.limits = r() < 0.5 ? { cpu, memory: mem } : { cpu: '2', memory: mem };
    if (care > 0.85) {
      (res.requests as Obj)['ephemeral-storage'] = '1Gi';
      if (res.limits) (res.limits as Obj)['ephemeral-storage'] = '1Gi';
    }
    ctr.resources = res;
  }
  if (main && app.kind !== 'CronJob' && r() < 0.3 + care) {
    const path = pick(r, ['/healthz', '/ready', '/livez']);
    ctr.readinessProbe = { httpGet: { path: '/ready', port: 'http' }, initialDelaySeconds: 5, periodSeconds: 10 };
    if (r() < 0.8) ctr.livenessProbe = { httpGet: { path, port: 'http' }, initialDelaySeconds: 15, periodSeconds: 20, failureThreshold: 3 };
  }
  if (r() < 0.25 + care) {
    const sc: Obj = {};
    if (care > 0.3) sc.allowPrivilegeEscalation = false;
    if (care > 0.5) sc.readOnlyRootFilesystem = true;
    if (care > 0.4) sc.runAsNonRoot = true;
    if (care > 0.6) sc.runAsUser = 10001;
    if (care > 0.7) sc.capabilities = { drop: ['ALL'] };
    if (care > 0.8) sc.seccompProfile = { type: 'RuntimeDefault' };
    if (care < 0.1 && r() < 0.5) sc.privileged = true;
    if (care < 0.2 && r() < 0.4) sc.capabilities = { add: [pick(r, ['NET_ADMIN', 'SYS_ADMIN', 'NET_BIND_SERVICE', 'SYS_PTRACE'])] };
    if (care < 0.15 && r() < 0.5) sc.runAsUser = 0;
    if (Object.keys(sc).length > 0) ctr.securityContext = sc;
  }
  const mounts: Value[] = [];
  if (main) mounts.push({ name: 'config', mountPath: '/etc/app', readOnly: true });
  if (app.care > 0.5) mounts.push({ name: 'tmp', mountPath: '/tmp' });
  if (app.kind === 'StatefulSet' && main) mounts.push({ name: 'data', mountPath: '/var/lib/data' });
  if (mounts.length > 0) ctr.volumeMounts = mounts;
  return ctr;
}

function podSpec(r: () => number, app: App, podLabels: Obj): Obj {
  const care = app.care;
  const spec: Obj = {};
  if (app.sa) spec.serviceAccountName = app.sa;
  if (care > 0.6 || r() < 0.2) spec.automountServiceAccountToken = false;
  if (care > 0.4) {
    spec.securityContext = { runAsNonRoot: true, fsGroup: 10001, ...(care > 0.75 ? { seccompProfile: { type: 'RuntimeDefault' } } : {}) };
  }
  if (care < 0.1 && r() < 0.4) spec.hostNetwork = true;
  if (care < 0.05 && r() < 0.5) spec.hostPID = true;
  if (app.kind === 'CronJob') spec.restartPolicy = r() < 0.9 ? 'OnFailure' : 'Never';
  if (care > 0.7 && app.kind !== 'CronJob') spec.priorityClassName = 'business-critical';
  if (r() < 0.3) spec.initContainers = [container(r, app, 'migrate', false)];
  const containers: Value[] = [{ [c()]: 'main application container', ...container(r, app, app.word, true) }];
  if (r() < 0.25) containers.push(container(r, app, pick(r, ['envoy', 'fluent-bit', 'oauth2-proxy']), false));
  spec.containers = containers;
  const volumes: Value[] = [{ name: 'config', configMap: { name: `${app.name}-config` } }];
  if (app.care > 0.5) volumes.push({ name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } });
  if (care < 0.12 && r() < 0.5) volumes.push({ name: 'docker', hostPath: { path: pick(r, ['/var/run/docker.sock', '/var/log', '/etc']), type: '' } });
  spec.volumes = volumes;
  if (app.kind !== 'CronJob' && r() < care) {
    spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: podLabels.app! } } }];
  }
  if (app.kind !== 'CronJob' && r() < care / 2) {
    spec.affinity = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: podLabels.app! } } } }] } };
  }
  if (r() < 0.15) spec.tolerations = [{ key: 'dedicated', operator: 'Equal', value: app.team, effect: 'NoSchedule' }];
  if (r() < 0.2) spec.nodeSelector = { 'kubernetes.io/os': 'linux' };
  spec.terminationGracePeriodSeconds = pick(r, [30, 30, 60, 10]);
  return spec;
}

function exemptionAnnotations(r: () => number, app: App): Obj | undefined {
  if (r() > 0.08) return undefined;
  const roll = r();
  if (roll < 0.4) return { 'palisade.dev/exempt': pick(r, ['PAL-031', 'image-not-pinned-by-digest', 'PAL-044, PAL-045', 'writable-root-filesystem']), 'palisade.dev/exempt-reason': `${app.team} owns this exception (ticket SEC-${Math.floor(r() * 9000) + 1000})` };
  if (roll < 0.6) return { 'polaris.fairwinds.com/priorityClassNotSet-exempt': 'true' };
  if (roll < 0.8) return { 'kube-score/ignore': 'container-image-pull-policy, pod-probes' };
  return { 'checkov.io/skip1': 'CKV_K8S_43=images are pinned by the release pipeline' };
}

function workload(r: () => number, app: App): Obj {
  const podLabels: Obj = { app: app.name, 'app.kubernetes.io/name': app.name, 'app.kubernetes.io/part-of': app.team };
  if (r() < 0.3) podLabels.version = app.version;
  const annotations: Obj = { 'kubectl.kubernetes.io/default-container': app.word, ...(exemptionAnnotations(r, app) ?? {}) };
  const podMeta: Obj = { labels: podLabels };
  if (r() < 0.4) podMeta.annotations = { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090' };
  const template: Obj = { metadata: podMeta, spec: podSpec(r, app, podLabels) };
  const selector: Obj = { matchLabels: { app: app.name } };
  if (app.kind === 'CronJob') {
    const deprecated = app.care < 0.1 && r() < 0.5;
    const spec: Obj = { schedule: pick(r, ['0 3 * * *', '*/15 * * * *', '30 1 * * 0', '@hourly']), concurrencyPolicy: 'Forbid' };
    if (r() < app.care + 0.2) spec.startingDeadlineSeconds = 300;
    spec.successfulJobsHistoryLimit = 3;
    spec.failedJobsHistoryLimit = 1;
    spec.jobTemplate = { spec: { backoffLimit: 2, ...(r() < 0.5 ? { activeDeadlineSeconds: 3600 } : {}), template } };
    return { apiVersion: deprecated ? 'batch/v1beta1' : 'batch/v1', kind: 'CronJob', metadata: meta(app, app.name, { annotations }), spec };
  }
  const replicas = app.care < 0.3 && r() < 0.5 ? 1 : pick(r, [2, 3, 3, 4, 6]);
  const spec: Obj = {};
  if (r() < 0.9) spec.replicas = replicas;
  spec[c()] = 'the selector is immutable: change it only with a new name';
  spec.selector = selector;
  if (app.kind === 'StatefulSet') {
    spec.serviceName = r() < 0.85 ? `${app.name}-headless` : app.name;
    spec.podManagementPolicy = 'Parallel';
    spec.updateStrategy = { type: 'RollingUpdate' };
  } else if (r() < 0.8) {
    spec.strategy = r() < 0.9 ? { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } } : { type: 'Recreate' };
    spec.revisionHistoryLimit = 5;
  }
  spec.template = template;
  if (app.kind === 'StatefulSet') {
    spec.volumeClaimTemplates = [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'fast-ssd', resources: { requests: { storage: pick(r, ['10Gi', '50Gi', '200Gi']) } } } }];
  }
  return { apiVersion: 'apps/v1', kind: app.kind, metadata: meta(app, app.name, { annotations }), spec };
}

function serviceAccount(r: () => number, app: App): Obj {
  const o: Obj = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(app, app.sa!) };
  if (app.care > 0.5 || r() < 0.3) o.automountServiceAccountToken = false;
  return o;
}

function service(r: () => number, app: App, headless: boolean): Obj {
  const spec: Obj = {};
  if (headless) spec.clusterIP = 'None';
  else if (app.care < 0.25 && r() < 0.4) spec.type = r() < 0.5 ? 'LoadBalancer' : 'NodePort';
  else if (r() < 0.6) spec.type = 'ClusterIP';
  // Some services point at pods nobody runs (a renamed app): the cross-resource checks must find them.
  spec.selector = { app: r() < 0.05 ? `${app.name}-old` : app.name };
  const ports: Value[] = [{ name: 'http', port: app.care > 0.3 ? 80 : pick(r, [80, 8080, 3000, 5000]), targetPort: 'http', protocol: 'TCP' }];
  if (r() < 0.3) ports.push({ name: 'metrics', port: 9090, targetPort: 9090 });
  spec.ports = ports;
  if (app.care < 0.05 && r() < 0.5) spec.externalIPs = ['203.0.113.10'];
  return { apiVersion: 'v1', kind: 'Service', metadata: meta(app, headless ? `${app.name}-headless` : app.name), spec };
}

function configMap(r: () => number, app: App): Obj {
  const yaml = [
    'server:',
    `  port: ${app.port}`,
    `  readTimeout: ${pick(r, ['5s', '10s', '30s'])}`,
    'logging:',
    '  format: json',
    `  level: ${pick(r, ['info', 'debug', 'warn'])}`,
    'features:',
    ...Array.from({ length: 2 + Math.floor(r() * 5) }, (_, i) => `  flag${i}: ${r() < 0.5}`),
    '',
  ].join('\n');
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(app, `${app.name}-config`), data: { 'config.yaml': yaml, REGION: pick(r, ['eu-west-1', 'us-east-1', 'ap-south-1']) } };
}

function ingress(r: () => number, app: App): Obj {
  const host = `${app.name}.${app.team}.example.com`;
  const deprecated = app.care < 0.1 && r() < 0.5;
  const backendName = r() < 0.05 ? `${app.name}-v2` : app.name;
  const spec: Obj = { ingressClassName: 'nginx' };
  if (app.care > 0.3 || r() < 0.3) spec.tls = [{ hosts: [host], secretName: `${app.name}-tls` }];
  spec.rules = [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: deprecated ? { serviceName: backendName, servicePort: 80 } : { service: { name: backendName, port: { name: 'http' } } } }] } }];
  return { apiVersion: deprecated ? 'extensions/v1beta1' : 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta(app, app.name, { annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt', 'nginx.ingress.kubernetes.io/proxy-body-size': '8m' } }), spec };
}

function networkPolicy(r: () => number, app: App): Obj {
  if (app.care < 0.2 && r() < 0.3) {
    return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta(app, `${app.name}-allow-all`), spec: { podSelector: {}, ingress: [{}], policyTypes: ['Ingress'] } };
  }
  const spec: Obj = {
    podSelector: { matchLabels: { app: app.name } },
    policyTypes: r() < app.care ? ['Ingress', 'Egress'] : ['Ingress'],
    ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }, { podSelector: { matchLabels: { 'app.kubernetes.io/part-of': app.team } } }], ports: [{ port: app.port, protocol: 'TCP' }] }],
  };
  if ((spec.policyTypes as string[]).includes('Egress')) spec.egress = [{ to: [{ namespaceSelector: {} }], ports: [{ port: 53, protocol: 'UDP' }, { port: 5432 }] }];
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta(app, app.name), spec };
}

function pdb(r: () => number, app: App): Obj {
  const deprecated = app.care < 0.1 && r() < 0.5;
  const spec: Obj = r() < 0.7 ? { minAvailable: r() < 0.1 ? '100%' : 1 } : { maxUnavailable: r() < 0.1 ? 0 : '25%' };
  spec.selector = { matchLabels: { app: app.name } };
  return { apiVersion: deprecated ? 'policy/v1beta1' : 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta(app, app.name), spec };
}

function hpa(r: () => number, app: App): Obj {
  const min = app.care < 0.3 && r() < 0.5 ? 1 : pick(r, [2, 3]);
  return {
    apiVersion: app.care < 0.1 && r() < 0.5 ? 'autoscaling/v2beta2' : 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: meta(app, app.name),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: app.kind, name: r() < 0.04 ? `${app.name}-legacy` : app.name },
      minReplicas: min,
      maxReplicas: min + pick(r, [2, 5, 10]),
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: pick(r, [60, 70, 80]) } } }],
    },
  };
}

function role(r: () => number, app: App): Obj {
  const rules: Value[] = [
    { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
  ];
  if (app.care < 0.3 && r() < 0.5) rules.push({ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] });
  if (app.care < 0.15 && r() < 0.5) rules.push({ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] });
  if (app.care < 0.08 && r() < 0.5) rules.push({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] });
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta(app, app.name), rules };
}

function roleBinding(r: () => number, app: App): Obj {
  const clusterAdmin = app.care < 0.05 && r() < 0.5;
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta(app, app.name),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: clusterAdmin ? 'ClusterRole' : 'Role', name: clusterAdmin ? 'cluster-admin' : r() < 0.03 ? `${app.name}-reader` : app.name },
    subjects: [{ kind: 'ServiceAccount', name: app.sa ?? 'default', ...(app.ns !== undefined ? { namespace: app.ns } : {}) }],
  };
}

/**
 * The database credentials of an application: SOPS-encrypted when written with care, in clear (base64 is
 * not encryption) otherwise, and now and then a legacy service account token Secret.
 */
function secret(r: () => number, app: App): Obj {
  const m = meta(app, `${app.name}-db`);
  if (app.care < 0.1 && r() < 0.3) {
    return { apiVersion: 'v1', kind: 'Secret', metadata: { ...m, name: `${app.name}-token`, annotations: { 'kubernetes.io/service-account.name': app.sa ?? 'default' } }, type: 'kubernetes.io/service-account-token' };
  }
  if (app.care > 0.4) {
    return {
      apiVersion: 'v1', kind: 'Secret', metadata: m, type: 'Opaque',
      data: { password: `ENC[AES256_GCM,data:${hex(r, 24)},iv:${hex(r, 32)},tag:${hex(r, 24)},type:str]` },
      sops: { lastmodified: '2025-11-02T10:00:00Z', mac: `ENC[AES256_GCM,data:${hex(r, 40)},type:str]`, version: '3.9.1', age: [{ recipient: `age1${hex(r, 58)}`, enc: `-----BEGIN AGE ENCRYPTED FILE-----\n${hex(r, 64)}\n-----END AGE ENCRYPTED FILE-----\n` }] },
    };
  }
  return { apiVersion: 'v1', kind: 'Secret', metadata: m, type: 'Opaque', data: { username: Buffer.from(app.word).toString('base64'), password: Buffer.from(hex(r, 16)).toString('base64') } };
}

/** The ingress-nginx controller's own ConfigMap, once per cluster. */
function ingressNginxConfig(r: () => number): Obj {
  return {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: 'ingress-nginx-controller', namespace: 'ingress-nginx', labels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' } },
    data: { 'allow-snippet-annotations': r() < 0.5 ? 'true' : 'false', 'use-forwarded-headers': 'true', 'proxy-body-size': '8m', 'ssl-protocols': 'TLSv1.2 TLSv1.3' },
  };
}

/** A bare Pod someone left behind while debugging. */
function debugPod(r: () => number, app: App): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(app, `${app.name}-debug`),
    spec: { restartPolicy: 'Never', containers: [container(r, { ...app, kind: 'CronJob' }, 'debug', false)] },
  };
}

function clusterRole(r: () => number, i: number, team: string): Obj {
  const rules: Value[] = [
    { apiGroups: [''], resources: ['nodes', 'namespaces', 'pods'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: ['get', 'list', 'watch'] },
  ];
  if (r() < 0.3) rules.push({ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] });
  if (r() < 0.1) rules.push({ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind', 'escalate'] });
  if (r() < 0.1) rules.push({ apiGroups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations'], verbs: ['create', 'update', 'patch'] });
  if (r() < 0.05) rules.push({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] });
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `${team}-observer-${i}`, labels: { 'app.kubernetes.io/part-of': team } }, rules };
}

function clusterRoleBinding(r: () => number, i: number, team: string, ns: string): Obj {
  const subjects: Value[] = [{ kind: 'ServiceAccount', name: `${team}-agent`, namespace: ns }];
  if (r() < 0.1) subjects.push({ kind: 'Group', name: `${team}-oncall`, apiGroup: 'rbac.authorization.k8s.io' });
  if (r() < 0.02) subjects.push({ kind: 'Group', name: 'system:unauthenticated', apiGroup: 'rbac.authorization.k8s.io' });
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `${team}-observer-${i}`, labels: { 'app.kubernetes.io/part-of': team } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: r() < 0.04 ? 'cluster-admin' : `${team}-observer-${i}` },
    subjects,
  };
}

// ---------------------------------------------------------------------------------------------------
// Corpus
// ---------------------------------------------------------------------------------------------------

interface PlannedFile {
  path: string;
  docs: Array<{ obj: Obj; comment?: string }>;
}

/** Builds every application of a namespace as files of a few documents each. */
function appFiles(r: () => number, app: App, dir: string): PlannedFile[] {
  const files: PlannedFile[] = [];
  const wl: PlannedFile = { path: join(dir, `${app.name}.yaml`), docs: [] };
  if (app.sa) wl.docs.push({ obj: serviceAccount(r, app), comment: `Identity of ${app.name}; RBAC below binds to it.` });
  if (r() < 0.7) wl.docs.push({ obj: configMap(r, app) });
  if (r() < 0.25) wl.docs.push({ obj: secret(r, app), comment: 'Database credentials.' });
  wl.docs.push({ obj: workload(r, app), comment: `${app.kind} ${app.name} (owner: team-${app.team})` });
  files.push(wl);
  const net: PlannedFile = { path: join(dir, `${app.name}-network.yaml`), docs: [] };
  if (app.kind !== 'CronJob') {
    net.docs.push({ obj: service(r, app, false) });
    if (app.kind === 'StatefulSet') net.docs.push({ obj: service(r, app, true), comment: 'Stable network identities for the StatefulSet pods.' });
    if (app.kind === 'Deployment' && r() < 0.45) net.docs.push({ obj: ingress(r, app) });
  }
  if (r() < 0.2 + app.care * 0.6) net.docs.push({ obj: networkPolicy(r, app) });
  if (net.docs.length > 0) files.push(net);
  const pol: PlannedFile = { path: join(dir, `${app.name}-policy.yaml`), docs: [] };
  if (app.kind !== 'CronJob' && r() < 0.2 + app.care * 0.6) pol.docs.push({ obj: pdb(r, app), comment: 'Keep the service up during node drains.' });
  if (app.kind === 'Deployment' && r() < 0.15 + app.care * 0.4) pol.docs.push({ obj: hpa(r, app) });
  if (app.care < 0.3 && r() < 0.1) pol.docs.push({ obj: debugPod(r, app), comment: 'temporary: remove after the incident' });
  if (r() < 0.35) {
    pol.docs.push({ obj: role(r, app) });
    pol.docs.push({ obj: roleBinding(r, app) });
  }
  if (pol.docs.length > 0) files.push(pol);
  return files;
}

function render(file: PlannedFile, r: () => number, style: WriteStyle): string {
  const parts: string[] = [];
  if (r() < 0.5) parts.push(`# Source: ${file.path.split('/').slice(-2).join('/')}\n# Managed in git; changes go through review.\n`);
  file.docs.forEach((d, i) => {
    let text = toYaml(d.obj, style);
    if (d.comment) text = `# ${d.comment}\n${text}`;
    if (i > 0 || r() < 0.3) parts.push('---\n');
    parts.push(text);
  });
  return parts.join('');
}

/**
 * Writes `resources` Kubernetes objects under `dir`, as namespace folders of application files, plus a
 * cluster folder with ClusterRoles and ClusterRoleBindings. Deterministic for a given seed.
 */
export function generateCorpus(opts: CorpusOptions): Corpus {
  const r = prng(opts.seed ?? 42);
  commentSeq = 0;
  const corpus: Corpus = { dir: opts.dir, files: [], resources: 0, bytes: 0, lines: 0, kinds: {} };
  const pending: PlannedFile[] = [];
  let planned = 0;
  let nsIndex = 0;
  let clusterIndex = 0;
  let defaultGroups = 0;
  while (planned < opts.resources) {
    const team = TEAMS[nsIndex % TEAMS.length]!;
    // A few groups of applications land in the `default` namespace by omission (no namespace written);
    // only a few, as in real clusters, so that no namespace grows with the size of the corpus.
    const ns = r() < 0.025 && defaultGroups++ < 3 ? undefined : `${team}-${Math.floor(nsIndex / TEAMS.length)}`;
    const nsDir = join(opts.dir, ns ?? `default-${nsIndex}`);
    const nApps = 3 + Math.floor(r() * 6);
    for (let a = 0; a < nApps && planned < opts.resources; a++) {
      const roll = r();
      const kind = roll < 0.7 ? 'Deployment' : roll < 0.85 ? 'StatefulSet' : 'CronJob';
      const word = kind === 'StatefulSet' ? pick(r, DB_WORDS) : kind === 'CronJob' ? pick(r, JOB_WORDS) : pick(r, APP_WORDS);
      // Care is skewed towards decent manifests, with a sloppy tail.
      const care = Math.min(1, Math.max(0, 1 - Math.pow(r(), 0.7) * 1.1 + 0.1));
      const app: App = {
        name: `${team}-${word}${a > 0 && r() < 0.5 ? `-${a}` : ''}`,
        ns,
        team,
        care,
        kind,
        port: pick(r, [8080, 8080, 3000, 9000, 5432, 6379]),
        sa: r() < 0.15 + care * 0.8 ? `${team}-${word}` : undefined,
        version: `${1 + Math.floor(r() * 4)}.${Math.floor(r() * 20)}.${Math.floor(r() * 10)}`,
        word,
      };
      // Unique names inside a namespace.
      app.name = `${app.name}-${a}`;
      if (app.sa) app.sa = `${app.sa}-${a}`;
      for (const f of appFiles(r, app, nsDir)) {
        const room = opts.resources - planned;
        if (room <= 0) break;
        if (f.docs.length > room) f.docs.length = room;
        planned += f.docs.length;
        pending.push(f);
      }
    }
    if (nsIndex === 0 && planned < opts.resources) {
      pending.push({ path: join(opts.dir, 'cluster', 'ingress-nginx.yaml'), docs: [{ obj: ingressNginxConfig(r), comment: 'Controller settings (the chart renders the rest).' }] });
      planned++;
    }
    // Cluster-wide RBAC every few namespaces.
    if (nsIndex % 4 === 3 && planned < opts.resources) {
      const f: PlannedFile = { path: join(opts.dir, 'cluster', `rbac-${clusterIndex}.yaml`), docs: [] };
      f.docs.push({ obj: clusterRole(r, clusterIndex, team), comment: `Read-only access for the ${team} agents.` });
      f.docs.push({ obj: clusterRoleBinding(r, clusterIndex, team, ns ?? 'default') });
      clusterIndex++;
      const room = opts.resources - planned;
      if (f.docs.length > room) f.docs.length = room;
      planned += f.docs.length;
      pending.push(f);
    }
    nsIndex++;
  }
  const made = new Set<string>();
  for (const f of pending) {
    const dir = f.path.slice(0, f.path.lastIndexOf('/'));
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    const style: WriteStyle = { indentSeq: r() < 0.7, quote: Math.floor(r() * 3) };
    const text = render(f, r, style);
    writeFileSync(f.path, text);
    corpus.files.push(f.path);
    corpus.bytes += Buffer.byteLength(text);
    corpus.lines += text.split('\n').length - 1;
    for (const d of f.docs) {
      const kind = d.obj.kind as string;
      corpus.kinds[kind] = (corpus.kinds[kind] ?? 0) + 1;
      corpus.resources++;
    }
  }
  return corpus;
}
