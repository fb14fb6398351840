import type { Check } from '../check.js';
import { apiGroup, hpaTarget, nsOf } from './lib/cross-resource.js';

/** An HPA whose scaleTargetRef names no resource of the input (same namespace, kind, name and API group). */
export const hpaTargetNotFound = {
  id: 'PAL-096',
  slug: 'hpa-target-not-found',
  title: 'HorizontalPodAutoscaler targets a resource that is not in the input',
  description:
    'An autoscaler whose scale target does not exist does nothing; the workload it was written for (usually renamed) runs ' +
    'at a fixed size without anyone noticing.',
  remediation: 'Make spec.scaleTargetRef (apiVersion, kind, name) name the workload it should scale, in the same namespace.',
  severity: 'low',
  category: 'reliability',
  kinds: ['HorizontalPodAutoscaler'],
  crossResource: true,
  equivalents: {
    kubeScore: ['horizontalpodautoscaler-has-target'],
    kubeLinter: ['dangling-horizontalpodautoscaler'],
  },
  evaluate({ resource, inventory }) {
    const t = hpaTarget(resource);
    if (!t) return [{ path: ['spec', 'scaleTargetRef'], message: 'scaleTargetRef does not name a kind and a name' }];
    const ns = nsOf(resource);
    const target = inventory.get(t.kind, ns, t.name);
    if (target && (t.apiVersion === undefined || apiGroup(t.apiVersion) === apiGroup(target.apiVersion))) return [];
    const what = `${t.apiVersion ? `${t.apiVersion} ` : ''}${t.kind} "${t.name}"`;
    const why = target ? ` (the input has ${target.apiVersion} ${target.kind} "${t.name}", another API group)` : '';
    return [{ path: ['spec', 'scaleTargetRef', 'name'], message: `scale target ${what} is not in the input in namespace "${ns}"${why}` }];
  },
} satisfies Check;
