import { describeContainer, setField, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { effectiveAppArmor, hasLinuxContainers, profileOriginLabel } from './lib/pod-security.js';

/** An allow-list entry in annotation form: field names (`RuntimeDefault`, `Localhost`) are accepted too. */
function canonical(entry: string): string {
  if (entry === 'RuntimeDefault') return 'runtime/default';
  if (entry === 'Localhost') return 'localhost/*';
  if (entry === 'Unconfined') return 'unconfined';
  return entry;
}

/** `*` in an entry matches any run of characters (`localhost/k8s-*`). */
function matcher(entry: string): RegExp {
  const body = canonical(entry).split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`);
}

interface AllowList {
  matchers: RegExp[];
  text: string;
  runtimeDefaultAllowed: boolean;
}

/** The compiled allow-list of each parameter list (one per scan), instead of compiling it per resource. */
const allowLists = new WeakMap<readonly string[], AllowList>();

function allowList(entries: readonly string[]): AllowList {
  let list = allowLists.get(entries);
  if (!list) {
    const matchers = entries.map(matcher);
    list = {
      matchers,
      text: entries.length > 0 ? entries.map((p) => JSON.stringify(p)).join(', ') : 'none',
      // The mechanical fix is only offered when the runtime default profile is itself allowed.
      runtimeDefaultAllowed: matchers.some((re) => re.test('runtime/default')),
    };
    allowLists.set(entries, list);
  }
  return list;
}

export const apparmorProfileNotAllowed = {
  id: 'PAL-015',
  slug: 'apparmor-profile-not-allowed',
  title: 'Container AppArmor profile not in the allowed list',
  description:
    'An explicit AppArmor profile documents and guarantees the confinement a container runs with, whatever the node ' +
    'defaults are. This check requires every container to name a profile from the allowed list ' +
    '(by default the runtime default profile or a profile loaded on the node).',
  remediation:
    'Set `securityContext.appArmorProfile.type: RuntimeDefault` (or `Localhost` with a reviewed profile) on the pod ' +
    'or the container, or extend `parameters.allowedAppArmorProfiles`.',
  severity: 'low',
  category: 'pod-security',
  kinds: POD_KINDS,
  parameters: ['allowedAppArmorProfiles'],
  equivalents: {
    defender: ['Containers should only use allowed AppArmor profiles'],
  },
  appliesTo: hasLinuxContainers,
  evaluate({ pod, params }) {
    const { matchers: allowed, text: allowedText, runtimeDefaultAllowed } = allowList(params.allowedAppArmorProfiles);
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      const p = effectiveAppArmor(pod!, c);
      if (p.profile !== undefined && allowed.some((re) => re.test(p.profile!))) continue;
      if (p.profile === undefined) {
        out.push({
          path: p.path,
          container: c.name,
          message: `${describeContainer(c)} sets no AppArmor profile (allowed: ${allowedText})`,
          fix: runtimeDefaultAllowed ? setField(p.path, { type: 'RuntimeDefault' }, 'use the runtime default AppArmor profile') : undefined,
        });
        continue;
      }
      out.push({
        path: p.path,
        container: c.name,
        message: `${describeContainer(c)} runs with AppArmor profile ${JSON.stringify(p.profile)} (set by ${profileOriginLabel(p)}), which is not allowed (allowed: ${allowedText})`,
      });
    }
    return out;
  },
} satisfies Check;
