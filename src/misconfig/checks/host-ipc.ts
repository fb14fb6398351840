import { removeField, type Check } from '../check.js';
import { POD_KINDS } from '../pod-view.js';

export const hostIpc = {
  id: 'PAL-004',
  slug: 'host-ipc',
  title: 'Pod shares the host IPC namespace',
  description:
    'With hostIPC the pod shares System V IPC and POSIX shared memory with every process on the node, so it can ' +
    'read or tamper with the shared memory of other workloads and of host daemons. Pod Security Standards ' +
    '(baseline) forbid it.',
  remediation: 'Remove `hostIPC: true` from the pod spec.',
  severity: 'high',
  category: 'pod-security',
  kinds: POD_KINDS,
  equivalents: {
    polaris: ['hostIPCSet'],
    checkov: ['CKV_K8S_18'],
    kubescape: ['C-0038'],
    kubeLinter: ['host-ipc'],
    defender: ['Containers sharing sensitive host namespaces should be avoided'],
    trivy: ['KSV008'],
  },
  evaluate({ pod }) {
    if (!pod || pod.spec.hostIPC !== true) return [];
    const path = [...pod.specPath, 'hostIPC'];
    return [{ path, message: 'pod sets hostIPC: true', fix: removeField(path, 'remove hostIPC') }];
  },
} satisfies Check;
