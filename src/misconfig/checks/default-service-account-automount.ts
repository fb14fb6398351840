import { setField, type Check } from '../check.js';
import { effectiveNamespace } from '../../model/resource.js';

export const defaultServiceAccountAutomount = {
  id: 'PAL-074',
  slug: 'default-service-account-automount',
  title: 'Default ServiceAccount automounts its token',
  description:
    'Every pod that names no service account runs as its namespace\'s default ServiceAccount; unless that account ' +
    'disables automounting, each of them gets an API token, whether it needs one or not.',
  remediation:
    'Set `automountServiceAccountToken: false` on the default ServiceAccount of each namespace, and give workloads ' +
    'that need the API their own ServiceAccount.',
  severity: 'low',
  category: 'rbac',
  kinds: ['ServiceAccount'],
  equivalents: {
    checkov: ['CKV_K8S_41'],
    kubescape: ['C-0189'],
  },
  evaluate({ resource, object }) {
    // Other ServiceAccounts pass: they are used only by the pods that name them.
    if (resource.name !== 'default') return [];
    const v = object.automountServiceAccountToken;
    if (v === false) return [];
    const fix = setField(['automountServiceAccountToken'], false, 'set automountServiceAccountToken: false');
    const ns = effectiveNamespace(resource);
    return [{
      path: ['automountServiceAccountToken'],
      message: v === true
        ? `the default ServiceAccount of namespace "${ns}" sets automountServiceAccountToken: true`
        : `the default ServiceAccount of namespace "${ns}" does not set automountServiceAccountToken: false, so its token is mounted into every pod that names no service account`,
      fix,
    }];
  },
} satisfies Check;
