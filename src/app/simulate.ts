import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { PalisadeError } from '../model/errors.js';

/**
 * `palisade simulate`: audit events of attack scenarios, to check the whole pipeline (audit policy, webhook or
 * log shipping, rules, sinks) end to end. Each scenario is a short story told as the API server would log it,
 * with enough ordinary traffic before it (a day earlier) for the stateful detectors to have learned a baseline.
 * The events are synthetic: names use `sim-` prefixes and documentation address ranges (RFC 5737).
 */

type Obj = Record<string, unknown>;

/** One scenario: what it plays, and the rules that must raise alerts on it. */
export interface Scenario {
  name: string;
  description: string;
  /** Rule ids expected to raise at least one alert when the events go through the shipped rules. */
  expectedRules: string[];
  /** The events, in order; `at(offsetMs)` gives the time of an event relative to the start of the attack. */
  build(e: EventBuilder): Obj[];
}

const HOUR = 3_600_000;
const ATTACKER_IP = '203.0.113.66';
const POD_IP = '10.244.3.17';

/** Builds complete audit.k8s.io/v1 events with consistent ids and times. */
export class EventBuilder {
  private n = 0;

  constructor(
    private readonly scenario: string,
    private readonly start: number,
  ) {}

  /**
   * An event `offsetMs` after the start of the attack (negative: before it). `fields` override the defaults: a
   * completed, allowed request by `alice@example.com` from a documentation address.
   */
  at(offsetMs: number, fields: Obj): Obj {
    const t = new Date(this.start + offsetMs).toISOString();
    const i = this.n++;
    const resource = (fields.objectRef as Obj | undefined)?.resource;
    return {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'RequestResponse',
      auditID: `00000000-5151-4000-8000-${hash(`${this.scenario}/${i}`)}`,
      stage: 'ResponseComplete',
      requestURI: typeof resource === 'string' ? `/api/v1/${resource}` : '/api',
      user: { username: 'alice@example.com', groups: ['system:authenticated'] },
      sourceIPs: ['192.0.2.10'],
      userAgent: 'kubectl/v1.30.1 (linux/amd64) kubernetes/6911225',
      responseStatus: { metadata: {}, code: 200 },
      annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
      requestReceivedTimestamp: t,
      stageTimestamp: t,
      ...fields,
    };
  }
}

/** 12 hex digits from a string (FNV-1a), for deterministic audit ids. */
function hash(s: string): string {
  let h = 0xcbf29ce484222325n;
  for (const c of Buffer.from(s)) h = BigInt.asUintN(64, (h ^ BigInt(c)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0').slice(-12);
}

const sa = (ns: string, name: string, pod?: string): Obj => ({
  username: `system:serviceaccount:${ns}:${name}`,
  uid: `sim-${ns}-${name}`,
  groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
  ...(pod ? { extra: { 'authentication.kubernetes.io/pod-name': [pod], 'authentication.kubernetes.io/pod-uid': [`sim-${pod}`] } } : {}),
});
const ref = (resource: string, namespace?: string, name?: string, extra: Obj = {}): Obj => ({ resource, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}), apiVersion: 'v1', ...extra });
const pod = (name: string, spec: Obj): Obj => ({ kind: 'Pod', apiVersion: 'v1', metadata: { name }, spec });
const APP_CLIENT = 'shop-api/2.4.1 (linux/amd64) kubernetes/client-go';

/** A workload's service account doing its usual thing, the day before: the baseline of the first-seen detectors. */
function baseline(e: EventBuilder, ns: string, account: string, podName: string): Obj[] {
  return [-26 * HOUR, -25 * HOUR, -2 * HOUR].flatMap((t) => [
    e.at(t, { verb: 'get', user: sa(ns, account, podName), userAgent: APP_CLIENT, sourceIPs: [POD_IP], objectRef: ref('configmaps', ns, 'shop-config') }),
    e.at(t + 1000, { stage: 'ResponseStarted', verb: 'watch', user: sa(ns, account, podName), userAgent: APP_CLIENT, sourceIPs: [POD_IP], objectRef: ref('endpoints', ns) }),
  ]);
}

/** Exec into a pod (the stream-start event the rules read, and the completion). */
function execInto(e: EventBuilder, t: number, ns: string, podName: string, command: string, user: Obj = { username: 'mallory@example.com', groups: ['system:authenticated'] }): Obj[] {
  const fields = { verb: 'create', user, sourceIPs: [ATTACKER_IP], objectRef: ref('pods', ns, podName, { subresource: 'exec' }), requestURI: `/api/v1/namespaces/${ns}/pods/${podName}/exec?command=${encodeURIComponent(command)}&container=app&stdin=true&stdout=true&tty=true`, responseStatus: { metadata: {}, code: 101 } };
  return [e.at(t, { ...fields, stage: 'ResponseStarted' }), e.at(t + 120_000, fields)];
}

/** The scenarios, by name. */
export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'reconnaissance',
    description: 'An outsider probes the API server: a scanner user agent, anonymous discovery requests that are allowed, then a burst of refused requests while guessing tokens.',
    expectedRules: ['PAL-RT-016', 'PAL-RT-012', 'PAL-RT-066'],
    build: (e) => [
      e.at(0, { verb: 'list', user: { username: 'system:anonymous', groups: ['system:unauthenticated'] }, sourceIPs: [ATTACKER_IP], userAgent: 'kube-hunter/0.6.8', objectRef: ref('namespaces'), requestURI: '/api/v1/namespaces', responseStatus: { metadata: {}, code: 403 }, annotations: { 'authorization.k8s.io/decision': 'forbid' } }),
      e.at(1000, { verb: 'get', user: { username: 'system:anonymous', groups: ['system:unauthenticated'] }, sourceIPs: [ATTACKER_IP], userAgent: 'curl/8.5.0', objectRef: ref('configmaps', 'kube-public', 'cluster-info'), requestURI: '/api/v1/namespaces/kube-public/configmaps/cluster-info' }),
      ...Array.from({ length: 30 }, (_, i) =>
        e.at(5000 + i * 1500, { verb: i % 3 === 0 ? 'list' : 'get', user: { username: i % 2 ? 'system:anonymous' : '', groups: [] }, sourceIPs: [ATTACKER_IP], userAgent: 'python-requests/2.31.0', objectRef: ref('secrets', 'kube-system'), requestURI: '/api/v1/namespaces/kube-system/secrets', responseStatus: { metadata: {}, code: i % 2 ? 403 : 401 }, annotations: i % 2 ? { 'authorization.k8s.io/decision': 'forbid' } : {} }),
      ),
    ],
  },
  {
    name: 'lateral-movement',
    description: 'An attacker with a user account execs into a web pod, then uses the pod\'s service-account token with kubectl to read secrets and start a port-forward to another workload.',
    expectedRules: ['PAL-RT-010', 'PAL-RT-068', 'PAL-RT-065', 'PAL-RT-064', 'PAL-RT-011', 'PAL-RT-017'],
    build: (e) => [
      ...baseline(e, 'shop', 'shop-api', 'shop-api-7d9f-x2x'),
      ...execInto(e, 0, 'shop', 'shop-api-7d9f-x2x', 'sh'),
      e.at(60_000, { verb: 'list', user: sa('shop', 'shop-api', 'shop-api-7d9f-x2x'), userAgent: 'kubectl/v1.29.0 (linux/amd64) kubernetes/3f7a50f', sourceIPs: [POD_IP], objectRef: ref('secrets', 'shop'), requestURI: '/api/v1/namespaces/shop/secrets' }),
      e.at(65_000, { verb: 'get', user: sa('shop', 'shop-api', 'shop-api-7d9f-x2x'), userAgent: 'kubectl/v1.29.0 (linux/amd64) kubernetes/3f7a50f', sourceIPs: [POD_IP], objectRef: ref('secrets', 'shop', 'payments-db') }),
      e.at(90_000, { stage: 'ResponseStarted', verb: 'create', user: { username: 'mallory@example.com', groups: ['system:authenticated'] }, sourceIPs: [ATTACKER_IP], objectRef: ref('pods', 'payments', 'payments-db-0', { subresource: 'portforward' }), requestURI: '/api/v1/namespaces/payments/pods/payments-db-0/portforward', responseStatus: { metadata: {}, code: 101 } }),
    ],
  },
  {
    name: 'secrets-gathering',
    description: 'A stolen developer credential is used to read secret after secret across namespaces.',
    expectedRules: ['PAL-RT-067', 'PAL-RT-017'],
    build: (e) => [
      e.at(0, { verb: 'list', user: { username: 'dev-ci@example.com', groups: ['system:authenticated'] }, sourceIPs: [ATTACKER_IP], objectRef: ref('secrets'), requestURI: '/api/v1/secrets' }),
      ...Array.from({ length: 24 }, (_, i) => {
        const ns = ['shop', 'payments', 'monitoring', 'ci'][i % 4]!;
        return e.at(2000 + i * 4000, { verb: 'get', user: { username: 'dev-ci@example.com', groups: ['system:authenticated'] }, sourceIPs: [ATTACKER_IP], objectRef: ref('secrets', ns, `sim-secret-${i}`), requestURI: `/api/v1/namespaces/${ns}/secrets/sim-secret-${i}` });
      }),
    ],
  },
  {
    name: 'crypto-mining',
    description: 'A miner is deployed into kube-system, privileged, to hide among the system pods and use all the CPU it can.',
    expectedRules: ['PAL-RT-008', 'PAL-RT-007', 'PAL-RT-001'],
    build: (e) => [
      e.at(0, {
        verb: 'create',
        user: { username: 'mallory@example.com', groups: ['system:authenticated'] },
        sourceIPs: [ATTACKER_IP],
        objectRef: ref('pods', 'kube-system', 'sim-kube-proxy-x7'),
        responseStatus: { metadata: {}, code: 201 },
        requestObject: pod('sim-kube-proxy-x7', { containers: [{ name: 'proxy', image: 'docker.io/minerfarm/xmrig:6.21.0', args: ['-o', 'pool.example:3333'], securityContext: { privileged: true }, resources: { limits: { cpu: '16' } } }] }),
      }),
      e.at(5000, {
        verb: 'create',
        user: { username: 'mallory@example.com', groups: ['system:authenticated'] },
        sourceIPs: [ATTACKER_IP],
        objectRef: ref('deployments', 'default', 'sim-worker', { apiGroup: 'apps', apiVersion: 'v1' }),
        responseStatus: { metadata: {}, code: 201 },
        requestObject: { kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: 'sim-worker' }, spec: { replicas: 20, template: { metadata: { labels: { app: 'sim-worker' } }, spec: { containers: [{ name: 'w', image: 'ghcr.io/sim/cpuminer-opt:latest' }] } } } },
      }),
    ],
  },
  {
    name: 'web-shell',
    description: 'A web shell in an application pod uses the pod\'s service-account token with curl: it lists what it may do, starts a privileged pod mounting the node\'s root file system, and opens a shell in it.',
    expectedRules: ['PAL-RT-065', 'PAL-RT-064', 'PAL-RT-001', 'PAL-RT-002', 'PAL-RT-004', 'PAL-RT-010'],
    build: (e) => [
      ...baseline(e, 'shop', 'shop-web', 'shop-web-5c4b-k2m'),
      e.at(0, { verb: 'create', user: sa('shop', 'shop-web', 'shop-web-5c4b-k2m'), userAgent: 'curl/7.88.1', sourceIPs: [POD_IP], objectRef: ref('selfsubjectrulesreviews', undefined, undefined, { apiGroup: 'authorization.k8s.io' }), responseStatus: { metadata: {}, code: 201 } }),
      e.at(30_000, {
        verb: 'create',
        user: sa('shop', 'shop-web', 'shop-web-5c4b-k2m'),
        userAgent: 'curl/7.88.1',
        sourceIPs: [POD_IP],
        objectRef: ref('pods', 'shop', 'sim-debug'),
        responseStatus: { metadata: {}, code: 201 },
        requestObject: pod('sim-debug', { hostPID: true, containers: [{ name: 'x', image: 'docker.io/library/alpine:3.19', command: ['sleep', 'infinity'], securityContext: { privileged: true }, volumeMounts: [{ name: 'host', mountPath: '/host' }] }], volumes: [{ name: 'host', hostPath: { path: '/' } }] }),
      }),
      ...execInto(e, 60_000, 'shop', 'sim-debug', 'chroot /host', sa('shop', 'shop-web', 'shop-web-5c4b-k2m')),
    ],
  },
  {
    name: 'privilege-escalation',
    description: 'A user with RBAC write access creates a wildcard ClusterRole and binds themselves to cluster-admin, then deletes Events to cover the tracks.',
    expectedRules: ['PAL-RT-021', 'PAL-RT-025', 'PAL-RT-020', 'PAL-RT-029'],
    build: (e) => [
      e.at(0, { verb: 'create', user: { username: 'mallory@example.com', groups: ['system:authenticated'] }, sourceIPs: [ATTACKER_IP], objectRef: ref('clusterroles', undefined, 'sim-ops', { apiGroup: 'rbac.authorization.k8s.io' }), responseStatus: { metadata: {}, code: 201 }, requestObject: { kind: 'ClusterRole', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: { name: 'sim-ops' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] } }),
      e.at(10_000, { verb: 'create', user: { username: 'mallory@example.com', groups: ['system:authenticated'] }, sourceIPs: [ATTACKER_IP], objectRef: ref('clusterrolebindings', undefined, 'sim-admin', { apiGroup: 'rbac.authorization.k8s.io' }), responseStatus: { metadata: {}, code: 201 }, requestObject: { kind: 'ClusterRoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: { name: 'sim-admin' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: 'mallory@example.com', apiGroup: 'rbac.authorization.k8s.io' }] } }),
      e.at(60_000, { verb: 'deletecollection', user: { username: 'mallory@example.com', groups: ['system:authenticated'] }, sourceIPs: [ATTACKER_IP], objectRef: ref('events', 'kube-system'), requestURI: '/api/v1/namespaces/kube-system/events' }),
    ],
  },
];

/** Scenario names, for the CLI's choices. */
export const SCENARIO_NAMES = SCENARIOS.map((s) => s.name);

/** The events of a scenario, the attack starting at `start` (ms; default now). Baseline traffic comes first. */
export function simulateEvents(name: string, start = Date.now()): Obj[] {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) throw new PalisadeError('E_USAGE', `unknown scenario "${name}" (${SCENARIO_NAMES.join(', ')})`);
  return s.build(new EventBuilder(s.name, start));
}

/** JSON lines, as an API server's log backend writes them. */
export function toJsonLines(events: readonly Obj[]): string {
  return events.map((e) => `${JSON.stringify(e)}\n`).join('');
}

/** Options of posting events to an audit webhook receiver. */
export interface PostOptions {
  /** Bearer token of the receiver. */
  token?: string;
  /** Events per EventList request (kube-apiserver's default batch is 400). */
  batchSize?: number;
  /** Trust this CA (PEM) for https. */
  ca?: string;
}

/** POSTs events as `audit.k8s.io/v1` EventList batches, as kube-apiserver's webhook backend does; rejects on a non-2xx answer. */
export async function postEvents(url: string, events: readonly Obj[], o: PostOptions = {}): Promise<{ batches: number }> {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new PalisadeError('E_USAGE', `--post: ${url} is not an http(s) URL`);
  const size = o.batchSize ?? 400;
  let batches = 0;
  for (let i = 0; i < events.length; i += size) {
    const body = JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: events.slice(i, i + size) });
    await new Promise<void>((resolve, reject) => {
      const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(
        u,
        { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) }, ...(o.ca ? { ca: o.ca } : {}) },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300 ? resolve() : reject(new PalisadeError('E_USAGE', `--post: ${u.origin} answered ${res.statusCode}${text ? `: ${text.slice(0, 200)}` : ''}`))));
        },
      );
      req.on('error', (e) => reject(new PalisadeError('E_READ', `--post: cannot reach ${u.origin}: ${e.message}`)));
      req.end(body);
    });
    batches++;
  }
  return { batches };
}
