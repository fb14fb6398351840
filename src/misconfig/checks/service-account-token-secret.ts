import { show, type Check } from '../check.js';

export const serviceAccountTokenSecret = {
  id: 'PAL-104',
  slug: 'service-account-token-secret',
  title: 'Long-lived service account token Secret',
  description:
    'A Secret of type `kubernetes.io/service-account-token` makes the control plane mint a token that never expires ' +
    'and stays valid until the Secret is deleted; anyone who can read the Secret, or finds a copy of the token, keeps ' +
    'the service account\'s permissions indefinitely. Pods get short-lived, audience-bound projected tokens instead.',
  remediation:
    'Delete the Secret. Pods already receive rotated tokens through projected volumes; for clients outside the cluster ' +
    'request a bounded token with the TokenRequest API (`kubectl create token <sa> --duration=...`) or use workload identity federation.',
  severity: 'low',
  category: 'secrets',
  kinds: ['Secret'],
  equivalents: {},
  evaluate({ object }) {
    if (object.type !== 'kubernetes.io/service-account-token') return [];
    const sa = object.metadata.annotations?.['kubernetes.io/service-account.name'];
    const owner = typeof sa === 'string' ? `ServiceAccount ${show(sa)}` : 'a ServiceAccount (annotation kubernetes.io/service-account.name not set)';
    return [{ path: ['type'], message: `Secret of type kubernetes.io/service-account-token holds a non-expiring token for ${owner}` }];
  },
} satisfies Check;
