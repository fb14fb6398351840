import type { SuggestedFix } from '../../model/finding.js';
import { describeContainer, setField, type Check, type CheckResult } from '../check.js';
import { POD_KINDS, type PodView } from '../pod-view.js';
import { effectiveSeccomp, hasLinuxContainers, profileOriginLabel, type EffectiveProfile } from './lib/pod-security.js';

/** Sets RuntimeDefault where the profile is written, or on the pod when nothing sets one. */
function fixFor(pod: PodView, p: EffectiveProfile): SuggestedFix {
  const description = 'use the runtime default seccomp profile';
  if (p.from === 'container-annotation' || p.from === 'pod-annotation') return setField(p.path, 'runtime/default', description);
  if (p.from === 'unset') return setField([...pod.specPath, 'securityContext', 'seccompProfile'], { type: 'RuntimeDefault' }, `${description} for the whole pod`);
  return setField(p.path.slice(0, -1), { type: 'RuntimeDefault' }, description);
}

export const seccompProfileMissing = {
  id: 'PAL-019',
  slug: 'seccomp-profile-missing',
  title: 'Seccomp profile not set',
  description:
    'Unless a seccomp profile is set, Kubernetes runs containers Unconfined: every system call is open, including ' +
    'the ones behind most kernel container escapes. Pod Security Standards (restricted) require RuntimeDefault or ' +
    'Localhost on the pod or on every container.',
  remediation:
    'Set `securityContext.seccompProfile.type: RuntimeDefault` on the pod (containers inherit it) or on every ' +
    'container; use `Localhost` only with a reviewed profile.',
  severity: 'low',
  category: 'pod-security',
  kinds: POD_KINDS,
  equivalents: {
    kubeScore: ['container-seccomp-profile'],
    checkov: ['CKV_K8S_31'],
    trivy: ['KSV030'],
  },
  // Seccomp is a Linux control: the restricted profile exempts pods declared `os.name: windows`.
  appliesTo: hasLinuxContainers,
  evaluate({ pod }) {
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      const p = effectiveSeccomp(pod!, c);
      if (p.profile === 'RuntimeDefault' || p.profile === 'Localhost') continue;
      const message = p.profile === undefined
        ? `${describeContainer(c)} has no seccomp profile (neither the container nor the pod sets one)`
        : `${describeContainer(c)} runs with seccomp profile ${JSON.stringify(p.written)} (set by ${profileOriginLabel(p)}); RuntimeDefault or Localhost is required`;
      out.push({ path: p.path, container: c.name, message, fix: fixFor(pod!, p) });
    }
    return out;
  },
} satisfies Check;
