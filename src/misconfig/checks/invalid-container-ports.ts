import { describeContainer, inContainer, show, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';

/** IANA service name, as Kubernetes validates port names: 1-15 chars, lower-case alphanumerics and single '-', a letter. */
function portNameProblem(name: string): string | undefined {
  if (name.length > 15) return `is ${name.length} characters long (at most 15)`;
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name)) return 'must contain only lower-case letters, digits and "-", and start and end with a letter or digit';
  if (name.includes('--')) return 'must not contain "--"';
  if (!/[a-z]/.test(name)) return 'must contain at least one letter';
  return undefined;
}

function isPort(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;
}

export const invalidContainerPorts = {
  id: 'PAL-056',
  slug: 'invalid-container-ports',
  title: 'Container port is invalid',
  description:
    'Every container port needs a containerPort between 1 and 65535, and a name (when given) must be a unique IANA ' +
    'service name of at most 15 characters. Services and probes refer to ports by name, so a bad or duplicate ' +
    'name breaks routing, and the API server rejects most of these mistakes at deploy time.',
  remediation: 'Give each port a valid `containerPort` and a short, unique, lower-case `name` (e.g. `http`, `metrics`).',
  severity: 'low',
  category: 'configuration',
  kinds: POD_KINDS,
  equivalents: {
    kubeScore: ['container-ports-check'],
  },
  appliesTo: ({ pod }) => pod !== undefined && pod.allContainers.some((c) => c.container.ports !== undefined && c.container.ports !== null),
  evaluate({ pod }) {
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      const ports = c.container.ports as unknown;
      if (ports === undefined || ports === null) continue;
      if (!Array.isArray(ports)) {
        out.push(inContainer(c, ['ports'], `${describeContainer(c)} ports is not a list (${show(ports)})`));
        continue;
      }
      const names = new Map<string, number>();
      ports.forEach((p: unknown, i) => {
        if (p === null || typeof p !== 'object' || Array.isArray(p)) {
          out.push(inContainer(c, ['ports', i], `${describeContainer(c)} ports[${i}] is not a port (${show(p)})`));
          return;
        }
        const port = p as Record<string, unknown>;
        if (!isPort(port.containerPort)) {
          out.push(inContainer(c, ['ports', i, 'containerPort'], `${describeContainer(c)} ports[${i}] containerPort ${show(port.containerPort)} must be a number from 1 to 65535`));
        }
        if (port.hostPort !== undefined && port.hostPort !== null && port.hostPort !== 0 && !isPort(port.hostPort)) {
          out.push(inContainer(c, ['ports', i, 'hostPort'], `${describeContainer(c)} ports[${i}] hostPort ${show(port.hostPort)} must be a number from 1 to 65535`));
        }
        const name = port.name;
        if (name === undefined || name === null || name === '') return;
        if (typeof name !== 'string') {
          out.push(inContainer(c, ['ports', i, 'name'], `${describeContainer(c)} ports[${i}] name ${show(name)} is not a string`));
          return;
        }
        const problem = portNameProblem(name);
        if (problem) out.push(inContainer(c, ['ports', i, 'name'], `${describeContainer(c)} port name ${show(name)} ${problem}`));
        const earlier = names.get(name);
        if (earlier !== undefined) out.push(inContainer(c, ['ports', i, 'name'], `${describeContainer(c)} port name ${show(name)} is used by ports[${earlier}] and ports[${i}]`));
        else names.set(name, i);
      });
    }
    return out;
  },
} satisfies Check;
