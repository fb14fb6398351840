import { selectorMatches } from '../inventory.js';
import { setField, type Check } from '../check.js';
import { podLabelsOf, replicasOf } from './lib/workloads.js';
import { NODE_SEPARATING_KEYS, ownPodSelector, spreadConstraints } from './lib/spreading.js';

export const replicasNotSpreadAcrossNodes = {
  id: 'PAL-047',
  slug: 'replicas-not-spread-across-nodes',
  title: 'Replicas may all be scheduled on one node',
  description:
    'Without pod anti-affinity (or a topology spread constraint) on the node hostname, the scheduler is free to ' +
    'place every replica on the same node, and one node failure or drain takes them all down. ' +
    'Controllers that explicitly run a single replica are skipped.',
  remediation:
    'Add a `podAntiAffinity` term (preferred or required) with `topologyKey: kubernetes.io/hostname` and a ' +
    'labelSelector matching the workload\'s own pods, or a topologySpreadConstraint on `kubernetes.io/hostname`.',
  severity: 'low',
  category: 'reliability',
  kinds: ['Deployment', 'StatefulSet'],
  equivalents: {
    kubeScore: ['deployment-has-host-podantiaffinity', 'statefulset-has-host-podantiaffinity'],
    kubeLinter: ['no-anti-affinity'],
  },
  appliesTo(ctx) {
    if (!ctx.pod) return false;
    const r = replicasOf(ctx);
    return r === undefined || r >= 2;
  },
  evaluate(ctx) {
    const pod = ctx.pod!;
    const labels = podLabelsOf(ctx);
    const anti = (pod.spec.affinity as { podAntiAffinity?: Record<string, unknown> } | undefined)?.podAntiAffinity;
    const terms: unknown[] = [];
    if (anti && typeof anti === 'object') {
      const req = anti.requiredDuringSchedulingIgnoredDuringExecution;
      if (Array.isArray(req)) terms.push(...req);
      const pref = anti.preferredDuringSchedulingIgnoredDuringExecution;
      if (Array.isArray(pref)) for (const p of pref) if (p && typeof p === 'object') terms.push((p as { podAffinityTerm?: unknown }).podAffinityTerm);
    }
    const separates = terms.some((t) => {
      if (!t || typeof t !== 'object') return false;
      const term = t as { topologyKey?: unknown; labelSelector?: unknown };
      return typeof term.topologyKey === 'string' && NODE_SEPARATING_KEYS.includes(term.topologyKey) && selectorMatches(term.labelSelector, labels);
    });
    if (separates) return [];
    const spreadsByHost = spreadConstraints(ctx).some((t) => {
      if (!t || typeof t !== 'object') return false;
      const c = t as { topologyKey?: unknown; labelSelector?: unknown };
      return c.topologyKey === 'kubernetes.io/hostname' && selectorMatches(c.labelSelector, labels);
    });
    if (spreadsByHost) return [];

    const selector = ownPodSelector(ctx);
    const prefPath = [...pod.specPath, 'affinity', 'podAntiAffinity', 'preferredDuringSchedulingIgnoredDuringExecution'];
    const existing = Array.isArray(anti?.preferredDuringSchedulingIgnoredDuringExecution) ? anti!.preferredDuringSchedulingIgnoredDuringExecution as unknown[] : [];
    const fix = selector
      ? setField([...prefPath, existing.length], {
          weight: 100,
          podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } },
        }, 'prefer scheduling replicas on different nodes (preferred pod anti-affinity on kubernetes.io/hostname)')
      : undefined;
    const r = replicasOf(ctx);
    const count = r === undefined ? 'its replicas' : `its ${r} replicas`;
    const msg = terms.length > 0
      ? `${ctx.resource.kind} has podAntiAffinity, but no term separates its own pods by node, so ${count} may share a node`
      : `${ctx.resource.kind} has no pod anti-affinity or hostname spread constraint, so ${count} may share a node`;
    return [{ path: [...pod.specPath, 'affinity', 'podAntiAffinity'], message: msg, fix }];
  },
} satisfies Check;
