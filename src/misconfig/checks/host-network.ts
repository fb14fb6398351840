import { removeField, type Check } from '../check.js';
import { POD_KINDS } from '../pod-view.js';

export const hostNetwork = {
  id: 'PAL-003',
  slug: 'host-network',
  title: 'Pod shares the host network namespace',
  description:
    'With hostNetwork the pod uses the node\'s network stack: it can bind any node port, reach services listening on ' +
    'localhost (kubelet, cloud metadata proxies), sniff node traffic and bypass NetworkPolicies. Pod Security ' +
    'Standards (baseline) forbid it.',
  remediation: 'Remove `hostNetwork: true` from the pod spec; expose the workload through a Service instead.',
  severity: 'high',
  category: 'pod-security',
  kinds: POD_KINDS,
  equivalents: {
    polaris: ['hostNetworkSet'],
    checkov: ['CKV_K8S_19'],
    kubescape: ['C-0041'],
    kubeLinter: ['host-network'],
    defender: ['Usage of host networking and ports should be restricted'],
    trivy: ['KSV009'],
  },
  evaluate({ pod }) {
    if (!pod || pod.spec.hostNetwork !== true) return [];
    const path = [...pod.specPath, 'hostNetwork'];
    return [{ path, message: 'pod sets hostNetwork: true', fix: removeField(path, 'remove hostNetwork') }];
  },
} satisfies Check;
