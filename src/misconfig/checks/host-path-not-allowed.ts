import { show, type Check } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { hostPathVolumes, mountedByLabel, normaliseHostPath, volumesReadable } from './lib/pod-security.js';

/** Is `path` the allowed prefix itself or below it, segment by segment (`/var/log` allows `/var/log/app`, not `/var/logs`)? */
function under(path: string, prefix: string): boolean {
  const p = normaliseHostPath(prefix);
  return p === '/' || path === p || path.startsWith(`${p}/`);
}

export const hostPathNotAllowed = {
  id: 'PAL-007',
  slug: 'host-path-not-allowed',
  title: 'hostPath volume outside the allowed host paths',
  description:
    'Node agents sometimes need host files, but each hostPath outside a reviewed list is a way from a compromised ' +
    'container to the node. This check lets the team allow the host paths it has reviewed (for example /var/log ' +
    'for a log collector) and reports every other one. With the default empty list (as in Defender for Containers) ' +
    'no host path is allowed.',
  remediation:
    'Replace the volume with an emptyDir, ConfigMap/Secret or PersistentVolumeClaim, or, after review, add its ' +
    'path (or a parent) to `parameters.allowedHostPaths`.',
  severity: 'medium',
  category: 'pod-security',
  kinds: POD_KINDS,
  parameters: ['allowedHostPaths'],
  equivalents: {
    defender: ['Usage of pod HostPath volume mounts should be restricted to a known list to restrict node access from compromised containers'],
  },
  appliesTo: volumesReadable,
  evaluate({ pod, params }) {
    if (!pod) return [];
    const allowed = params.allowedHostPaths;
    const allowedText = allowed.length > 0 ? allowed.map((p) => JSON.stringify(p)).join(', ') : 'none';
    return hostPathVolumes(pod)
      // A hostPath without a usable path is invalid: report it rather than guess.
      .filter((v) => v.path === undefined || !allowed.some((prefix) => under(normaliseHostPath(v.path!), prefix)))
      .map((v) => ({
        path: v.path === undefined ? v.fieldPath : [...v.fieldPath, 'path'],
        message: `volume ${show(v.name)} mounts host path ${show(v.rawPath)}, which is not under an allowed host path (allowed: ${allowedText})${mountedByLabel(v)}`,
      }));
  },
} satisfies Check;
