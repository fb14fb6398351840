import { describeContainer, setField, type Check, type CheckResult } from '../check.js';
import { POD_KINDS, type ContainerView, type PodView } from '../pod-view.js';
import { capabilities, effectiveAppArmor, effectiveField, effectiveSeccomp, hasLinuxContainers, isRecord } from './lib/pod-security.js';

/** Which Linux security module or capability restriction confines the container, if any. */
function hardening(pod: PodView, c: ContainerView): string | undefined {
  const apparmor = effectiveAppArmor(pod, c);
  if (apparmor.profile !== undefined && apparmor.profile !== 'unconfined') return 'AppArmor';
  const seccomp = effectiveSeccomp(pod, c);
  if (seccomp.profile !== undefined && seccomp.profile !== 'Unconfined') return 'seccomp';
  // An empty seLinuxOptions object sets nothing.
  const selinux = effectiveField(pod, c, 'seLinuxOptions');
  if (isRecord(selinux.value) && Object.values(selinux.value).some((v) => v !== undefined && v !== null && v !== '')) return 'SELinux';
  // Dropping capabilities counts, unless ALL of them are added back.
  const drop = capabilities(c, 'drop');
  if (drop.length > 0 && !capabilities(c, 'add').some((e) => e.name === 'ALL')) return 'dropped capabilities';
  return undefined;
}

export const linuxHardeningMissing = {
  id: 'PAL-029',
  slug: 'linux-hardening-missing',
  title: 'Container has no Linux hardening',
  description:
    'AppArmor, seccomp, SELinux and dropped capabilities each limit what a compromised process can ask of the ' +
    'kernel. A container with none of them relies on the runtime defaults alone, which differ between nodes and ' +
    'runtimes.',
  remediation:
    'Set at least one of: `securityContext.seccompProfile.type: RuntimeDefault`, an AppArmor profile, ' +
    '`seLinuxOptions`, or `capabilities.drop: ["ALL"]` (preferably all of them).',
  severity: 'low',
  category: 'workload-hardening',
  kinds: POD_KINDS,
  equivalents: {
    polaris: ['linuxHardening'],
    kubescape: ['C-0055'],
  },
  appliesTo: hasLinuxContainers,
  evaluate({ pod }) {
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      if (hardening(pod!, c) !== undefined) continue;
      const path = [...c.path, 'securityContext', 'seccompProfile'];
      out.push({
        path,
        container: c.name,
        message: `${describeContainer(c)} is not restricted by AppArmor, seccomp, SELinux or dropped capabilities`,
        fix: setField(path, { type: 'RuntimeDefault' }, 'use the runtime default seccomp profile'),
      });
    }
    return out;
  },
} satisfies Check;
