import type { Check } from '../check.js';
import { describeRule, evaluateBinding, isFullAccessRule } from './lib/rbac.js';
import { effectiveNamespace } from '../../model/resource.js';

export const rbacBindingClusterAdmin = {
  id: 'PAL-066',
  slug: 'rbac-binding-cluster-admin',
  title: 'Binding grants cluster-admin or equivalent',
  description:
    'cluster-admin, or any role allowing every verb on every resource of every API group, is unrestricted control: ' +
    'through a ClusterRoleBinding of the whole cluster, through a RoleBinding of the namespace (Secrets and RBAC ' +
    'included). A leaked credential of any subject is a full compromise.',
  remediation:
    'Bind a role limited to the resources and verbs the subject needs; keep cluster-admin for a small break-glass ' +
    'group, bound only when needed.',
  severity: 'critical',
  category: 'rbac',
  kinds: ['RoleBinding', 'ClusterRoleBinding'],
  crossResource: true,
  equivalents: {
    polaris: ['clusterrolebindingClusterAdmin', 'rolebindingClusterAdminClusterRole', 'rolebindingClusterAdminRole'],
    kubescape: ['C-0035', 'C-0185'],
  },
  evaluate({ resource, inventory }) {
    const scope = resource.kind === 'ClusterRoleBinding' ? 'the whole cluster' : `namespace "${effectiveNamespace(resource)}"`;
    return evaluateBinding(
      resource,
      inventory,
      (rule) => (isFullAccessRule(rule) ? `allows every verb on every resource (${describeRule(rule)})` : undefined),
      (what) => `${what}: full control of ${scope}`,
    );
  },
} satisfies Check;
