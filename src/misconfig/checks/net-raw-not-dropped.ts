import type { SuggestedFix } from '../../model/finding.js';
import { describeContainer, inContainer, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { capabilities, capabilityAddFix, capabilityPath, hasLinuxContainers } from './lib/pod-security.js';

export const netRawNotDropped = {
  id: 'PAL-013',
  slug: 'net-raw-not-dropped',
  title: 'Container keeps the NET_RAW capability',
  description:
    'Container runtimes grant NET_RAW by default. It lets a process craft raw packets: ARP and DNS spoofing of ' +
    'neighbouring pods on the node network, and a long list of kernel networking CVEs. Almost no application needs it.',
  remediation: 'Add `NET_RAW` (or `ALL`) to `securityContext.capabilities.drop`, and do not add it back.',
  severity: 'medium',
  category: 'workload-hardening',
  kinds: POD_KINDS,
  equivalents: {
    checkov: ['CKV_K8S_28'],
    kubeLinter: ['drop-net-raw-capability'],
  },
  appliesTo: hasLinuxContainers,
  evaluate({ pod }) {
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      const add = capabilities(c, 'add');
      const readded = add.filter((e) => e.name === 'NET_RAW' || e.name === 'ALL');
      if (readded.length > 0) {
        const fix = capabilityAddFix(c, add, new Set(readded.map((e) => e.index)), readded.map((e) => e.raw).join(', '));
        for (const e of readded) {
          out.push(inContainer(c, ['securityContext', 'capabilities', 'add', e.index], `${describeContainer(c)} adds capability ${JSON.stringify(e.raw)}, which includes NET_RAW`, fix));
        }
        continue;
      }
      const drop = capabilities(c, 'drop');
      if (drop.some((e) => e.name === 'NET_RAW' || e.name === 'ALL')) continue;
      const fix: SuggestedFix = { description: 'drop NET_RAW', operations: [{ op: 'add', path: capabilityPath(c, 'drop'), value: [...drop.map((e) => e.raw), 'NET_RAW'] }] };
      const listed = drop.length > 0 ? `drops ${drop.map((e) => e.raw).join(', ')} but not NET_RAW` : 'does not drop NET_RAW';
      out.push(inContainer(c, ['securityContext', 'capabilities', 'drop'], `${describeContainer(c)} ${listed}`, fix));
    }
    return out;
  },
} satisfies Check;
