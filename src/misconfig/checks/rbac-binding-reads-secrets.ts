import type { Check } from '../check.js';
import { SECRET_READ_ACCESSES, evaluateBinding, judgeAccesses } from './lib/rbac.js';

export const rbacBindingReadsSecrets = {
  id: 'PAL-068',
  slug: 'rbac-binding-reads-secrets',
  title: 'Binding grants read access to Secrets',
  description:
    'get, list or watch on Secrets exposes every credential of the scope, service account tokens of more privileged ' +
    'accounts included; list and watch return the values, not just the names.',
  remediation:
    'Bind a role without get/list/watch on secrets, or narrow the rule with resourceNames to the Secrets the subject ' +
    'needs; mount Secrets into pods instead of reading them through the API.',
  severity: 'high',
  category: 'rbac',
  kinds: ['RoleBinding', 'ClusterRoleBinding'],
  crossResource: true,
  equivalents: {
    checkov: ['CKV2_K8S_5'],
    kubescape: ['C-0015', 'C-0186'],
  },
  evaluate({ resource, inventory }) {
    // A rule narrowed by resourceNames reads named Secrets only: not "all secrets".
    return evaluateBinding(resource, inventory, judgeAccesses(SECRET_READ_ACCESSES, { ignoreNamedRules: true }), (what) => `${what}: every Secret of its scope is readable`);
  },
} satisfies Check;
