import { removeField, type Check, type CheckResult } from '../check.js';
import { snippetAnnotations } from './lib/ingress-nginx.js';

export const ingressNginxSnippetAnnotation = {
  id: 'PAL-106',
  slug: 'ingress-nginx-snippet-annotation',
  title: 'Ingress uses a configuration snippet annotation',
  description:
    'Snippet annotations (`nginx.ingress.kubernetes.io/server-snippet`, `configuration-snippet`, `auth-snippet`, ...) ' +
    'paste raw text into the shared ingress controller configuration. Anyone allowed to create an Ingress can then ' +
    'change routing for other tenants or read files of the controller, whose service account can read every Secret ' +
    'in the cluster (CVE-2021-25742).',
  remediation:
    'Replace the snippet with the dedicated annotations or a controller-wide ConfigMap setting, and keep ' +
    '`allow-snippet-annotations: "false"` on the controller.',
  severity: 'medium',
  category: 'configuration',
  kinds: ['Ingress'],
  equivalents: {
    checkov: ['CKV_K8S_153'],
  },
  evaluate({ object }) {
    return snippetAnnotations(object).map(({ key, path }): CheckResult => ({
      path, message: `Ingress sets snippet annotation "${key}"`, fix: removeField(path, `remove the ${key} annotation`),
    }));
  },
} satisfies Check;
