import type { Check } from '../check.js';
import { EXEC_ACCESSES, EXEC_CONSEQUENCE, evaluateBinding, judgeAccesses } from './lib/rbac.js';

export const rbacBindingAllowsExec = {
  id: 'PAL-067',
  slug: 'rbac-binding-allows-exec',
  title: 'Binding grants exec or attach into containers',
  description:
    'The binding gives its subjects pods/exec, pods/attach or nodes/proxy: a shell in running containers, with their ' +
    'service account tokens, mounted Secrets and network position. `get` is enough, since the WebSocket upgrade of an ' +
    'exec is a GET request.',
  remediation:
    'Bind a role without pods/exec, pods/attach and nodes/proxy; grant exec through a separate break-glass binding ' +
    'when it is needed.',
  severity: 'high',
  category: 'rbac',
  kinds: ['RoleBinding', 'ClusterRoleBinding'],
  crossResource: true,
  equivalents: {
    polaris: ['clusterrolebindingPodExecAttach', 'rolebindingClusterRolePodExecAttach', 'rolebindingRolePodExecAttach'],
    checkov: ['CKV2_K8S_2'],
    kubescape: ['C-0002'],
  },
  evaluate({ resource, inventory }) {
    return evaluateBinding(resource, inventory, judgeAccesses(EXEC_ACCESSES), (what) => `${what}: ${EXEC_CONSEQUENCE}`);
  },
} satisfies Check;
