import type { Check } from '../check.js';
import { ESCALATE_ACCESSES, evaluateRole, judgeAccesses } from './lib/rbac.js';

export const rbacRoleAllowsEscalate = {
  id: 'PAL-062',
  slug: 'rbac-role-allows-escalate',
  title: 'Role allows the escalate verb on roles',
  description:
    'The API server normally refuses to let anyone write a Role or ClusterRole granting more than they already hold. ' +
    'The `escalate` verb switches that protection off: its holder can edit a role it is bound to into cluster-admin.',
  remediation: 'Remove `escalate` (and `*` verbs) on roles and clusterroles from the role.',
  severity: 'high',
  category: 'rbac',
  kinds: ['Role', 'ClusterRole'],
  equivalents: {
    checkov: ['CKV_K8S_158'],
  },
  evaluate({ resource }) {
    return evaluateRole(resource, judgeAccesses(ESCALATE_ACCESSES), (what) => `${what}: whoever holds it can grant itself any permission`);
  },
} satisfies Check;
