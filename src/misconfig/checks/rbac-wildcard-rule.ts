import type { Check, CheckResult } from '../check.js';
import { describeRbacObject, describeRule, isUnjudgedRole, rulesOf } from './lib/rbac.js';

const FIELDS = ['verbs', 'resources', 'apiGroups'] as const;

export const rbacWildcardRule = {
  id: 'PAL-060',
  slug: 'rbac-wildcard-rule',
  title: 'Role or ClusterRole uses a wildcard',
  description:
    'A `*` in verbs, resources or apiGroups grants everything that exists now and everything added later (new ' +
    'subresources, CRDs, verbs such as escalate or impersonate), so the role silently grows far beyond what was reviewed.',
  remediation: 'Replace each `*` with the explicit verbs, resources and API groups the role needs.',
  severity: 'medium',
  category: 'rbac',
  kinds: ['Role', 'ClusterRole'],
  equivalents: {
    checkov: ['CKV_K8S_49'],
    kubescape: ['C-0187'],
    trivy: ['KSV044', 'KSV045', 'KSV046'],
  },
  evaluate({ resource }) {
    // Platform roles (system:*), the built-in user-facing ClusterRoles and aggregated ClusterRoles are
    // not judged: see isUnjudgedRole.
    if (isUnjudgedRole(resource)) return [];
    const out: CheckResult[] = [];
    for (const rule of rulesOf(resource.object)) {
      const where = FIELDS.filter((f) => rule[f].includes('*'));
      if (where.length === 0) continue;
      const first = where[0]!;
      out.push({
        path: ['rules', rule.index, first, rule[first].indexOf('*')],
        message: `${describeRbacObject(resource)} rules[${rule.index}] uses "*" in ${where.join(' and ')} (${describeRule(rule)})`,
      });
    }
    return out;
  },
} satisfies Check;
