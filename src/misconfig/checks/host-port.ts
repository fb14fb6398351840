import { describeContainer, inContainer, removeField, show, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { hasContainers, isRecord } from './lib/pod-security.js';

export const hostPort = {
  id: 'PAL-005',
  slug: 'host-port',
  title: 'Container binds a host port',
  description:
    'A hostPort opens the port on the node itself: it bypasses Services and NetworkPolicies, ties the pod to nodes ' +
    'where the port is free, and exposes the container on the node\'s addresses. Pod Security Standards (baseline) ' +
    'allow host ports only from a known list.',
  remediation:
    'Remove `hostPort` and expose the container through a Service; if a node-level port is really needed (node ' +
    'agents), list it in `parameters.allowedHostPorts`.',
  severity: 'medium',
  category: 'pod-security',
  kinds: POD_KINDS,
  parameters: ['allowedHostPorts'],
  equivalents: {
    polaris: ['hostPortSet'],
    checkov: ['CKV_K8S_26'],
    kubescape: ['C-0044'],
    defender: ['Usage of host networking and ports should be restricted'],
    trivy: ['KSV024'],
  },
  appliesTo: hasContainers,
  evaluate({ pod, params }) {
    const allowed = new Set(params.allowedHostPorts);
    const allowedText = params.allowedHostPorts.length > 0 ? params.allowedHostPorts.join(', ') : 'none';
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      const ports = c.container.ports;
      if (!Array.isArray(ports)) continue;
      ports.forEach((p, i) => {
        if (!isRecord(p)) return;
        const hp = p.hostPort;
        // 0 and unset both mean "no host port"; anything else (even a malformed string) asks for one.
        if (hp === undefined || hp === null || hp === 0) return;
        if (typeof hp === 'number' && allowed.has(hp)) return;
        const sub = ['ports', i, 'hostPort'];
        out.push(inContainer(c, sub, `${describeContainer(c)} binds host port ${show(hp)} (allowed host ports: ${allowedText})`,
          removeField([...c.path, ...sub], `remove hostPort ${show(hp)}`)));
      });
    }
    return out;
  },
} satisfies Check;
