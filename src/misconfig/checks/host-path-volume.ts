import { show, type Check } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { hostPathVolumes, mountedByLabel, volumesReadable } from './lib/pod-security.js';

export const hostPathVolume = {
  id: 'PAL-006',
  slug: 'host-path-volume',
  title: 'Pod mounts a hostPath volume',
  description:
    'A hostPath volume exposes part of the node\'s filesystem to the pod: kubelet credentials, other pods\' data, ' +
    'container runtime sockets and system binaries are one path away, and a writable mount lets the pod plant files ' +
    'the node will execute. Pod Security Standards (baseline) forbid hostPath volumes.',
  remediation:
    'Replace the hostPath volume with an emptyDir, a ConfigMap/Secret, or a PersistentVolumeClaim; for node agents ' +
    'that really need host files, mount the narrowest path read-only and exempt the workload explicitly.',
  severity: 'high',
  category: 'pod-security',
  kinds: POD_KINDS,
  equivalents: {
    polaris: ['hostPathSet'],
    kubescape: ['C-0048'],
    trivy: ['KSV023'],
  },
  appliesTo: volumesReadable,
  evaluate({ pod }) {
    if (!pod) return [];
    return hostPathVolumes(pod).map((v) => ({
      path: v.fieldPath,
      message: `volume ${show(v.name)} mounts host path ${show(v.rawPath)}${mountedByLabel(v)}`,
    }));
  },
} satisfies Check;
