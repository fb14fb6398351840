import { describeContainer, inContainer, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { capabilities, capabilityAddFix, hasContainers } from './lib/pod-security.js';

/**
 * Capabilities that each open a known path from the container to the node: mounts and namespaces
 * (SYS_ADMIN), kernel modules, ptrace of host processes, raw I/O, network reconfiguration, BPF and perf,
 * LSM policy changes, and open_by_handle_at ("shocker", DAC_READ_SEARCH). ALL includes them all.
 */
const DANGEROUS: ReadonlyMap<string, string> = new Map([
  ['ALL', 'every capability'],
  ['SYS_ADMIN', 'mounts, namespaces and many escapes'],
  ['NET_ADMIN', 'reconfigures networking, iptables and interfaces'],
  ['SYS_MODULE', 'loads kernel modules'],
  ['SYS_PTRACE', 'traces and injects into other processes'],
  ['SYS_RAWIO', 'raw access to devices and I/O ports'],
  ['SYS_BOOT', 'reboots the node or loads a new kernel'],
  ['BPF', 'loads BPF programs into the kernel'],
  ['PERFMON', 'kernel performance monitoring and BPF tracing'],
  ['MAC_ADMIN', 'changes AppArmor/SELinux policy'],
  ['MAC_OVERRIDE', 'bypasses AppArmor/SELinux policy'],
  ['DAC_READ_SEARCH', 'reads any file by handle (open_by_handle_at)'],
]);

export const dangerousCapabilities = {
  id: 'PAL-012',
  slug: 'dangerous-capabilities',
  title: 'Container adds a dangerous capability',
  description:
    'Some capabilities are escape hatches rather than privileges: SYS_ADMIN, NET_ADMIN, SYS_MODULE, SYS_PTRACE, ' +
    'SYS_RAWIO, BPF and a few others each give a compromised container a documented way to take over the node or ' +
    'its other workloads.',
  remediation: 'Remove the capability from `securityContext.capabilities.add`; redesign the workload so that a node-level agent does the privileged part.',
  severity: 'high',
  category: 'pod-security',
  kinds: POD_KINDS,
  equivalents: {
    polaris: ['dangerousCapabilities'],
  },
  appliesTo: hasContainers,
  evaluate({ pod }) {
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      const add = capabilities(c, 'add');
      const bad = add.filter((e) => DANGEROUS.has(e.name));
      if (bad.length === 0) continue;
      const fix = capabilityAddFix(c, add, new Set(bad.map((e) => e.index)), bad.map((e) => e.raw).join(', '));
      for (const e of bad) {
        out.push(inContainer(c, ['securityContext', 'capabilities', 'add', e.index],
          `${describeContainer(c)} adds capability ${JSON.stringify(e.raw)} (${DANGEROUS.get(e.name)})`, fix));
      }
    }
    return out;
  },
} satisfies Check;
