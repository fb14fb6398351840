import type { Check } from '../check.js';
import { describeRbacObject, describeSubject, isPlatformBinding, subjectsOf, type Subject } from './lib/rbac.js';

/** Subjects that stand for everyone: unauthenticated requests, or every authenticated identity. */
function everyone(s: Subject): string | undefined {
  if (s.kind === 'User' && s.name === 'system:anonymous') return 'every unauthenticated request';
  if (s.kind === 'Group' && s.name === 'system:unauthenticated') return 'every unauthenticated request';
  if (s.kind === 'Group' && s.name === 'system:authenticated') return 'every authenticated identity, every service account of every namespace included';
  return undefined;
}

export const rbacBindingGrantsAnonymous = {
  id: 'PAL-078',
  slug: 'rbac-binding-grants-anonymous',
  title: 'Binding grants a role to anonymous or all authenticated users',
  description:
    'system:anonymous and system:unauthenticated are anyone who can reach the API server, system:authenticated is ' +
    'every user and every service account of the cluster: a role bound to them is public.',
  remediation:
    'Bind the role to the specific users, groups or service accounts that need it; keep the platform\'s own ' +
    'system: bindings for discovery and health endpoints as they are.',
  severity: 'high',
  category: 'rbac',
  kinds: ['RoleBinding', 'ClusterRoleBinding'],
  equivalents: {
    kubescape: ['C-0262'],
  },
  evaluate({ resource }) {
    // The platform's own bindings (system:public-info-viewer, system:discovery, ...) are expected.
    if (isPlatformBinding(resource)) return [];
    const ref = resource.object.roleRef as { kind?: unknown; name?: unknown } | undefined;
    const role = ref && typeof ref.kind === 'string' && typeof ref.name === 'string' ? `${ref.kind} "${ref.name}"` : 'its role';
    return subjectsOf(resource).flatMap((s) => {
      const who = everyone(s);
      return who ? [{ path: ['subjects', s.index], message: `${describeRbacObject(resource)} grants ${role} to ${describeSubject(s)}: ${who}` }] : [];
    });
  },
} satisfies Check;
