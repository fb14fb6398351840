import { describeContainer, inContainer, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { classifySecret, redactedHint } from './lib/secrets.js';

/** `--password=hunter2` / `-token=abc`: a flag whose name looks like a credential, with an inline value. */
const FLAG_WITH_VALUE = /^--?([A-Za-z0-9][A-Za-z0-9_.-]*)=([\s\S]+)$/;

export const plaintextSecretInContainer = {
  id: 'PAL-100',
  slug: 'plaintext-secret-in-container',
  title: 'Container holds a plaintext secret in env or args',
  description:
    'A credential written as a literal env value or command-line argument is stored in the pod spec: anyone who can ' +
    'read the Deployment (or its ReplicaSets, or the manifest in git) can read it, it is not covered by encryption at ' +
    'rest for Secrets, and arguments also show up in process listings on the node.',
  remediation:
    'Move the value into a Secret (or an external secret store) and reference it with `valueFrom.secretKeyRef` or, ' +
    'better, mount it as a file; rotate the exposed credential.',
  severity: 'high',
  category: 'secrets',
  kinds: POD_KINDS,
  parameters: ['secretKeyPatterns'],
  equivalents: {
    polaris: ['sensitiveContainerEnvVar'],
    kubescape: ['C-0012'],
    kubeLinter: ['env-var-secret'],
  },
  evaluate({ pod, params }) {
    const out: CheckResult[] = [];
    const patterns = params.secretKeyPatterns;
    for (const c of pod!.allContainers) {
      const env = c.container.env;
      if (Array.isArray(env)) {
        env.forEach((e, i) => {
          if (e === null || typeof e !== 'object' || typeof e.value !== 'string') return;
          const name = typeof e.name === 'string' ? e.name : '';
          const found = classifySecret(name, e.value, patterns);
          if (!found) return;
          out.push(inContainer(c, ['env', i, 'value'], `${describeContainer(c)} env var "${name}" holds ${redactedHint(e.value, found)}`));
        });
      }
      for (const field of ['command', 'args'] as const) {
        const list = c.container[field];
        if (!Array.isArray(list)) continue;
        list.forEach((a, i) => {
          if (typeof a !== 'string') return;
          const flag = FLAG_WITH_VALUE.exec(a);
          // For `--name=value` the flag name plays the role of the key; bare arguments count only when
          // their value has the shape of a credential.
          const found = flag ? classifySecret(flag[1]!, flag[2]!, patterns) : classifySecret('', a, patterns);
          if (!found) return;
          const what = flag ? `argument "--${flag[1]}=…"` : `${field === 'command' ? 'command' : 'argument'} #${i}`;
          out.push(inContainer(c, [field, i], `${describeContainer(c)} ${what} holds ${redactedHint(flag ? flag[2]! : a, found)}`));
        });
      }
    }
    return out;
  },
} satisfies Check;
