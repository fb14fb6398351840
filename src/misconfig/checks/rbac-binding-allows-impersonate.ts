import type { Check } from '../check.js';
import { IMPERSONATE_ACCESSES, evaluateBinding, judgeAccesses } from './lib/rbac.js';

export const rbacBindingAllowsImpersonate = {
  id: 'PAL-069',
  slug: 'rbac-binding-allows-impersonate',
  title: 'Binding grants impersonation',
  description:
    'impersonate on users, groups, serviceaccounts or uids lets the subject send requests as someone else, ' +
    'system:masters or a privileged service account included: its effective permissions are those of whoever it ' +
    'chooses to be.',
  remediation: 'Bind a role without the impersonate verb (and without `*` verbs on users, groups and serviceaccounts).',
  severity: 'high',
  category: 'rbac',
  kinds: ['RoleBinding', 'ClusterRoleBinding'],
  crossResource: true,
  equivalents: {
    checkov: ['CKV2_K8S_3'],
    kubescape: ['C-0065'],
  },
  evaluate({ resource, inventory }) {
    return evaluateBinding(resource, inventory, judgeAccesses(IMPERSONATE_ACCESSES), (what) => `${what}: whoever holds it can act as other identities`);
  },
} satisfies Check;
