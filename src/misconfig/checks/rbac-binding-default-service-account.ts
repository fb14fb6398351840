import type { Check } from '../check.js';
import { describeRbacObject, describeSubject, isDefaultServiceAccount, isPlatformBinding, subjectsOf, type Subject } from './lib/rbac.js';

/** `ServiceAccount "ns/default"`, also when written as its username. */
function defaultAccount(s: Subject): string {
  if (s.kind === 'ServiceAccount') return describeSubject(s);
  const ns = s.name.split(':')[2] ?? '?';
  return `ServiceAccount "${ns}/default" (as User "${s.name}")`;
}

export const rbacBindingDefaultServiceAccount = {
  id: 'PAL-073',
  slug: 'rbac-binding-default-service-account',
  title: 'Binding grants a role to a default service account',
  description:
    'Every pod that names no service account runs as its namespace\'s default ServiceAccount, so permissions bound to ' +
    'it go to every such pod, present and future, including ones that never needed API access.',
  remediation:
    'Create a dedicated ServiceAccount for the workload that needs the permissions, bind the role to it, and set ' +
    'serviceAccountName in that workload only.',
  severity: 'medium',
  category: 'rbac',
  kinds: ['RoleBinding', 'ClusterRoleBinding'],
  equivalents: {
    checkov: ['CKV_K8S_42'],
  },
  evaluate({ resource }) {
    if (isPlatformBinding(resource)) return [];
    const ref = resource.object.roleRef as { kind?: unknown; name?: unknown } | undefined;
    const role = ref && typeof ref.kind === 'string' && typeof ref.name === 'string' ? `${ref.kind} "${ref.name}"` : 'its role';
    return subjectsOf(resource)
      .filter(isDefaultServiceAccount)
      .map((s) => ({
        path: ['subjects', s.index],
        message: `${describeRbacObject(resource)} grants ${role} to the default ${defaultAccount(s)}: every pod of the namespace without its own service account gets it`,
      }));
  },
} satisfies Check;
