import { describeContainer, inContainer, type Check } from '../check.js';
import { POD_KINDS } from '../pod-view.js';

export const identicalLivenessReadinessProbes = {
  id: 'PAL-041',
  slug: 'identical-liveness-readiness-probes',
  title: 'Liveness and readiness probes are identical',
  description:
    'When the liveness probe checks exactly what the readiness probe checks, a pod that is merely overloaded or ' +
    'waiting on a dependency is not just taken out of rotation but restarted, often all replicas at once, ' +
    'turning a slowdown into an outage.',
  remediation:
    'Point the liveness probe at a cheaper, local check (process alive, event loop responsive) and keep ' +
    'dependency-aware checks in the readiness probe.',
  severity: 'low',
  category: 'reliability',
  kinds: POD_KINDS,
  equivalents: {
    kubeScore: ['pod-probes-identical'],
  },
  appliesTo: ({ pod }) => pod !== undefined && pod.allContainers.some((c) => handlerOf(c.container.livenessProbe) !== undefined && handlerOf(c.container.readinessProbe) !== undefined),
  evaluate({ pod }) {
    const out = [];
    for (const c of pod!.allContainers) {
      const live = handlerOf(c.container.livenessProbe);
      const ready = handlerOf(c.container.readinessProbe);
      if (live === undefined || ready === undefined || live.key !== ready.key) continue;
      out.push(inContainer(c, ['livenessProbe'], `${describeContainer(c)} livenessProbe is the same check as its readinessProbe (${live.text})`));
    }
    return out;
  },
} satisfies Check;

interface Handler {
  /** Canonical form: equal keys mean the same check. */
  key: string;
  /** Short description for messages. */
  text: string;
}

/** The action a probe performs, normalised; timings and thresholds are not part of it. */
function handlerOf(p: unknown): Handler | undefined {
  if (p === null || typeof p !== 'object' || Array.isArray(p)) return undefined;
  const probe = p as Record<string, unknown>;
  const obj = (v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
  const port = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  const http = obj(probe.httpGet);
  if (http) {
    const path = typeof http.path === 'string' && http.path !== '' ? http.path : '/';
    const scheme = typeof http.scheme === 'string' ? http.scheme.toUpperCase() : 'HTTP';
    const headers = Array.isArray(http.httpHeaders) ? JSON.stringify(http.httpHeaders) : '[]';
    return { key: `http|${scheme}|${port(http.host)}|${port(http.port)}|${path}|${headers}`, text: `httpGet ${path} on port ${port(http.port)}` };
  }
  const tcp = obj(probe.tcpSocket);
  if (tcp) return { key: `tcp|${port(tcp.host)}|${port(tcp.port)}`, text: `tcpSocket on port ${port(tcp.port)}` };
  const exec = obj(probe.exec);
  if (exec) {
    if (!Array.isArray(exec.command) || exec.command.length === 0) return undefined;
    const cmd = exec.command.map(String);
    return { key: `exec|${JSON.stringify(cmd)}`, text: `exec ${JSON.stringify(cmd.join(' '))}` };
  }
  const grpc = obj(probe.grpc);
  if (grpc) return { key: `grpc|${port(grpc.port)}|${typeof grpc.service === 'string' ? grpc.service : ''}`, text: `grpc on port ${port(grpc.port)}` };
  return undefined;
}
