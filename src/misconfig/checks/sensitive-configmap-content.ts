import { show, type Check, type CheckResult } from '../check.js';
import { classifySecret, embeddedSecrets, redactedHint } from './lib/secrets.js';
import { isRecord } from './lib/cross-resource.js';

export const sensitiveConfigmapContent = {
  id: 'PAL-102',
  slug: 'sensitive-configmap-content',
  title: 'ConfigMap holds a credential',
  description:
    'ConfigMaps are meant for non-confidential data: they are readable by far more subjects than Secrets, printed by ' +
    '`kubectl describe`, excluded from encryption at rest and routinely committed to git. A password, token or ' +
    'private key stored in one is effectively public inside the cluster.',
  remediation:
    'Move the credential into a Secret (or an external secret store) and reference it from the workload; keep only ' +
    'non-sensitive settings in the ConfigMap; rotate the exposed credential.',
  severity: 'high',
  category: 'secrets',
  kinds: ['ConfigMap'],
  parameters: ['secretKeyPatterns'],
  equivalents: {
    polaris: ['sensitiveConfigmapContent'],
    kubescape: ['C-0012'],
    trivy: ['KSV109'],
  },
  evaluate({ object, params }) {
    const out: CheckResult[] = [];
    const patterns = params.secretKeyPatterns;
    for (const field of ['data', 'binaryData'] as const) {
      const data = object[field];
      if (!isRecord(data)) continue;
      for (const [key, raw] of Object.entries(data)) {
        if (raw === null || raw === undefined || typeof raw === 'object') continue;
        let value = String(raw);
        if (field === 'binaryData') value = Buffer.from(value, 'base64').toString('utf8');
        const found = classifySecret(key, value, patterns);
        if (found) {
          out.push({ path: [field, key], message: `ConfigMap key ${show(key)} holds ${redactedHint(value, found)}` });
          continue;
        }
        const inner = embeddedSecrets(value, patterns);
        if (inner.length > 0) {
          const first = inner[0]!;
          const more = inner.length > 1 ? ` (and ${inner.length - 1} more credential-like setting${inner.length > 2 ? 's' : ''})` : '';
          out.push({
            path: [field, key],
            message: `ConfigMap key ${show(key)} line ${first.line} sets ${show(first.key)} to ${redactedHint(first.value, first.finding)}${more}`,
          });
        }
      }
    }
    return out;
  },
} satisfies Check;
