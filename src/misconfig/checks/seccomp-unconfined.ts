import type { SuggestedFix } from '../../model/finding.js';
import { describeContainer, setField, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { effectiveSeccomp, hasContainers, profileOriginLabel, type EffectiveProfile } from './lib/pod-security.js';

/** Sets RuntimeDefault where the profile is written (field or legacy annotation). */
function fixFor(p: EffectiveProfile): SuggestedFix {
  if (p.from === 'container-annotation' || p.from === 'pod-annotation') return setField(p.path, 'runtime/default', 'use the runtime default seccomp profile');
  return setField(p.path.slice(0, -1), { type: 'RuntimeDefault' }, 'use the runtime default seccomp profile');
}

export const seccompUnconfined = {
  id: 'PAL-018',
  slug: 'seccomp-unconfined',
  title: 'Seccomp disabled',
  description:
    'Seccomp filters the system calls a container may make; the runtime default profile blocks dozens that are ' +
    'only useful to attackers (keyctl, unshare, kernel module loading, ...). An Unconfined profile gives the ' +
    'container the whole kernel attack surface. Pod Security Standards (baseline) forbid it.',
  remediation: 'Set `securityContext.seccompProfile.type` to `RuntimeDefault` (or `Localhost` with a reviewed profile) instead of `Unconfined`.',
  severity: 'medium',
  category: 'pod-security',
  kinds: POD_KINDS,
  equivalents: {
    trivy: ['KSV104'],
  },
  appliesTo: hasContainers,
  evaluate({ pod }) {
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      const p = effectiveSeccomp(pod!, c);
      if (p.profile === undefined || p.profile === 'RuntimeDefault' || p.profile === 'Localhost') continue;
      out.push({
        path: p.path,
        container: c.name,
        message: `${describeContainer(c)} runs with seccomp profile ${JSON.stringify(p.written)} (set by ${profileOriginLabel(p)})`,
        fix: fixFor(p),
      });
    }
    return out;
  },
} satisfies Check;
