import { selectorMatches } from '../inventory.js';
import { show, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { podLabelsOf } from './lib/workloads.js';
import { spreadPath } from './lib/spreading.js';

export const topologySpreadConstraintsInvalid = {
  id: 'PAL-046',
  slug: 'topology-spread-constraints-invalid',
  title: 'Topology spread constraint is invalid or ineffective',
  description:
    'A topology spread constraint with a bad maxSkew, minDomains or whenUnsatisfiable is rejected by the API ' +
    'server; one without a topologyKey or a labelSelector, or whose selector does not match the pod\'s own labels, ' +
    'spreads nothing. Either way the replicas are not spread as the author intended.',
  remediation:
    'Give every constraint `maxSkew` >= 1, a `topologyKey`, `whenUnsatisfiable: DoNotSchedule` or `ScheduleAnyway`, ' +
    '`minDomains` >= 1 only with DoNotSchedule, and a `labelSelector` that matches the pod template\'s labels.',
  severity: 'low',
  category: 'reliability',
  kinds: POD_KINDS,
  equivalents: {
    kubeScore: ['pod-topology-spread-constraints'],
  },
  appliesTo: ({ pod }) => pod !== undefined && pod.spec.topologySpreadConstraints !== undefined && pod.spec.topologySpreadConstraints !== null,
  evaluate(ctx) {
    const base = spreadPath(ctx);
    const list = ctx.pod!.spec.topologySpreadConstraints;
    if (!Array.isArray(list)) return [{ path: base, message: `topologySpreadConstraints is not a list (${show(list)})` }];
    const out: CheckResult[] = [];
    const labels = podLabelsOf(ctx);
    const seen = new Set<string>();
    list.forEach((raw, i) => {
      const at = (field?: string) => (field ? [...base, i, field] : [...base, i]);
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
        out.push({ path: at(), message: `topologySpreadConstraints[${i}] is not an object (${show(raw)})` });
        return;
      }
      const c = raw as Record<string, unknown>;
      const prefix = `topologySpreadConstraints[${i}]`;
      if (!(typeof c.maxSkew === 'number' && Number.isInteger(c.maxSkew) && c.maxSkew >= 1)) {
        out.push({ path: at('maxSkew'), message: `${prefix} maxSkew ${show(c.maxSkew)} must be an integer >= 1` });
      }
      if (typeof c.topologyKey !== 'string' || c.topologyKey.trim() === '') {
        out.push({ path: at('topologyKey'), message: `${prefix} has no topologyKey (${show(c.topologyKey)})` });
      }
      const when = c.whenUnsatisfiable;
      if (when !== 'DoNotSchedule' && when !== 'ScheduleAnyway') {
        out.push({ path: at('whenUnsatisfiable'), message: `${prefix} whenUnsatisfiable ${show(when)} must be DoNotSchedule or ScheduleAnyway` });
      }
      if (c.minDomains !== undefined && c.minDomains !== null) {
        if (!(typeof c.minDomains === 'number' && Number.isInteger(c.minDomains) && c.minDomains >= 1)) {
          out.push({ path: at('minDomains'), message: `${prefix} minDomains ${show(c.minDomains)} must be an integer >= 1` });
        } else if (when === 'ScheduleAnyway') {
          out.push({ path: at('minDomains'), message: `${prefix} sets minDomains with whenUnsatisfiable ScheduleAnyway, which the API server rejects` });
        }
      }
      for (const policy of ['nodeAffinityPolicy', 'nodeTaintsPolicy'] as const) {
        const v = c[policy];
        if (v !== undefined && v !== null && v !== 'Honor' && v !== 'Ignore') {
          out.push({ path: at(policy), message: `${prefix} ${policy} ${show(v)} must be Honor or Ignore` });
        }
      }
      const sel = c.labelSelector;
      if (sel === undefined || sel === null || typeof sel !== 'object' || Array.isArray(sel)) {
        out.push({ path: at('labelSelector'), message: `${prefix} has no labelSelector, so it counts no pods and spreads nothing` });
      } else if (!selectorMatches(sel, labels)) {
        out.push({ path: at('labelSelector'), message: `${prefix} labelSelector does not match the pod's own labels, so it does not spread these pods` });
      }
      if (typeof c.topologyKey === 'string' && typeof when === 'string') {
        const key = `${c.topologyKey}|${when}`;
        if (seen.has(key)) out.push({ path: at('topologyKey'), message: `${prefix} repeats topologyKey ${show(c.topologyKey)} with ${when}, which the API server rejects` });
        seen.add(key);
      }
    });
    return out;
  },
} satisfies Check;
