import type { Check } from '../check.js';

export const nakedPod = {
  id: 'PAL-043',
  slug: 'naked-pod',
  title: 'Pod is not managed by a controller',
  description:
    'A bare Pod is not recreated when its node fails, is drained or evicts it, and cannot be rolled out or ' +
    'scaled. Workloads belong in a Deployment, StatefulSet, DaemonSet or Job. Static (mirror) pods are exempt.',
  remediation: 'Wrap the pod spec in a Deployment (or the controller that fits: StatefulSet, DaemonSet, Job) and apply that instead.',
  severity: 'low',
  category: 'reliability',
  kinds: ['Pod'],
  equivalents: {
    kubescape: ['C-0073'],
  },
  evaluate({ object }) {
    const refs = object.metadata.ownerReferences;
    if (Array.isArray(refs) && refs.some((o) => o !== null && typeof o === 'object')) return [];
    const annotations = object.metadata.annotations;
    if (annotations && typeof annotations === 'object' && 'kubernetes.io/config.mirror' in annotations) return [];
    return [{ path: ['metadata'], message: `Pod ${JSON.stringify(object.metadata.name ?? '')} has no ownerReferences: no controller recreates it if it dies` }];
  },
} satisfies Check;
