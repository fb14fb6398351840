import type { Check, CheckResult } from '../check.js';
import { snippetAnnotations } from './lib/ingress-nginx.js';

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
    const out: CheckResult[] = [];
    for (const { key, value, path } of snippetAnnotations(object)) {
      if (value === undefined) continue;
      const m = FILE_DIRECTIVE.exec(value);
      if (m) out.push({ path, message: `Ingress annotation "${key}" uses "${m[1]} ${m[2]}", serving controller files` });
    }
    return out;
  },
} satisfies Check;
