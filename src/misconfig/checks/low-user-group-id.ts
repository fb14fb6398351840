import { describeContainer, show, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { effectiveField, hasLinuxContainers, int, originLabel } from './lib/pod-security.js';

/** UIDs and GIDs below this may exist on the node (system accounts, the first human users). */
const MIN_ID = 10000;

export const lowUserGroupId = {
  id: 'PAL-028',
  slug: 'low-user-group-id',
  title: 'Container runs with a low UID or GID',
  description:
    'Without user namespaces, a container UID or GID is the same number on the node. Low IDs collide with system ' +
    'accounts and users of the node, so a process that escapes the container, or writes to a host mount, acts with ' +
    'their permissions. IDs of 10000 and above avoid the collision.',
  remediation:
    'Set `runAsUser` and `runAsGroup` to values of 10000 or more on the pod or the container (and build the image ' +
    'so that it works with that user), or run the pod in a user namespace (`hostUsers: false`).',
  severity: 'low',
  category: 'workload-hardening',
  kinds: POD_KINDS,
  equivalents: {
    kubeScore: ['container-security-context-user-group-id'],
  },
  // runAsUser and runAsGroup are ignored on Windows.
  appliesTo: hasLinuxContainers,
  evaluate({ pod }) {
    // In a user namespace container IDs are mapped to an unprivileged range of the node: no collision.
    if (pod!.spec.hostUsers === false) return [];
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      for (const [field, what] of [['runAsUser', 'user'], ['runAsGroup', 'group']] as const) {
        const eff = effectiveField(pod!, c, field);
        const id = int(eff.value);
        if (id !== undefined && id >= MIN_ID) continue;
        const message = eff.from === 'unset'
          ? `${describeContainer(c)} does not set ${field} (the image's ${what}, often root, applies); use an ID of ${MIN_ID} or more`
          : `${describeContainer(c)} runs with ${field}: ${show(eff.value)} (set by ${originLabel(eff)}); use an ID of ${MIN_ID} or more`;
        out.push({ path: eff.path, container: c.name, message });
      }
    }
    return out;
  },
} satisfies Check;
