import type { Check } from '../check.js';
import { effectiveNamespace } from '../../model/resource.js';
import { BUILT_IN_CLUSTER_ROLES, describeRbacObject, isPlatformBinding, isPlatformName } from './lib/rbac.js';

export const rbacBindingRoleNotFound = {
  id: 'PAL-077',
  slug: 'rbac-binding-role-not-found',
  title: 'Binding references a role that is not in the input',
  description:
    'A binding whose role does not exist grants nothing today, usually because of a typo or a renamed role; but it is ' +
    'a standing grant: whoever later creates a role of that name decides what its subjects may do.',
  remediation: 'Point roleRef at the intended Role or ClusterRole, or delete the binding.',
  severity: 'low',
  category: 'rbac',
  kinds: ['RoleBinding', 'ClusterRoleBinding'],
  crossResource: true,
  equivalents: {},
  evaluate({ resource, inventory }) {
    if (isPlatformBinding(resource)) return [];
    const ref = resource.object.roleRef;
    if (ref === null || typeof ref !== 'object' || Array.isArray(ref)) {
      return [{ path: ['roleRef'], message: `${describeRbacObject(resource)} has no roleRef mapping (kind, name)` }];
    }
    const { kind, name } = ref as { kind?: unknown; name?: unknown };
    if (typeof name !== 'string' || name === '' || (kind !== 'Role' && kind !== 'ClusterRole')) {
      return [{ path: ['roleRef'], message: `${describeRbacObject(resource)} roleRef does not name a Role or ClusterRole (kind ${JSON.stringify(kind)}, name ${JSON.stringify(name)})` }];
    }
    // Built-in and platform roles exist in every cluster without being in the input.
    if (isPlatformName(name) || (kind === 'ClusterRole' && BUILT_IN_CLUSTER_ROLES.includes(name))) return [];
    if (kind === 'Role') {
      if (resource.kind === 'ClusterRoleBinding') {
        return [{ path: ['roleRef', 'kind'], message: `${describeRbacObject(resource)} references Role "${name}": a ClusterRoleBinding can only reference a ClusterRole` }];
      }
      const ns = effectiveNamespace(resource);
      if (inventory.get('Role', ns, name)) return [];
      return [{ path: ['roleRef', 'name'], message: `${describeRbacObject(resource)} references Role "${name}", which is not in the input in namespace "${ns}"` }];
    }
    if (inventory.get('ClusterRole', undefined, name)) return [];
    return [{ path: ['roleRef', 'name'], message: `${describeRbacObject(resource)} references ClusterRole "${name}", which is not in the input` }];
  },
} satisfies Check;
