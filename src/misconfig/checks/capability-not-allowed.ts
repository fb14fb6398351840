import { describeContainer, inContainer, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { capabilities, capabilityAddFix, hasContainers, normaliseCapability } from './lib/pod-security.js';

export const capabilityNotAllowed = {
  id: 'PAL-009',
  slug: 'capability-not-allowed',
  title: 'Container adds a capability outside the allowed list',
  description:
    'Each added Linux capability hands the container a slice of root\'s power over the node kernel. Pod Security ' +
    'Standards (baseline) allow adding only the capabilities container runtimes grant by default anyway; anything ' +
    'else (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, ...) widens what an attacker can do after a compromise.',
  remediation:
    'Remove the capability from `securityContext.capabilities.add`, or, if the workload really needs it, add it to ' +
    '`parameters.allowedCapabilities` (the default is the Pod Security Standards baseline list).',
  severity: 'medium',
  category: 'pod-security',
  kinds: POD_KINDS,
  parameters: ['allowedCapabilities'],
  equivalents: {
    checkov: ['CKV_K8S_25'],
    defender: ['Least privileged Linux capabilities should be enforced for containers'],
    trivy: ['KSV022'],
  },
  appliesTo: hasContainers,
  evaluate({ pod, params }) {
    const allowed = new Set(params.allowedCapabilities.map(normaliseCapability));
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      const add = capabilities(c, 'add');
      const bad = add.filter((e) => !allowed.has(e.name));
      if (bad.length === 0) continue;
      const names = bad.map((e) => e.raw).join(', ');
      const fix = capabilityAddFix(c, add, new Set(bad.map((e) => e.index)), names);
      for (const e of bad) {
        out.push(inContainer(c, ['securityContext', 'capabilities', 'add', e.index],
          `${describeContainer(c)} adds capability ${JSON.stringify(e.raw)}, which is not in the allowed list`, fix));
      }
    }
    return out;
  },
} satisfies Check;
