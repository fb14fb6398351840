import { describeContainer, inContainer, show, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { isRecord } from './lib/cross-resource.js';

export const secretAsEnvVar = {
  id: 'PAL-101',
  slug: 'secret-as-env-var',
  title: 'Secret consumed as environment variables',
  description:
    'Environment variables leak more easily than files: they are inherited by every child process, dumped in crash ' +
    'reports and debug endpoints, and never updated when the Secret rotates. CIS Kubernetes 5.4.1 prefers secrets ' +
    'mounted as files.',
  remediation:
    'Mount the Secret as a volume (`volumes[].secret` with `readOnly` volumeMounts) and have the application read ' +
    'the file, instead of `env[].valueFrom.secretKeyRef` or `envFrom[].secretRef`.',
  severity: 'low',
  category: 'secrets',
  kinds: POD_KINDS,
  equivalents: {
    checkov: ['CKV_K8S_35'],
    kubeLinter: ['read-secret-from-env-var'],
  },
  // A container whose env or envFrom is not a list is rejected by the API server and cannot be judged
  // (Checkov reports it as unknown); the check applies when at least one container is well-formed.
  appliesTo: ({ pod }) =>
    pod !== undefined &&
    pod.allContainers.some((c) => (c.container.env === undefined || Array.isArray(c.container.env)) && (c.container.envFrom === undefined || Array.isArray(c.container.envFrom))),
  evaluate({ pod }) {
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      const env = c.container.env;
      if (Array.isArray(env)) {
        env.forEach((e, i) => {
          if (!isRecord(e) || !isRecord(e.valueFrom) || !('secretKeyRef' in e.valueFrom)) return;
          const ref = isRecord(e.valueFrom.secretKeyRef) ? e.valueFrom.secretKeyRef : {};
          out.push(inContainer(c, ['env', i, 'valueFrom', 'secretKeyRef'],
            `${describeContainer(c)} reads key ${show(ref.key)} of Secret ${show(ref.name)} into env var ${show(e.name)}`));
        });
      }
      const envFrom = c.container.envFrom;
      if (Array.isArray(envFrom)) {
        envFrom.forEach((e, i) => {
          if (!isRecord(e) || !('secretRef' in e)) return;
          const ref = isRecord(e.secretRef) ? e.secretRef : {};
          out.push(inContainer(c, ['envFrom', i, 'secretRef'],
            `${describeContainer(c)} loads every key of Secret ${show(ref.name)} as env vars (envFrom.secretRef)`));
        });
      }
    }
    return out;
  },
} satisfies Check;
