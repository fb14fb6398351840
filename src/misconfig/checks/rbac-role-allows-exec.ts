import type { Check } from '../check.js';
import { EXEC_ACCESSES, EXEC_CONSEQUENCE, evaluateRole, judgeAccesses } from './lib/rbac.js';

export const rbacRoleAllowsExec = {
  id: 'PAL-061',
  slug: 'rbac-role-allows-exec',
  title: 'Role allows exec or attach into containers',
  description:
    'pods/exec and pods/attach open a shell in running containers, with their service account token, mounted Secrets ' +
    'and network position; nodes/proxy reaches the kubelet API and so every container of the node. `get` is enough: ' +
    'the WebSocket upgrade of an exec is a GET request.',
  remediation:
    'Remove pods/exec, pods/attach and nodes/proxy (and `*` resources) from the role, or restrict `get`/`create` on them ' +
    'to a break-glass role bound only when needed.',
  severity: 'high',
  category: 'rbac',
  kinds: ['Role', 'ClusterRole'],
  equivalents: {
    polaris: ['rolePodExecAttach', 'clusterrolePodExecAttach'],
    trivy: ['KSV053', 'KSV054', 'KSV047'],
  },
  evaluate({ resource }) {
    return evaluateRole(resource, judgeAccesses(EXEC_ACCESSES), (what) => `${what}: ${EXEC_CONSEQUENCE}`);
  },
} satisfies Check;
