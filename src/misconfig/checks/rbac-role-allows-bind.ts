import type { Check } from '../check.js';
import { BIND_ACCESSES, evaluateRole, judgeAccesses } from './lib/rbac.js';

export const rbacRoleAllowsBind = {
  id: 'PAL-063',
  slug: 'rbac-role-allows-bind',
  title: 'Role allows the bind verb',
  description:
    'The API server normally refuses to let anyone create a binding to a role granting more than they already hold. ' +
    'The `bind` verb switches that protection off: with it and the right to create bindings, its holder can bind ' +
    'itself to cluster-admin.',
  remediation: 'Remove `bind` (and `*` verbs) on roles, clusterroles and their bindings from the role.',
  severity: 'high',
  category: 'rbac',
  kinds: ['Role', 'ClusterRole'],
  equivalents: {
    checkov: ['CKV_K8S_157'],
  },
  evaluate({ resource }) {
    return evaluateRole(resource, judgeAccesses(BIND_ACCESSES), (what) => `${what}: whoever holds it can bind any role, including ones granting more than it holds`);
  },
} satisfies Check;
