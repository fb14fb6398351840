import { describeContainer, inContainer, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { capabilities, capabilityAddFix, hasContainers } from './lib/pod-security.js';

export const sysAdminCapability = {
  id: 'PAL-011',
  slug: 'sys-admin-capability',
  title: 'Container adds CAP_SYS_ADMIN',
  description:
    'CAP_SYS_ADMIN is "the new root": it allows mounting filesystems, using many namespace and BPF operations and ' +
    'several well-known container escapes. Adding it (or ALL, which includes it) makes the container almost as ' +
    'dangerous as a privileged one.',
  remediation: 'Remove `SYS_ADMIN` (and `ALL`) from `securityContext.capabilities.add`; grant the narrow capability the process needs instead.',
  severity: 'high',
  category: 'pod-security',
  kinds: POD_KINDS,
  equivalents: {
    checkov: ['CKV_K8S_39'],
    defender: ['Kubernetes clusters should not grant CAPSYSADMIN security capabilities'],
    trivy: ['KSV005'],
  },
  appliesTo: hasContainers,
  evaluate({ pod }) {
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      const add = capabilities(c, 'add');
      const bad = add.filter((e) => e.name === 'SYS_ADMIN' || e.name === 'ALL');
      if (bad.length === 0) continue;
      const fix = capabilityAddFix(c, add, new Set(bad.map((e) => e.index)), bad.map((e) => e.raw).join(', '));
      for (const e of bad) {
        const why = e.name === 'ALL' ? ' (ALL includes SYS_ADMIN)' : '';
        out.push(inContainer(c, ['securityContext', 'capabilities', 'add', e.index], `${describeContainer(c)} adds capability ${JSON.stringify(e.raw)}${why}`, fix));
      }
    }
    return out;
  },
} satisfies Check;
