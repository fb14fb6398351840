import type { Check } from '../check.js';
import { effectiveNamespace } from '../../model/resource.js';
import { POD_KINDS } from '../pod-view.js';
import { serviceAccountOf, tokenMount } from './lib/rbac.js';

export const workloadDefaultServiceAccount = {
  id: 'PAL-075',
  slug: 'workload-default-service-account',
  title: 'Workload runs as the default ServiceAccount with an API token',
  description:
    'The default ServiceAccount is shared by every pod of the namespace that names no other: any permission ever ' +
    'bound to it reaches all of them, and a compromised pod holds the same identity as its neighbours.',
  remediation:
    'Create a ServiceAccount for the workload and set `serviceAccountName`; if the workload does not call the API, ' +
    'set `automountServiceAccountToken: false` instead.',
  severity: 'low',
  category: 'rbac',
  kinds: POD_KINDS,
  crossResource: true,
  equivalents: {
    kubeLinter: ['default-service-account'],
  },
  appliesTo: ({ pod }) => pod !== undefined,
  evaluate({ resource, pod, inventory }) {
    const sa = serviceAccountOf(pod!);
    if (sa.name !== 'default') return [];
    // Without a token the pod cannot act as the account: nothing is shared.
    const token = tokenMount(pod!, inventory, effectiveNamespace(resource) ?? 'default');
    if (!token.mounted) return [];
    const how = sa.field === undefined ? 'names no service account' : `sets ${sa.field}: "default"`;
    return [{
      path: [...pod!.specPath, sa.field ?? 'serviceAccountName'],
      message: `pod ${how}, so it runs as ServiceAccount "${effectiveNamespace(resource) ?? 'default'}/default" with its API token mounted (${token.reason})`,
    }];
  },
} satisfies Check;
