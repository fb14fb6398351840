import { setField, type Check } from '../check.js';
import { replicasOf } from './lib/workloads.js';
import { ownPodSelector, spreadConstraints, spreadPath } from './lib/spreading.js';

export const topologySpreadConstraintsMissing = {
  id: 'PAL-045',
  slug: 'topology-spread-constraints-missing',
  title: 'Replicated workload has no topology spread constraints',
  description:
    'Without topologySpreadConstraints the scheduler may put most replicas in one zone or on one node, so a ' +
    'single zone or node failure takes the service down despite its replica count. Single-replica controllers ' +
    'and DaemonSets (one pod per node by design) are skipped.',
  remediation:
    'Add `topologySpreadConstraints` to the pod spec, e.g. `maxSkew: 1`, `topologyKey: topology.kubernetes.io/zone`, ' +
    '`whenUnsatisfiable: ScheduleAnyway` and a labelSelector that matches the workload\'s own pods.',
  severity: 'low',
  category: 'reliability',
  kinds: ['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController'],
  equivalents: {
    polaris: ['topologySpreadConstraint'],
  },
  appliesTo(ctx) {
    if (!ctx.pod) return false;
    const r = replicasOf(ctx);
    // Unset replicas usually means an autoscaler owns the count: still a replicated workload.
    return r === undefined || r >= 2;
  },
  evaluate(ctx) {
    if (spreadConstraints(ctx).length > 0) return [];
    const selector = ownPodSelector(ctx);
    const constraint = {
      maxSkew: 1,
      topologyKey: 'topology.kubernetes.io/zone',
      whenUnsatisfiable: 'ScheduleAnyway',
      ...(selector ? { labelSelector: { matchLabels: selector } } : {}),
    };
    return [{
      path: spreadPath(ctx),
      message: `${ctx.resource.kind} sets no topologySpreadConstraints: its replicas may all land in one zone`,
      fix: selector ? setField(spreadPath(ctx), [constraint], 'spread replicas across zones (maxSkew 1, ScheduleAnyway)') : undefined,
    }];
  },
} satisfies Check;
