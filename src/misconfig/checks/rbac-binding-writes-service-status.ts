import type { Check } from '../check.js';
import { CORE_GROUP, accesses, evaluateBinding, judgeAccesses } from './lib/rbac.js';

const SERVICE_STATUS_WRITE = accesses(CORE_GROUP, ['services/status'], ['update', 'patch']);

export const rbacBindingWritesServiceStatus = {
  id: 'PAL-070',
  slug: 'rbac-binding-writes-service-status',
  title: 'Binding grants write access to services/status',
  description:
    'Whoever can update services/status can set status.loadBalancer.ingress[].ip to any address; kube-proxy then ' +
    'routes traffic for that address to the Service, cluster-wide (CVE-2020-8554, never fixed in Kubernetes): a ' +
    'man-in-the-middle on other workloads and external endpoints.',
  remediation:
    'Grant update and patch on services/status only to the load-balancer controller; block externalIPs and ' +
    'load-balancer IP changes with an admission policy.',
  severity: 'medium',
  category: 'rbac',
  kinds: ['RoleBinding', 'ClusterRoleBinding'],
  crossResource: true,
  equivalents: {
    checkov: ['CKV2_K8S_4'],
  },
  evaluate({ resource, inventory }) {
    return evaluateBinding(resource, inventory, judgeAccesses(SERVICE_STATUS_WRITE), (what) => `${what}: whoever holds it can redirect traffic for any IP (CVE-2020-8554)`);
  },
} satisfies Check;
