import type { Check } from '../check.js';
import { accesses, evaluateRole, judgeAccesses } from './lib/rbac.js';

/** Admission configuration: webhooks and the in-process admission policies (all cluster-scoped). */
const ADMISSION_WRITE = accesses(
  'admissionregistration.k8s.io',
  ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations', 'mutatingadmissionpolicies', 'mutatingadmissionpolicybindings', 'validatingadmissionpolicies', 'validatingadmissionpolicybindings'],
  ['create', 'update', 'patch', 'delete', 'deletecollection'],
);

export const rbacRoleWritesAdmissionConfig = {
  id: 'PAL-064',
  slug: 'rbac-role-writes-admission-config',
  title: 'ClusterRole can change admission webhooks or policies',
  description:
    'Admission webhooks see, and mutating ones rewrite, every object written to the API: whoever can register one ' +
    'can inject containers into every new pod or capture Secrets. Deleting or weakening a validating webhook or ' +
    'admission policy switches off the guardrails that enforce security policy.',
  remediation:
    'Grant create, update, patch and delete on mutating/validating webhook configurations and admission policies only ' +
    'to the cluster administrators and the controllers that own them; keep read access where needed.',
  severity: 'high',
  category: 'rbac',
  // These resources are cluster-scoped: only a ClusterRole can grant them.
  kinds: ['ClusterRole'],
  equivalents: {
    checkov: ['CKV_K8S_155'],
    trivy: ['KSV114'],
  },
  evaluate({ resource }) {
    return evaluateRole(resource, judgeAccesses(ADMISSION_WRITE), (what) => `${what}: whoever holds it controls what admission lets into the cluster`);
  },
} satisfies Check;
