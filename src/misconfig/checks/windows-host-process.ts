import { setField, describeContainer, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { containerSecurityContext, isRecord, podSecurityContext } from './lib/pod-security.js';

function hostProcess(sc: Record<string, unknown>): boolean {
  return isRecord(sc.windowsOptions) && sc.windowsOptions.hostProcess === true;
}

export const windowsHostProcess = {
  id: 'PAL-026',
  slug: 'windows-host-process',
  title: 'Windows HostProcess container',
  description:
    'A Windows HostProcess container runs directly on the node, outside any container isolation, with access to the ' +
    'host network and filesystem: it is the Windows equivalent of a privileged container. Pod Security Standards ' +
    '(baseline) forbid it.',
  remediation: 'Remove `windowsOptions.hostProcess: true` from the pod and container security contexts; run node administration outside the cluster workloads.',
  severity: 'critical',
  category: 'pod-security',
  kinds: POD_KINDS,
  equivalents: {
    polaris: ['hostProcess'],
    trivy: ['KSV103'],
  },
  evaluate({ pod }) {
    if (!pod) return [];
    const out: CheckResult[] = [];
    if (hostProcess(podSecurityContext(pod))) {
      const path = [...pod.specPath, 'securityContext', 'windowsOptions', 'hostProcess'];
      out.push({ path, message: 'pod sets securityContext.windowsOptions.hostProcess: true', fix: setField(path, false, 'disable hostProcess') });
    }
    for (const c of pod.allContainers) {
      if (!hostProcess(containerSecurityContext(c))) continue;
      const path = [...c.path, 'securityContext', 'windowsOptions', 'hostProcess'];
      out.push({ path, container: c.name, message: `${describeContainer(c)} sets securityContext.windowsOptions.hostProcess: true`, fix: setField(path, false, 'disable hostProcess') });
    }
    return out;
  },
} satisfies Check;
