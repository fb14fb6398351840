import type { Check } from '../check.js';
import { CREATE_POD_ACCESSES, evaluateBinding, judgeAccesses } from './lib/rbac.js';

export const rbacBindingCreatesPods = {
  id: 'PAL-072',
  slug: 'rbac-binding-creates-pods',
  title: 'Binding grants creating pods or workloads',
  description:
    'Whoever can create pods, directly or through a Deployment, DaemonSet, StatefulSet, ReplicaSet, Job or CronJob, ' +
    'can run them as any service account of the namespace and mount any of its Secrets, and, where Pod Security ' +
    'admission allows it, start privileged or host-namespace pods.',
  remediation:
    'Keep pod and workload creation to deployment pipelines and controllers; bind humans to read-only roles and ' +
    'enforce a restricted Pod Security level on the namespace.',
  severity: 'medium',
  category: 'rbac',
  kinds: ['RoleBinding', 'ClusterRoleBinding'],
  crossResource: true,
  equivalents: {
    kubescape: ['C-0188'],
  },
  evaluate({ resource, inventory }) {
    return evaluateBinding(resource, inventory, judgeAccesses(CREATE_POD_ACCESSES), (what) => `${what}: whoever holds it can run pods with any service account of the namespace`);
  },
} satisfies Check;
