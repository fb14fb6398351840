import { setField, type CheckContext, type Check } from '../check.js';

function data(ctx: CheckContext): Record<string, unknown> | undefined {
  const d = ctx.object.data;
  return d !== null && typeof d === 'object' && !Array.isArray(d) ? (d as Record<string, unknown>) : undefined;
}

export const ingressNginxSnippetsAllowed = {
  id: 'PAL-109',
  slug: 'ingress-nginx-snippets-allowed',
  title: 'ingress-nginx controller accepts snippet annotations',
  description:
    'With `allow-snippet-annotations: "true"` the ingress-nginx controller pastes snippet annotations from any Ingress ' +
    'into its configuration, so every user who can create an Ingress can run code in the controller and read its ' +
    'service account token, which can read all Secrets (CVE-2021-25742). It has been off by default since controller v1.9.',
  remediation:
    'Set `allow-snippet-annotations: "false"` in the controller ConfigMap (Helm: `controller.allowSnippetAnnotations=false`) ' +
    'and move the needed snippets into the controller-wide configuration owned by the platform team.',
  severity: 'high',
  category: 'configuration',
  kinds: ['ConfigMap'],
  // Only the controller's own ConfigMap carries this key.
  appliesTo: (ctx) => data(ctx)?.['allow-snippet-annotations'] !== undefined,
  equivalents: {},
  evaluate(ctx) {
    const d = data(ctx)!;
    const allowed = String(d['allow-snippet-annotations']).trim().toLowerCase() === 'true';
    if (!allowed) return [];
    // From controller v1.12 snippets are "Critical" risk annotations and are still refused unless the
    // risk level is raised to Critical; a lower explicit level therefore neutralises the flag.
    const risk = d['annotations-risk-level'];
    if (typeof risk === 'string' && risk.trim().toLowerCase() !== 'critical') return [];
    return [{
      path: ['data', 'allow-snippet-annotations'],
      message: `controller ConfigMap sets allow-snippet-annotations: "true"${risk === undefined ? '' : ' with annotations-risk-level: Critical'}`,
      fix: setField(['data', 'allow-snippet-annotations'], 'false', 'set allow-snippet-annotations to "false"'),
    }];
  },
} satisfies Check;
