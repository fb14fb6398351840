import { setField, type Check } from '../check.js';
import { autoscalerOf, describeServices, replicasOf, targetingOf } from './lib/workloads.js';

export const replicasBelowMinimum = {
  id: 'PAL-042',
  slug: 'replicas-below-minimum',
  title: 'Deployment runs fewer replicas than the minimum',
  description:
    'A Deployment with a single replica is down whenever its pod is: on every rollout with maxSurge 0, node ' +
    'drain, eviction or crash. The minimum is `parameters.minReplicas` (default 2). Deployments scaled by a ' +
    'HorizontalPodAutoscaler, scaled to zero on purpose, or (when the input holds Services) selected by no ' +
    'Service are skipped.',
  remediation: 'Raise `spec.replicas` to at least the minimum, or let a HorizontalPodAutoscaler with that minReplicas manage it.',
  severity: 'low',
  category: 'reliability',
  kinds: ['Deployment'],
  crossResource: true,
  parameters: ['minReplicas'],
  equivalents: {
    polaris: ['deploymentMissingReplicas'],
    kubeScore: ['deployment-replicas'],
  },
  appliesTo(ctx) {
    const r = replicasOf(ctx);
    if (r === 0 || Number.isNaN(r)) return false;
    if (autoscalerOf(ctx.inventory, ctx.resource)) return false;
    const t = targetingOf(ctx);
    return !t.known || t.services.length > 0;
  },
  evaluate(ctx) {
    const min = ctx.params.minReplicas;
    const r = replicasOf(ctx);
    const effective = r ?? 1;
    if (effective >= min) return [];
    const t = targetingOf(ctx);
    const served = t.services.length > 0 ? ` behind ${describeServices(t.services)}` : '';
    const what = r === undefined ? 'sets no spec.replicas, so it runs 1 replica' : `runs ${r} replica${r === 1 ? '' : 's'}`;
    return [{
      path: ['spec', 'replicas'],
      message: `Deployment ${what}${served}; the minimum is ${min}`,
      fix: setField(['spec', 'replicas'], min, `set spec.replicas to ${min}`),
    }];
  },
} satisfies Check;
