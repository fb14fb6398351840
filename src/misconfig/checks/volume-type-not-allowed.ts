import { show, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { isRecord, volumesReadable } from './lib/pod-security.js';

/** Pod Security Standards (restricted): volume types that cannot reach the node or other tenants' storage directly. */
const ALLOWED: ReadonlySet<string> = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

export const volumeTypeNotAllowed = {
  id: 'PAL-021',
  slug: 'volume-type-not-allowed',
  title: 'Pod uses a volume type outside the restricted set',
  description:
    'Inline volume types such as hostPath, nfs, iscsi, rbd, cephfs or gitRepo reach the node or storage backends ' +
    'directly, bypassing PersistentVolume administration (and gitRepo runs git on the node). Pod Security Standards ' +
    '(restricted) allow only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and ' +
    'secret volumes.',
  remediation:
    'Use a PersistentVolumeClaim (backed by a PersistentVolume or StorageClass the cluster administrators manage) or ' +
    'one of the allowed volume types instead of the inline volume source.',
  severity: 'low',
  category: 'pod-security',
  kinds: POD_KINDS,
  equivalents: {
    trivy: ['KSV028'],
  },
  appliesTo: volumesReadable,
  evaluate({ pod }) {
    if (!pod || !Array.isArray(pod.spec.volumes)) return [];
    const out: CheckResult[] = [];
    pod.spec.volumes.forEach((v, i) => {
      if (!isRecord(v)) return;
      // Every key but `name` is a volume source; a volume with none is defaulted to emptyDir by the API server.
      for (const [key, value] of Object.entries(v)) {
        if (key === 'name' || value === undefined || value === null || ALLOWED.has(key)) continue;
        out.push({ path: [...pod.specPath, 'volumes', i, key], message: `volume ${show(typeof v.name === 'string' ? v.name : `#${i}`)} uses volume type ${key}, which is not allowed by the restricted profile` });
      }
    });
    return out;
  },
} satisfies Check;
