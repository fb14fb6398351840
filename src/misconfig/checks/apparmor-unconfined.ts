import type { SuggestedFix } from '../../model/finding.js';
import { describeContainer, setField, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { effectiveAppArmor, hasLinuxContainers, profileOriginLabel, type EffectiveProfile } from './lib/pod-security.js';

/** Pod Security Standards (baseline): the runtime's default profile or a profile loaded on the node. */
function allowed(profile: string): boolean {
  return profile === 'runtime/default' || profile.startsWith('localhost/');
}

/** Sets RuntimeDefault where the bad profile is written (annotation or field). */
function fixFor(p: EffectiveProfile): SuggestedFix {
  if (p.from === 'container-annotation') return setField(p.path, 'runtime/default', 'use the runtime default AppArmor profile');
  return setField(p.path.slice(0, -1), { type: 'RuntimeDefault' }, 'use the runtime default AppArmor profile');
}

export const apparmorUnconfined = {
  id: 'PAL-014',
  slug: 'apparmor-unconfined',
  title: 'AppArmor disabled or overridden',
  description:
    'On AppArmor nodes the container runtime confines every container with its default profile. Setting the profile ' +
    'to unconfined (or to anything but the runtime default or a profile loaded on the node) removes that layer. ' +
    'Pod Security Standards (baseline) forbid it.',
  remediation:
    'Remove the override, or set `securityContext.appArmorProfile.type` to `RuntimeDefault` or `Localhost` (the ' +
    'deprecated annotation `container.apparmor.security.beta.kubernetes.io/<container>` to `runtime/default` or ' +
    '`localhost/<profile>`).',
  severity: 'medium',
  category: 'pod-security',
  kinds: POD_KINDS,
  equivalents: {
    defender: ['Overriding or disabling of containers AppArmor profile should be restricted'],
    trivy: ['KSV002'],
  },
  appliesTo: hasLinuxContainers,
  evaluate({ pod }) {
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      const p = effectiveAppArmor(pod!, c);
      if (p.profile === undefined || allowed(p.profile)) continue;
      out.push({
        path: p.path,
        container: c.name,
        message: `${describeContainer(c)} runs with AppArmor profile ${JSON.stringify(p.written)} (set by ${profileOriginLabel(p)})`,
        fix: fixFor(p),
      });
    }
    return out;
  },
} satisfies Check;
