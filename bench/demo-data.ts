/**
 * Writes the bundled demo environment of `palisade serve --demo` into examples/demo/: a cluster snapshot
 * (`kubectl get -o yaml` List), an audit log (JSON lines of audit.k8s.io/v1 Events), a tiny Debian 12 image
 * as an OCI layout, and the OSV advisories of its packages. The output is checked in; run this again only
 * to change it:
 *
 *   npx tsx bench/demo-data.ts
 *
 * Everything is deterministic except the gzip bytes of the image layers (zlib versions may differ), so a
 * second run changes at most the layer digests.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dump } from 'js-yaml';
import { image, layer, writeOciLayout } from '../test/helpers/oci-image.js';

const DEMO = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'demo');

/** The moment the demo was "recorded": audit times are relative to it, and the loader shifts it to now. */
export const DEMO_BASE = '2025-03-14T12:00:00.000Z';
/** The image the storefront runs, bundled as an OCI layout. */
export const DEMO_IMAGE = 'registry.shop.example/shop/storefront:2.3.1';

type Obj = Record<string, unknown>;

/** A stable UUID-shaped id from a name, so the snapshot and the audit log agree across runs. */
function uid(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function at(offsetMs: number): string {
  return new Date(Date.parse(DEMO_BASE) + offsetMs).toISOString();
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MIN = 60_000;

// --- cluster snapshot -------------------------------------------------------------------------------------

let rv = 48_211;
function meta(kind: string, name: string, namespace?: string, extra: Obj = {}): Obj {
  rv += 37;
  return { name, ...(namespace ? { namespace } : {}), uid: uid(`${kind}/${namespace ?? ''}/${name}`), resourceVersion: String(rv), creationTimestamp: at(-41 * DAY + (rv % 97) * HOUR).replace('.000', ''), ...extra };
}

function owner(kind: string, name: string, namespace: string, apiVersion: string): Obj {
  return { apiVersion, kind, name, uid: uid(`${kind}/${namespace}/${name}`), controller: true, blockOwnerDeletion: true };
}

const NODES = ['ip-10-0-1-12.eu-west-1.compute.internal', 'ip-10-0-2-47.eu-west-1.compute.internal', 'ip-10-0-3-91.eu-west-1.compute.internal'];
const NODE_IPS = ['10.0.1.12', '10.0.2.47', '10.0.3.91'];

function node(name: string, ip: string): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: meta('Node', name, undefined, { labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'node.kubernetes.io/instance-type': 'm6i.large', 'topology.kubernetes.io/zone': `eu-west-1${'abc'[NODES.indexOf(name)]}` } }),
    spec: { providerID: `aws:///eu-west-1a/i-0${createHash('md5').update(name).digest('hex').slice(0, 16)}` },
    status: {
      addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }],
      nodeInfo: { architecture: 'amd64', containerRuntimeVersion: 'containerd://1.7.11', kernelVersion: '6.1.79-99.164.amzn2023.x86_64', kubeProxyVersion: 'v1.29.4', kubeletVersion: 'v1.29.4', operatingSystem: 'linux', osImage: 'Amazon Linux 2023' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }],
    },
  };
}

function namespace(name: string, labels: Record<string, string> = {}): Obj {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: meta('Namespace', name, undefined, { labels: { 'kubernetes.io/metadata.name': name, ...labels } }), spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
}

const HARDENED_POD = { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } };
const HARDENED_CONTAINER = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };

interface Workload {
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  name: string;
  namespace: string;
  labels: Record<string, string>;
  replicas?: number;
  podSpec: Obj;
  hash: string;
}

/** The workload, its ReplicaSet (for Deployments) and its running pods with ownerReferences, as a live cluster lists them. */
function workload(w: Workload): Obj[] {
  const template = { metadata: { labels: w.labels }, spec: w.podSpec };
  const spec: Obj = w.kind === 'DaemonSet' ? { selector: { matchLabels: w.labels }, template, updateStrategy: { type: 'RollingUpdate' } } : { replicas: w.replicas ?? 1, selector: { matchLabels: w.labels }, template };
  if (w.kind === 'StatefulSet') spec.serviceName = w.name;
  const out: Obj[] = [{ apiVersion: 'apps/v1', kind: w.kind, metadata: meta(w.kind, w.name, w.namespace, { labels: w.labels, generation: 4 }), spec }];
  let podOwner = owner(w.kind, w.name, w.namespace, 'apps/v1');
  if (w.kind === 'Deployment') {
    const rs = `${w.name}-${w.hash}`;
    out.push({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta('ReplicaSet', rs, w.namespace, { labels: { ...w.labels, 'pod-template-hash': w.hash }, ownerReferences: [podOwner] }), spec: { replicas: w.replicas ?? 1, selector: { matchLabels: { ...w.labels, 'pod-template-hash': w.hash } }, template } });
    podOwner = owner('ReplicaSet', rs, w.namespace, 'apps/v1');
  }
  const count = w.kind === 'DaemonSet' ? NODES.length : (w.replicas ?? 1);
  for (let i = 0; i < count; i++) {
    const suffix = w.kind === 'StatefulSet' ? String(i) : w.kind === 'DaemonSet' ? createHash('md5').update(`${w.name}${i}`).digest('hex').slice(0, 5) : `${w.hash}-${createHash('md5').update(`${w.name}${i}`).digest('hex').slice(0, 5)}`;
    const pod = `${w.name}-${suffix}`;
    out.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: meta('Pod', pod, w.namespace, { labels: { ...w.labels, ...(w.kind === 'Deployment' ? { 'pod-template-hash': w.hash } : {}) }, ownerReferences: [podOwner] }),
      spec: { ...w.podSpec, nodeName: NODES[i % NODES.length] },
      status: { phase: 'Running', podIP: `10.42.${i}.${(rv % 200) + 10}`, hostIP: NODE_IPS[i % NODES.length] },
    });
  }
  return out;
}

function service(name: string, ns: string, selector: Record<string, string>, port: number, type = 'ClusterIP', extra: Obj = {}): Obj {
  return { apiVersion: 'v1', kind: 'Service', metadata: meta('Service', name, ns, extra), spec: { type, selector, ports: [{ name: 'http', port, targetPort: port, protocol: 'TCP' }], ...(type === 'LoadBalancer' ? { externalTrafficPolicy: 'Cluster' } : {}) } };
}

function serviceAccount(name: string, ns: string, automount?: boolean): Obj {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('ServiceAccount', name, ns), ...(automount === undefined ? {} : { automountServiceAccountToken: automount }) };
}

function snapshot(): Obj {
  const items: Obj[] = [];
  items.push(
    namespace('shop', { 'pod-security.kubernetes.io/enforce': 'baseline' }),
    namespace('payments'),
    namespace('monitoring'),
    namespace('ci'),
    namespace('kube-system'),
  );
  NODES.forEach((n, i) => items.push(node(n, NODE_IPS[i]!)));

  // shop: the storefront (the bundled image), fairly well hardened, behind an Ingress with TLS.
  items.push(serviceAccount('storefront', 'shop'), serviceAccount('default', 'shop'));
  items.push(
    ...workload({
      kind: 'Deployment',
      name: 'storefront',
      namespace: 'shop',
      labels: { 'app.kubernetes.io/name': 'storefront', 'app.kubernetes.io/part-of': 'shop' },
      replicas: 2,
      hash: '7c9d8f6b5',
      podSpec: {
        serviceAccountName: 'storefront',
        securityContext: HARDENED_POD,
        containers: [
          {
            name: 'storefront',
            image: DEMO_IMAGE,
            ports: [{ containerPort: 8080, name: 'http' }],
            env: [{ name: 'CART_URL', value: 'http://cart.shop.svc:8080' }],
            resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
            securityContext: HARDENED_CONTAINER,
            livenessProbe: { httpGet: { path: '/healthz', port: 8080 } },
            readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
          },
        ],
      },
    }),
  );
  items.push(service('storefront', 'shop', { 'app.kubernetes.io/name': 'storefront' }, 8080));
  items.push({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: meta('Ingress', 'storefront', 'shop', { annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt' } }),
    spec: {
      ingressClassName: 'nginx',
      tls: [{ hosts: ['shop.example.com'], secretName: 'storefront-tls' }],
      rules: [{ host: 'shop.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'storefront', port: { number: 8080 } } } }] } }],
    },
  });

  // shop: the cart, with no resource limits and the default service account.
  items.push(
    ...workload({
      kind: 'Deployment',
      name: 'cart',
      namespace: 'shop',
      labels: { 'app.kubernetes.io/name': 'cart', 'app.kubernetes.io/part-of': 'shop' },
      replicas: 2,
      hash: '5f4b8c7d9',
      podSpec: { containers: [{ name: 'cart', image: 'registry.shop.example/shop/cart:1.8.0', ports: [{ containerPort: 8080 }], env: [{ name: 'REDIS_ADDR', value: 'redis.shop.svc:6379' }] }] },
    }),
  );
  items.push(service('cart', 'shop', { 'app.kubernetes.io/name': 'cart' }, 8080));

  // shop: Redis as a StatefulSet, running as root.
  items.push(
    ...workload({
      kind: 'StatefulSet',
      name: 'redis',
      namespace: 'shop',
      labels: { 'app.kubernetes.io/name': 'redis' },
      replicas: 1,
      hash: '',
      podSpec: { containers: [{ name: 'redis', image: 'docker.io/library/redis:7.2.4', ports: [{ containerPort: 6379 }], resources: { requests: { cpu: '50m', memory: '64Mi' } } }] },
    }),
  );
  items.push({ ...service('redis', 'shop', { 'app.kubernetes.io/name': 'redis' }, 6379), spec: { clusterIP: 'None', selector: { 'app.kubernetes.io/name': 'redis' }, ports: [{ port: 6379, name: 'redis' }] } });

  // shop: an internal admin UI exposed through an Ingress without TLS.
  items.push(
    ...workload({
      kind: 'Deployment',
      name: 'admin-ui',
      namespace: 'shop',
      labels: { 'app.kubernetes.io/name': 'admin-ui' },
      replicas: 1,
      hash: '6d8f9b7c4',
      podSpec: { containers: [{ name: 'admin', image: 'registry.shop.example/shop/admin-ui:0.9.3', ports: [{ containerPort: 3000 }], env: [{ name: 'ADMIN_PASSWORD', value: 'changeme' }] }] },
    }),
  );
  items.push(service('admin-ui', 'shop', { 'app.kubernetes.io/name': 'admin-ui' }, 3000));
  items.push({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: meta('Ingress', 'admin', 'shop'),
    spec: { ingressClassName: 'nginx', rules: [{ host: 'admin.shop.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'admin-ui', port: { number: 3000 } } } }] } }] },
  });
  items.push({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta('NetworkPolicy', 'storefront-ingress', 'shop'),
    spec: { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'storefront' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }], ports: [{ port: 8080, protocol: 'TCP' }] }] },
  });
  // The storefront's role reads every Secret of its namespace: far more than it needs.
  items.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta('Role', 'storefront', 'shop'), rules: [{ apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get', 'list', 'watch'] }] });
  items.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta('RoleBinding', 'storefront', 'shop'), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'storefront' }, subjects: [{ kind: 'ServiceAccount', name: 'storefront', namespace: 'shop' }] });

  // payments: the API behind a LoadBalancer, privileged on the node network, a password in its env.
  items.push(serviceAccount('payments-api', 'payments'));
  items.push(
    ...workload({
      kind: 'Deployment',
      name: 'payments-api',
      namespace: 'payments',
      labels: { app: 'payments-api' },
      replicas: 2,
      hash: '84c7d9f6b',
      podSpec: {
        serviceAccountName: 'payments-api',
        hostNetwork: true,
        containers: [
          {
            name: 'api',
            image: 'registry.shop.example/payments/api:4.1.0',
            ports: [{ containerPort: 9443 }],
            env: [{ name: 'DB_PASSWORD', value: 'hunter2' }],
            securityContext: { privileged: true, capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } },
            resources: { limits: { cpu: '1', memory: '512Mi' } },
          },
        ],
      },
    }),
  );
  items.push(service('payments-gateway', 'payments', { app: 'payments-api' }, 9443, 'LoadBalancer', { annotations: { 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' } }));
  items.push({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: meta('CronJob', 'ledger-reconcile', 'payments'),
    spec: {
      schedule: '0 2 * * *',
      concurrencyPolicy: 'Forbid',
      jobTemplate: {
        spec: {
          backoffLimit: 2,
          template: {
            metadata: { labels: { app: 'ledger-reconcile' } },
            spec: { serviceAccountName: 'payments-api', restartPolicy: 'OnFailure', containers: [{ name: 'reconcile', image: 'registry.shop.example/payments/reconcile:latest', args: ['--since=24h'] }] },
          },
        },
      },
    },
  });

  // monitoring: node-exporter on every node with the host's PID namespace and root file system.
  items.push(serviceAccount('prometheus', 'monitoring'), serviceAccount('node-exporter', 'monitoring', false));
  items.push(
    ...workload({
      kind: 'DaemonSet',
      name: 'node-exporter',
      namespace: 'monitoring',
      labels: { 'app.kubernetes.io/name': 'node-exporter' },
      hash: '',
      podSpec: {
        serviceAccountName: 'node-exporter',
        automountServiceAccountToken: false,
        hostPID: true,
        hostNetwork: true,
        securityContext: { runAsNonRoot: true, runAsUser: 65534 },
        containers: [
          {
            name: 'node-exporter',
            image: 'quay.io/prometheus/node-exporter:v1.7.0',
            args: ['--path.rootfs=/host'],
            ports: [{ containerPort: 9100, hostPort: 9100 }],
            resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { cpu: '250m', memory: '64Mi' } },
            securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
            volumeMounts: [{ name: 'root', mountPath: '/host', readOnly: true, mountPropagation: 'HostToContainer' }],
          },
        ],
        volumes: [{ name: 'root', hostPath: { path: '/' } }],
      },
    }),
  );
  items.push(
    ...workload({
      kind: 'StatefulSet',
      name: 'prometheus',
      namespace: 'monitoring',
      labels: { 'app.kubernetes.io/name': 'prometheus' },
      replicas: 1,
      hash: '',
      podSpec: {
        serviceAccountName: 'prometheus',
        securityContext: { runAsNonRoot: true, runAsUser: 65534, fsGroup: 65534 },
        containers: [{ name: 'prometheus', image: 'quay.io/prometheus/prometheus:v2.50.1', ports: [{ containerPort: 9090 }], resources: { requests: { cpu: '200m', memory: '1Gi' }, limits: { memory: '2Gi' } } }],
      },
    }),
  );
  items.push(service('prometheus', 'monitoring', { 'app.kubernetes.io/name': 'prometheus' }, 9090));
  items.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta('ClusterRole', 'prometheus'), rules: [{ apiGroups: [''], resources: ['nodes', 'nodes/metrics', 'services', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] }, { nonResourceURLs: ['/metrics'], verbs: ['get'] }] });
  items.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: meta('ClusterRoleBinding', 'prometheus'), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'prometheus' }, subjects: [{ kind: 'ServiceAccount', name: 'prometheus', namespace: 'monitoring' }] });

  // ci: the deploy pipeline's account is bound to cluster-admin (the risky binding).
  items.push(serviceAccount('deployer', 'ci'));
  items.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: meta('ClusterRoleBinding', 'ci-deployer-admin', undefined, { annotations: { 'shop.example/owner': 'platform-team' } }), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'ci' }] });
  items.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta('ClusterRole', 'cluster-admin', undefined, { labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } }), rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }] });

  // kube-system: CoreDNS and kube-proxy.
  items.push(serviceAccount('coredns', 'kube-system'), serviceAccount('kube-proxy', 'kube-system'));
  items.push(
    ...workload({
      kind: 'Deployment',
      name: 'coredns',
      namespace: 'kube-system',
      labels: { 'k8s-app': 'kube-dns' },
      replicas: 2,
      hash: '5d78c9869d',
      podSpec: {
        serviceAccountName: 'coredns',
        priorityClassName: 'system-cluster-critical',
        containers: [
          {
            name: 'coredns',
            image: 'registry.k8s.io/coredns/coredns:v1.11.1',
            args: ['-conf', '/etc/coredns/Corefile'],
            ports: [{ containerPort: 53, protocol: 'UDP', name: 'dns' }],
            resources: { requests: { cpu: '100m', memory: '70Mi' }, limits: { memory: '170Mi' } },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] } },
          },
        ],
      },
    }),
  );
  items.push({ ...service('kube-dns', 'kube-system', { 'k8s-app': 'kube-dns' }, 53), spec: { clusterIP: '172.20.0.10', selector: { 'k8s-app': 'kube-dns' }, ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] } });
  items.push(
    ...workload({
      kind: 'DaemonSet',
      name: 'kube-proxy',
      namespace: 'kube-system',
      labels: { 'k8s-app': 'kube-proxy' },
      hash: '',
      podSpec: {
        serviceAccountName: 'kube-proxy',
        hostNetwork: true,
        priorityClassName: 'system-node-critical',
        containers: [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.29.4', command: ['kube-proxy', '--config=/var/lib/kube-proxy-config/config'], securityContext: { privileged: true }, resources: { requests: { cpu: '100m' } } }],
      },
    }),
  );
  return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items };
}

// --- audit log ---------------------------------------------------------------------------------------------

interface EventSpec {
  t: number;
  user: string;
  groups?: string[];
  extra?: Record<string, string[]>;
  verb: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  group?: string;
  code?: number;
  ip: string;
  agent: string;
  stage?: string;
  uri?: string;
  requestObject?: Obj;
  reason?: string;
}

let eventCount = 0;
function event(e: EventSpec): Obj {
  eventCount++;
  const g = e.group ? `/apis/${e.group}/v1` : '/api/v1';
  const uri = e.uri ?? `${g}${e.namespace ? `/namespaces/${e.namespace}` : ''}/${e.resource}${e.name ? `/${e.name}` : ''}${e.subresource ? `/${e.subresource}` : ''}`;
  const received = at(e.t);
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: e.requestObject ? 'Request' : 'Metadata',
    auditID: uid(`audit-${eventCount}-${e.t}-${e.verb}-${uri}`),
    stage: e.stage ?? 'ResponseComplete',
    requestURI: uri,
    verb: e.verb,
    user: { username: e.user, ...(e.groups ? { groups: e.groups } : {}), ...(e.extra ? { extra: e.extra } : {}) },
    sourceIPs: [e.ip],
    userAgent: e.agent,
    objectRef: { resource: e.resource, ...(e.namespace ? { namespace: e.namespace } : {}), ...(e.name ? { name: e.name } : {}), ...(e.group ? { apiGroup: e.group } : {}), apiVersion: 'v1', ...(e.subresource ? { subresource: e.subresource } : {}) },
    responseStatus: { metadata: {}, code: e.code ?? 200 },
    ...(e.requestObject ? { requestObject: e.requestObject } : {}),
    requestReceivedTimestamp: received,
    stageTimestamp: at(e.t + 4 + (eventCount % 40)),
    annotations: { 'authorization.k8s.io/decision': (e.code ?? 200) === 403 ? 'forbid' : 'allow', 'authorization.k8s.io/reason': e.reason ?? '' },
  };
}

const KCM = { user: 'system:kube-controller-manager', agent: 'kube-controller-manager/v1.29.4 (linux/amd64) kubernetes/55019c8/leader-election', ip: '10.0.0.10' };
const SCHED = { user: 'system:kube-scheduler', agent: 'kube-scheduler/v1.29.4 (linux/amd64) kubernetes/55019c8/leader-election', ip: '10.0.0.10' };
const SA = (ns: string, name: string) => `system:serviceaccount:${ns}:${name}`;
const SA_GROUPS = (ns: string) => ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'];
const DEPLOYER = { user: SA('ci', 'deployer'), groups: SA_GROUPS('ci'), agent: 'kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819', ip: '10.8.14.21' };
const PROM = { user: SA('monitoring', 'prometheus'), groups: SA_GROUPS('monitoring'), agent: 'prometheus/2.50.1', ip: '10.42.1.77' };
const STOREFRONT_POD = 'storefront-7c9d8f6b5-1a0c4';

function auditLog(): Obj[] {
  const out: Obj[] = [];
  const start = -3 * DAY;
  // Routine traffic every three hours over three days: leader election, the scheduler, kubelets reading the
  // Secrets and ConfigMaps of their pods, Prometheus discovering targets, and a daily deploy from CI.
  for (let t = start; t < -20 * MIN; t += 3 * HOUR) {
    out.push(event({ ...KCM, t, verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: 'kube-system', name: 'kube-controller-manager', uri: '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager?timeout=5s' }));
    out.push(event({ ...SCHED, t: t + 900, verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: 'kube-system', name: 'kube-scheduler', uri: '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler?timeout=5s' }));
    const n = (t / (3 * HOUR)) % NODES.length;
    const i = Math.abs(n);
    out.push(event({ user: `system:node:${NODES[i]}`, groups: ['system:nodes', 'system:authenticated'], agent: 'kubelet/v1.29.4 (linux/amd64) kubernetes/55019c8', ip: NODE_IPS[i]!, t: t + 2 * MIN, verb: 'get', resource: 'secrets', namespace: 'shop', name: 'storefront-tls' }));
    out.push(event({ user: `system:node:${NODES[i]}`, groups: ['system:nodes', 'system:authenticated'], agent: 'kubelet/v1.29.4 (linux/amd64) kubernetes/55019c8', ip: NODE_IPS[i]!, t: t + 2 * MIN + 300, verb: 'get', resource: 'configmaps', namespace: 'shop', name: 'kube-root-ca.crt' }));
    out.push(event({ ...PROM, t: t + 5 * MIN, verb: 'list', resource: 'pods', uri: '/api/v1/pods?limit=500&resourceVersion=0' }));
    out.push(event({ ...PROM, t: t + 5 * MIN + 400, verb: 'list', resource: 'endpoints', uri: '/api/v1/endpoints?limit=500&resourceVersion=0' }));
    if ((t - start) % DAY === 0) {
      // The nightly CronJob run and the morning deploy.
      const night = t + 2 * HOUR;
      out.push(event({ user: SA('kube-system', 'cronjob-controller'), groups: SA_GROUPS('kube-system'), agent: 'kube-controller-manager/v1.29.4 (linux/amd64) kubernetes/55019c8/system:serviceaccount:kube-system:cronjob-controller', ip: '10.0.0.10', t: night, verb: 'create', resource: 'jobs', group: 'batch', namespace: 'payments', code: 201 }));
      const deploy = t + 9 * HOUR;
      out.push(event({ ...DEPLOYER, t: deploy, verb: 'get', resource: 'deployments', group: 'apps', namespace: 'shop', name: 'storefront' }));
      out.push(event({ ...DEPLOYER, t: deploy + 800, verb: 'patch', resource: 'deployments', group: 'apps', namespace: 'shop', name: 'storefront' }));
      out.push(event({ ...DEPLOYER, t: deploy + 1600, verb: 'patch', resource: 'deployments', group: 'apps', namespace: 'shop', name: 'cart' }));
      out.push(event({ ...DEPLOYER, t: deploy + 2400, verb: 'list', resource: 'pods', namespace: 'shop', uri: '/api/v1/namespaces/shop/pods?labelSelector=app.kubernetes.io%2Fpart-of%3Dshop' }));
    }
  }

  // The incident, this morning: a developer's credentials open a shell in a storefront pod; the pod's token
  // lists the namespace's Secrets (finding the CI deployer's token); the deployer's token, used from outside,
  // binds a new account to cluster-admin and starts a privileged pod on a node.
  const t0 = -3 * HOUR;
  const jane = { user: 'jane@shop.example', groups: ['oidc:developers', 'system:authenticated'], agent: 'kubectl/v1.29.1 (darwin/arm64) kubernetes/bc401b9', ip: '198.51.100.23' };
  const execUri = `/api/v1/namespaces/shop/pods/${STOREFRONT_POD}/exec?command=sh&container=storefront&stdin=true&stdout=true&tty=true`;
  out.push(event({ ...jane, t: t0, verb: 'get', resource: 'pods', namespace: 'shop', name: STOREFRONT_POD }));
  out.push(event({ ...jane, t: t0 + 2000, verb: 'create', resource: 'pods', namespace: 'shop', name: STOREFRONT_POD, subresource: 'exec', uri: execUri, stage: 'ResponseStarted', code: 101 }));
  const pod = { user: SA('shop', 'storefront'), groups: SA_GROUPS('shop'), extra: { 'authentication.kubernetes.io/pod-name': [STOREFRONT_POD], 'authentication.kubernetes.io/pod-uid': [uid(`Pod/shop/${STOREFRONT_POD}`)] }, agent: 'curl/7.88.1', ip: '10.42.0.57' };
  out.push(event({ ...pod, t: t0 + 3 * MIN, verb: 'list', resource: 'secrets', namespace: 'shop' }));
  out.push(event({ ...pod, t: t0 + 3 * MIN + 5000, verb: 'get', resource: 'secrets', namespace: 'shop', name: 'ci-deployer-token' }));
  out.push(event({ ...pod, t: t0 + 3 * MIN + 9000, verb: 'get', resource: 'secrets', namespace: 'payments', name: 'payments-db', code: 403, reason: '' }));
  out.push(event({ ...jane, t: t0 + 6 * MIN, verb: 'create', resource: 'pods', namespace: 'shop', name: STOREFRONT_POD, subresource: 'exec', uri: execUri, code: 101 }));
  const stolen = { ...DEPLOYER, agent: 'python-requests/2.31.0', ip: '203.0.113.45' };
  out.push(event({ ...stolen, t: t0 + 25 * MIN, verb: 'get', resource: 'secrets', namespace: 'payments', name: 'payments-db' }));
  out.push(event({
    ...stolen,
    t: t0 + 27 * MIN,
    verb: 'create',
    resource: 'clusterrolebindings',
    group: 'rbac.authorization.k8s.io',
    name: 'system-backup-operator',
    uri: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
    code: 201,
    requestObject: { kind: 'ClusterRoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: { name: 'system-backup-operator' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: 'kube-public' }] },
  }));
  out.push(event({
    ...stolen,
    t: t0 + 31 * MIN,
    verb: 'create',
    resource: 'pods',
    namespace: 'payments',
    name: 'node-debugger-x7k2q',
    uri: '/api/v1/namespaces/payments/pods',
    code: 201,
    requestObject: {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name: 'node-debugger-x7k2q', namespace: 'payments' },
      spec: {
        hostPID: true,
        hostNetwork: true,
        nodeName: NODES[1],
        containers: [{ name: 'shell', image: 'docker.io/library/alpine:3.19', command: ['nsenter', '-t', '1', '-m', '-u', '-i', '-n', 'sh'], securityContext: { privileged: true }, volumeMounts: [{ name: 'host', mountPath: '/host' }] }],
        volumes: [{ name: 'host', hostPath: { path: '/' } }],
      },
    },
  }));
  out.push(event({ ...PROM, t: t0 + 50 * MIN, verb: 'list', resource: 'secrets', uri: '/api/v1/secrets?limit=500', agent: 'prometheus/2.50.1' }));
  return out.sort((a, b) => String(a.requestReceivedTimestamp).localeCompare(String(b.requestReceivedTimestamp)));
}

// --- image and advisories ---------------------------------------------------------------------------------

const OS_RELEASE = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
`;

interface Deb {
  name: string;
  version: string;
  source?: string;
  arch?: string;
  description: string;
}

const BASE_PACKAGES: Deb[] = [
  { name: 'base-files', version: '12.4+deb12u5', description: 'Debian base system miscellaneous files' },
  { name: 'bash', version: '5.2.15-2+b2', description: 'GNU Bourne Again SHell' },
  { name: 'libc6', version: '2.36-9+deb12u3', source: 'glibc', description: 'GNU C Library: Shared libraries' },
  { name: 'libssl3', version: '3.0.11-1~deb12u2', source: 'openssl', description: 'Secure Sockets Layer toolkit - shared libraries' },
  { name: 'zlib1g', version: '1:1.2.13.dfsg-1', source: 'zlib', description: 'compression library - runtime' },
  { name: 'tzdata', version: '2024a-0+deb12u1', arch: 'all', description: 'time zone and daylight-saving time data' },
];
const APP_PACKAGES: Deb[] = [
  { name: 'ca-certificates', version: '20230311', arch: 'all', description: 'Common CA certificates' },
  { name: 'libexpat1', version: '2.5.0-1', source: 'expat', description: 'XML parsing C library - runtime library' },
  { name: 'libcurl4', version: '7.88.1-10+deb12u5', source: 'curl', description: 'easy-to-use client-side URL transfer library (OpenSSL flavour)' },
];

function dpkgStatus(pkgs: Deb[]): string {
  return pkgs
    .map((p) =>
      [
        `Package: ${p.name}`,
        'Status: install ok installed',
        'Priority: optional',
        'Installed-Size: 1024',
        'Maintainer: Debian Maintainers <debian-devel@lists.debian.org>',
        `Architecture: ${p.arch ?? 'amd64'}`,
        ...(p.source ? [`Source: ${p.source}`] : []),
        `Version: ${p.version}`,
        `Description: ${p.description}`,
        '',
      ].join('\n'),
    )
    .join('\n');
}

interface Advisory {
  cve: string;
  source: string;
  fixed?: string;
  cvss: string;
  published: string;
  details: string;
}

const ADVISORIES: Advisory[] = [
  { cve: 'CVE-2024-2961', source: 'glibc', fixed: '2.36-9+deb12u7', cvss: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H', published: '2024-04-17T18:15:15Z', details: 'The iconv() function in the GNU C Library may overflow the output buffer passed to it by up to 4 bytes when converting strings to the ISO-2022-CN-EXT character set.' },
  { cve: 'CVE-2023-6246', source: 'glibc', fixed: '2.36-9+deb12u4', cvss: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', published: '2024-01-31T14:15:48Z', details: 'A heap-based buffer overflow was found in the __vsyslog_internal function of the glibc library, reachable through syslog() and vsyslog(); a local attacker may gain root.' },
  { cve: 'CVE-2024-5535', source: 'openssl', fixed: '3.0.14-1~deb12u1', cvss: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H', published: '2024-06-27T11:15:24Z', details: 'Calling the OpenSSL API function SSL_select_next_proto with an empty supported client protocols buffer may cause a crash or memory contents to be sent to the peer.' },
  { cve: 'CVE-2023-5678', source: 'openssl', fixed: '3.0.13-1~deb12u1', cvss: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L', published: '2023-11-06T16:15:42Z', details: 'Generating excessively long X9.42 DH keys or checking excessively long X9.42 DH keys or parameters may be very slow.' },
  { cve: 'CVE-2024-0727', source: 'openssl', fixed: '3.0.13-1~deb12u1', cvss: 'CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H', published: '2024-01-26T09:15:07Z', details: 'Processing a maliciously formatted PKCS12 file may lead OpenSSL to crash leading to a potential Denial of Service attack.' },
  { cve: 'CVE-2023-4807', source: 'openssl', fixed: '3.0.11-1~deb12u1', cvss: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H', published: '2023-09-08T12:15:08Z', details: 'The POLY1305 MAC implementation contains a bug that might corrupt the internal state of applications on the Windows 64 platform when running on newer X86_64 processors supporting the AVX512-IFMA instructions.' },
  { cve: 'CVE-2024-45491', source: 'expat', fixed: '2.5.0-1+deb12u1', cvss: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', published: '2024-08-30T03:15:03Z', details: 'An issue was discovered in libexpat before 2.6.3: dtdCopy in xmlparse.c can have an integer overflow for nDefaultAtts on 32-bit platforms.' },
  { cve: 'CVE-2024-45492', source: 'expat', fixed: '2.5.0-1+deb12u1', cvss: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', published: '2024-08-30T03:15:03Z', details: 'An issue was discovered in libexpat before 2.6.3: nextScaffoldPart in xmlparse.c can have an integer overflow for m_groupSize on 32-bit platforms.' },
  { cve: 'CVE-2023-52425', source: 'expat', fixed: '2.5.0-1+deb12u1', cvss: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', published: '2024-02-04T20:15:46Z', details: 'libexpat through 2.5.0 allows a denial of service (resource consumption) because many full reparsings are required in the case of a large token for which multiple buffer fills are needed.' },
  { cve: 'CVE-2024-2398', source: 'curl', fixed: '7.88.1-10+deb12u6', cvss: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', published: '2024-03-27T08:15:41Z', details: 'When an application tells libcurl it wants to allow HTTP/2 server push, and the amount of received headers for the push surpasses the maximum allowed limit (1000), libcurl aborts the server push and leaks the memory of the headers already allocated.' },
  { cve: 'CVE-2023-45853', source: 'zlib', cvss: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', published: '2023-10-14T02:15:09Z', details: 'MiniZip in zlib through 1.3 has an integer overflow and resultant heap-based buffer overflow in zipOpenNewFileInZip4_64 via a long filename, comment, or extra field.' },
];

function osvRecord(a: Advisory): Obj {
  return {
    schema_version: '1.6.0',
    id: `DEBIAN-${a.cve}`,
    modified: '2025-03-01T03:12:44Z',
    published: a.published,
    upstream: [a.cve],
    details: a.details,
    severity: [{ type: 'CVSS_V3', score: a.cvss }],
    affected: [
      {
        package: { name: a.source, ecosystem: 'Debian:12', purl: `pkg:deb/debian/${a.source}?arch=source` },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, ...(a.fixed ? [{ fixed: a.fixed }] : [])] }],
      },
    ],
    references: [{ type: 'ADVISORY', url: `https://security-tracker.debian.org/tracker/${a.cve}` }],
  };
}

async function main(): Promise<void> {
  mkdirSync(DEMO, { recursive: true });
  writeFileSync(join(DEMO, 'cluster.yaml'), `# kubectl get ns,nodes,all,ingress,networkpolicy,serviceaccounts,roles,rolebindings,clusterroles,clusterrolebindings -A -o yaml\n${dump(snapshot(), { lineWidth: -1, noRefs: true })}`);
  writeFileSync(join(DEMO, 'audit.jsonl'), auditLog().map((e) => JSON.stringify(e)).join('\n') + '\n');

  const layoutDir = join(DEMO, 'image');
  rmSync(layoutDir, { recursive: true, force: true });
  const base = await layer([
    { name: 'etc/', type: 'directory' },
    { name: 'etc/os-release', content: OS_RELEASE },
    { name: 'etc/debian_version', content: '12.5\n' },
    { name: 'var/lib/dpkg/', type: 'directory' },
    { name: 'var/lib/dpkg/status', content: dpkgStatus(BASE_PACKAGES) },
  ]);
  const app = await layer([
    { name: 'var/lib/dpkg/status', content: dpkgStatus([...BASE_PACKAGES, ...APP_PACKAGES]) },
    { name: 'srv/storefront/', type: 'directory' },
    { name: 'srv/storefront/VERSION', content: '2.3.1\n' },
  ]);
  const img = image([base, app], {
    history: [
      { created_by: '/bin/sh -c #(nop) ADD file:5ee1f3d5b1ab8a1d5e0d1c5b0c1d6e1f0a2c9d3b4e5f6a7b8c9d0e1f2a3b4c5d in / ' },
      { created_by: 'RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends ca-certificates libcurl4 libexpat1 # buildkit' },
    ],
    config: { config: { User: '10001', Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Entrypoint: ['/srv/storefront/bin/storefront'], ExposedPorts: { '8080/tcp': {} } } },
  });
  await writeOciLayout(layoutDir, [img], { refs: [DEMO_IMAGE] });

  const advDir = join(DEMO, 'advisories', 'Debian');
  rmSync(join(DEMO, 'advisories'), { recursive: true, force: true });
  mkdirSync(advDir, { recursive: true });
  for (const a of ADVISORIES) writeFileSync(join(advDir, `DEBIAN-${a.cve}.json`), `${JSON.stringify(osvRecord(a), null, 2)}\n`);
  console.log(`demo written to ${DEMO}: image ${img.manifestDigest}, ${eventCount} audit events`);
}

await main();
