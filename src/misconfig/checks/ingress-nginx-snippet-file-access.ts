import type { Check, CheckResult } from '../check.js';

/** `alias` and `root` directives map a location onto the controller's file system. */
const FILE_DIRECTIVE = /(?:^|[\s;{])(alias|root)\s+([^;\s]+)/;

export const ingressNginxSnippetFileAccess = {
  id: 'PAL-108',
  slug: 'ingress-nginx-snippet-file-access',
  title: 'Ingress snippet serves files from the controller',
  description:
    'An `alias` or `root` directive in a snippet annotation serves files of the ingress controller pod over HTTP, ' +
    'including its service account token under /var/run/secrets, which can read every Secret in the cluster ' +
    '(CVE-2021-25742).',
  remediation: 'Remove the snippet annotation; serve static content from a backend Service instead of the controller.',
  severity: 'high',
  category: 'configuration',
  kinds: ['Ingress'],
  equivalents: {
    checkov: ['CKV_K8S_154'],
  },
  evaluate({ object }) {
    const ann = object.metadata.annotations;
    if (ann === null || typeof ann !== 'object') return [];
    const out: CheckResult[] = [];
    for (const [key, value] of Object.entries(ann as Record<string, unknown>)) {
      if (!key.toLowerCase().includes('snippet') || typeof value !== 'string') continue;
      const m = FILE_DIRECTIVE.exec(value);
      if (m) out.push({ path: ['metadata', 'annotations', key], message: `Ingress annotation "${key}" uses "${m[1]} ${m[2]}", serving controller files` });
    }
    return out;
  },
} satisfies Check;
