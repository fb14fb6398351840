import { show, type Check } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { hostPathVolumes, mountedByLabel, normaliseHostPath, volumesReadable } from './lib/pod-security.js';

/** Socket files of container runtimes (Docker, containerd, CRI-O, cri-dockerd, Podman). */
const SOCKET_FILE = /(^|\/)(docker|containerd|crio|cri-dockerd|podman)\.sock$/;

/**
 * Directories that hold those sockets: mounting one exposes the socket just the same.
 * (`/` and other broad mounts are the business of host-path-volume.)
 */
const SOCKET_DIRS: ReadonlySet<string> = new Set([
  '/run', '/var/run',
  '/run/docker', '/var/run/docker', '/run/containerd', '/var/run/containerd', '/run/crio', '/var/run/crio',
  '/run/podman', '/var/run/podman', '/run/cri-dockerd', '/var/run/cri-dockerd',
]);

export const containerRuntimeSocket = {
  id: 'PAL-008',
  slug: 'container-runtime-socket',
  title: 'Container runtime socket mounted',
  description:
    'The Docker, containerd or CRI-O socket is the API of the node\'s container runtime: whoever can write to it ' +
    'can start a privileged container with the host filesystem mounted, which is root on the node.',
  remediation:
    'Remove the hostPath volume that exposes the runtime socket (or its directory). Build images with a daemonless ' +
    'builder (BuildKit rootless, kaniko, buildah) and read container metadata from the Kubernetes API instead.',
  severity: 'critical',
  category: 'pod-security',
  kinds: POD_KINDS,
  equivalents: {
    checkov: ['CKV_K8S_27'],
    kubescape: ['C-0074'],
    kubeLinter: ['docker-sock', 'container-runtime-sock'],
    trivy: ['KSV006'],
  },
  appliesTo: volumesReadable,
  evaluate({ pod }) {
    if (!pod) return [];
    return hostPathVolumes(pod)
      .filter((v) => v.path !== undefined && (SOCKET_FILE.test(normaliseHostPath(v.path)) || SOCKET_DIRS.has(normaliseHostPath(v.path))))
      .map((v) => {
        const what = SOCKET_FILE.test(normaliseHostPath(v.path!)) ? 'the container runtime socket' : 'a directory holding the container runtime socket';
        return { path: [...v.fieldPath, 'path'], message: `volume ${show(v.name)} mounts ${what} ${show(v.path)}${mountedByLabel(v)}` };
      });
  },
} satisfies Check;
