import { RateCounter, type RateOptions } from '../rate.js';
import { eventTimeMs, isOnceAllowed, isoTime, onceAllowed, NO_FINDINGS, type Detector, type DetectorFinding, type DetectorState, type EventContext } from './detector.js';

/** Defaults: 15 distinct secrets (or namespaces listed) by one identity within 10 minutes; 20,000 identities remembered. */
export const SECRETS_MASS_READ_LIMITS: RateOptions = { windowMs: 10 * 60_000, threshold: 15, maxKeys: 20_000 };

/** Identities that read many secrets by design: the control plane, nodes (kubelets fetch their pods' secrets), kube-system controllers. */
const EXPECTED_READERS = ['system:kube-controller-manager', 'system:kube-scheduler', 'system:apiserver', 'system:node:', 'system:serviceaccount:kube-system:'];

/**
 * One identity reads many different secrets, or lists secrets in many namespaces, within minutes: collecting
 * credentials. Each `get` counts its secret, each `list` or `watch` counts its namespace (a cluster-wide list
 * counts once, as `<all namespaces>`).
 */
export const secretsMassRead = {
  id: 'PAL-RT-067',
  slug: 'secrets-mass-read',
  title: 'Mass reading of secrets by one identity',
  description:
    'One identity read at least 15 different Secrets (or listed Secrets in 15 namespaces) ' +
    'within 10 minutes. Applications read the few Secrets they need; harvesting every credential of ' +
    'the cluster is a step of most intrusions. The control plane, nodes and kube-system controllers are not ' +
    'counted. One alert per burst.',
  severity: 'high',
  mitre: { tactics: ['TA0006', 'TA0009'], techniques: ['T1552.007', 'T1555'] },
  nextSteps: [
    'Check who the identity is and whether a backup, GitOps or secret-sync tool explains the reads; add it as an exception if so.',
    'Otherwise treat every Secret read as exposed: rotate them, starting with cloud and registry credentials.',
    'Narrow the Role or ClusterRole that grants get/list on secrets to this identity.',
  ],
  enabled: true,
  tags: ['stateful', 'rate'],
  equivalents: { defender: ['K8S_AnomalousSecretAccess'] },
  match: { verbs: ['get', 'list', 'watch'], resources: ['secrets'] },
  skips: (k) => !onceAllowed(k.stage, k.code, k.verb),
  start(saved?: unknown): DetectorState {
    const counter = new RateCounter(SECRETS_MASS_READ_LIMITS, saved);
    return {
      observe(ctx: EventContext): DetectorFinding[] {
        if (!isOnceAllowed(ctx)) return NO_FINDINGS;
        const username = (ctx.user as { username: string }).username;
        if (username === '' || EXPECTED_READERS.some((p) => username.startsWith(p))) return NO_FINDINGS;
        const t = eventTimeMs(ctx);
        if (t === undefined) return NO_FINDINGS;
        const target = ctx.target as { namespace: string; name: string };
        const item = ctx.verb === 'get' ? `${target.namespace}/${target.name}` : `list ${target.namespace || '<all namespaces>'}`;
        const burst = counter.add(username, t, item);
        if (!burst) return NO_FINDINGS;
        return [{ output: `${username} read ${burst.count} secrets or secret lists since ${isoTime(burst.since)} from ${(ctx.sourceIPs as string[])[0] ?? '<unknown>'} (recent: ${burst.sample.join(', ')})` }];
      },
      save: () => counter.save(),
    };
  },
} satisfies Detector;
