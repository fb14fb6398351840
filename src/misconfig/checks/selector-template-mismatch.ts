import { mapSelectorMatches, selectorMatches } from '../inventory.js';
import { type Check } from '../check.js';
import { podLabelsOf } from './lib/workloads.js';

/** API versions whose controllers default a missing selector to the template labels. */
const SELECTOR_DEFAULTED = new Set(['extensions/v1beta1', 'apps/v1beta1']);

export const selectorTemplateMismatch = {
  id: 'PAL-052',
  slug: 'selector-template-mismatch',
  title: 'Controller selector does not match its pod template labels',
  description:
    'A controller owns the pods its selector matches. When the selector does not match the labels of its own pod ' +
    'template the API server rejects it; when it is missing or empty (where older API versions allowed that) it ' +
    'can adopt or fight over other workloads\' pods.',
  remediation:
    'Write `spec.selector.matchLabels` with a subset of `spec.template.metadata.labels` that identifies this ' +
    'workload\'s pods only (e.g. `app.kubernetes.io/name` and `app.kubernetes.io/instance`).',
  severity: 'medium',
  category: 'configuration',
  kinds: ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController'],
  equivalents: {
    kubeScore: ['deployment-pod-selector-labels-match-template-metadata-labels', 'statefulset-pod-selector-labels-match-template-metadata-labels'],
    kubeLinter: ['mismatching-selector'],
  },
  appliesTo: ({ pod }) => pod !== undefined,
  evaluate(ctx) {
    const { object } = ctx;
    const selector = (object.spec as { selector?: unknown } | undefined)?.selector;
    const labels = podLabelsOf(ctx);
    const shown = Object.keys(labels).length > 0 ? JSON.stringify(labels) : 'none';
    if (object.kind === 'ReplicationController') {
      // A map selector; unset means "the template labels".
      if (selector === undefined || selector === null) return [];
      if (typeof selector === 'object' && !Array.isArray(selector) && Object.keys(selector).length === 0) return [];
      if (mapSelectorMatches(selector, labels)) return [];
      return [{ path: ['spec', 'selector'], message: `selector ${JSON.stringify(selector)} does not match the pod template labels (${shown})` }];
    }
    if (selector === undefined || selector === null) {
      if (SELECTOR_DEFAULTED.has(object.apiVersion)) return [];
      return [{ path: ['spec', 'selector'], message: `${object.kind} has no spec.selector, which ${object.apiVersion} requires` }];
    }
    if (typeof selector !== 'object' || Array.isArray(selector)) {
      return [{ path: ['spec', 'selector'], message: `spec.selector is not a label selector (${JSON.stringify(selector)})` }];
    }
    const sel = selector as { matchLabels?: unknown; matchExpressions?: unknown };
    const empty = (!sel.matchLabels || Object.keys(sel.matchLabels as object).length === 0) && (!Array.isArray(sel.matchExpressions) || sel.matchExpressions.length === 0);
    if (empty) {
      return [{ path: ['spec', 'selector'], message: `${object.kind} spec.selector is empty: it would select every pod in the namespace` }];
    }
    if (selectorMatches(selector, labels)) return [];
    return [{ path: ['spec', 'selector'], message: `selector ${JSON.stringify(selector)} does not match the pod template labels (${shown})` }];
  },
} satisfies Check;
