import type { SuggestedFix } from '../../model/finding.js';
import { describeContainer, inContainer, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { capabilities, capabilityAddFix, capabilityPath, hasLinuxContainers } from './lib/pod-security.js';

export const capabilitiesNotDropped = {
  id: 'PAL-010',
  slug: 'capabilities-not-dropped',
  title: 'Container does not drop all capabilities',
  description:
    'Container runtimes grant a default set of capabilities (NET_RAW, CHOWN, DAC_OVERRIDE, SETUID, ...) that most ' +
    'applications never use and attackers do. Pod Security Standards (restricted) require every container to drop ' +
    'ALL capabilities and add back at most NET_BIND_SERVICE.',
  remediation:
    'Set `securityContext.capabilities.drop: ["ALL"]` on every container and add back only `NET_BIND_SERVICE` if the ' +
    'process binds a port below 1024.',
  severity: 'medium',
  category: 'pod-security',
  kinds: POD_KINDS,
  equivalents: {
    polaris: ['insecureCapabilities'],
    checkov: ['CKV_K8S_37'],
    trivy: ['KSV003', 'KSV106'],
  },
  // Capabilities are a Linux control: the restricted profile exempts pods declared `os.name: windows`.
  appliesTo: hasLinuxContainers,
  evaluate({ pod }) {
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      const drop = capabilities(c, 'drop');
      // Runtimes match ALL case-insensitively; a named list of the default capabilities is not ALL (it
      // depends on the runtime's defaults, and the Pod Security admission rejects it).
      if (!drop.some((e) => e.name === 'ALL')) {
        const dropPath = capabilityPath(c, 'drop');
        const fix: SuggestedFix = { description: 'drop ALL capabilities', operations: [{ op: 'add', path: dropPath, value: ['ALL'] }] };
        const listed = drop.length > 0 ? `drops only ${drop.map((e) => e.raw).join(', ')}` : 'does not drop any capability';
        out.push(inContainer(c, ['securityContext', 'capabilities', 'drop'], `${describeContainer(c)} ${listed}; it must drop ALL`, fix));
      }
      const add = capabilities(c, 'add');
      const extra = add.filter((e) => e.name !== 'NET_BIND_SERVICE');
      if (extra.length > 0) {
        const names = extra.map((e) => e.raw).join(', ');
        const fix = capabilityAddFix(c, add, new Set(extra.map((e) => e.index)), names);
        for (const e of extra) {
          out.push(inContainer(c, ['securityContext', 'capabilities', 'add', e.index],
            `${describeContainer(c)} adds capability ${JSON.stringify(e.raw)}; only NET_BIND_SERVICE may be added back`, fix));
        }
      }
    }
    return out;
  },
} satisfies Check;
