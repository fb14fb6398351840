import { describeContainer, inContainer, removeField, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';

export const duplicateEnvVar = {
  id: 'PAL-055',
  slug: 'duplicate-env-var',
  title: 'Environment variable is defined twice',
  description:
    'When a container lists the same environment variable twice, the last entry silently wins: the earlier value ' +
    'looks configured in review but never reaches the process, which hides mistakes in secrets and feature flags.',
  remediation: 'Keep one entry per variable name in each container\'s `env` list.',
  severity: 'low',
  category: 'configuration',
  kinds: POD_KINDS,
  equivalents: {
    kubeScore: ['environment-variable-key-duplication'],
    kubeLinter: ['duplicate-env-var'],
  },
  appliesTo: ({ pod }) => pod !== undefined && pod.allContainers.some((c) => Array.isArray(c.container.env) && c.container.env.length > 1),
  evaluate({ pod }) {
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      const env = c.container.env;
      if (!Array.isArray(env)) continue;
      const first = new Map<string, number>();
      env.forEach((e, i) => {
        const name = e && typeof e === 'object' ? (e as { name?: unknown }).name : undefined;
        if (typeof name !== 'string') return;
        const earlier = first.get(name);
        if (earlier === undefined) {
          first.set(name, i);
          return;
        }
        // Removing the earlier entry keeps what runs today, unless a later value refers to it with $(NAME).
        const ref = `$(${name})`;
        const referenced = env.some((x, j) => j > earlier && j < i && x && typeof x === 'object' && typeof (x as { value?: unknown }).value === 'string' && ((x as { value: string }).value).includes(ref));
        out.push(inContainer(c, ['env', i, 'name'],
          `${describeContainer(c)} defines env ${JSON.stringify(name)} at env[${earlier}] and again at env[${i}]; the later value wins`,
          referenced ? undefined : removeField([...c.path, 'env', earlier], `remove the overridden env[${earlier}]`)));
        first.set(name, i);
      });
    }
    return out;
  },
} satisfies Check;
