import { removeField, show, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { isRecord, podSecurityContext } from './lib/pod-security.js';

/**
 * Pod Security Standards (baseline): the namespaced sysctls that are isolated per pod and cannot affect
 * other pods or the node.
 */
const SAFE_SYSCTLS: ReadonlySet<string> = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);

export const unsafeSysctls = {
  id: 'PAL-020',
  slug: 'unsafe-sysctls',
  title: 'Pod sets an unsafe sysctl',
  description:
    'Most kernel parameters are shared by every pod on the node or can starve it (shared memory, message queues, ' +
    'network buffers). Pod Security Standards (baseline) allow a pod to set only the small list of sysctls that ' +
    'are isolated per pod.',
  remediation:
    'Remove the sysctl from `securityContext.sysctls`; tune node-wide parameters on the nodes themselves (and ' +
    'dedicate nodes with taints if one workload needs them).',
  severity: 'medium',
  category: 'pod-security',
  kinds: POD_KINDS,
  equivalents: {
    trivy: ['KSV026'],
  },
  evaluate({ pod }) {
    if (!pod) return [];
    const sysctls = podSecurityContext(pod).sysctls;
    if (!Array.isArray(sysctls)) return [];
    const out: CheckResult[] = [];
    sysctls.forEach((s, i) => {
      if (!isRecord(s)) return;
      const name = s.name;
      // The kubelet accepts `/` as separator too (net/ipv4/tcp_syncookies).
      if (typeof name === 'string' && SAFE_SYSCTLS.has(name.replace(/\//g, '.'))) return;
      const path = [...pod.specPath, 'securityContext', 'sysctls', i];
      out.push({ path: [...path, 'name'], message: `pod sets sysctl ${show(name)}, which is not in the safe set`, fix: removeField(path, `remove sysctl ${show(name)}`) });
    });
    return out;
  },
} satisfies Check;
