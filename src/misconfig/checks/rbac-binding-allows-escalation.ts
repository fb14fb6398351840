import type { Check } from '../check.js';
import { BIND_ACCESSES, ESCALATE_ACCESSES, evaluateBinding, judgeAccesses } from './lib/rbac.js';

const RBAC_ESCALATION = [...BIND_ACCESSES, ...ESCALATE_ACCESSES];

export const rbacBindingAllowsEscalation = {
  id: 'PAL-071',
  slug: 'rbac-binding-allows-escalation',
  title: 'Binding grants the bind or escalate verb',
  description:
    'bind and escalate switch off the API server\'s privilege-escalation prevention for RBAC: the subject can bind ' +
    'itself to, or rewrite its own role into, cluster-admin.',
  remediation: 'Bind a role without `bind` and `escalate` (and without `*` verbs on RBAC resources).',
  severity: 'high',
  category: 'rbac',
  kinds: ['RoleBinding', 'ClusterRoleBinding'],
  crossResource: true,
  equivalents: {
    checkov: ['CKV2_K8S_1'],
    kubescape: ['C-0191'],
  },
  evaluate({ resource, inventory }) {
    return evaluateBinding(resource, inventory, judgeAccesses(RBAC_ESCALATION), (what) => `${what}: whoever holds it can grant itself any permission`);
  },
} satisfies Check;
