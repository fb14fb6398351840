import type { Check } from '../check.js';
import { accesses, allowedBy, describeGrant, describeRbacObject, isUnjudgedRole, rulesOf, type PolicyRule } from './lib/rbac.js';

const APPROVAL = accesses('certificates.k8s.io', ['certificatesigningrequests/approval'], ['update', 'patch']);
const SIGNERS = accesses('certificates.k8s.io', ['signers'], ['approve']);

/**
 * A signers rule is risky unless it names only signers outside `kubernetes.io/`: those are the ones the
 * control plane signs (client certificates for any user or group, kubelet serving certificates).
 */
function coversBuiltInSigners(rule: PolicyRule): boolean {
  return rule.resourceNames.length === 0 || rule.resourceNames.some((n) => n === '*' || n.startsWith('kubernetes.io/'));
}

export const rbacRoleApprovesCsr = {
  id: 'PAL-065',
  slug: 'rbac-role-approves-csr',
  title: 'ClusterRole can approve CertificateSigningRequests',
  description:
    'Approving a CertificateSigningRequest for a kubernetes.io signer mints a client certificate the API server ' +
    'trusts, for any user and any group, system:masters included: a path to cluster-admin that RBAC cannot revoke ' +
    'until the certificate expires.',
  remediation:
    'Grant update on certificatesigningrequests/approval together with approve on signers only to the approving ' +
    'controller, and restrict signers with resourceNames to the signers it is meant to approve.',
  severity: 'high',
  category: 'rbac',
  // CertificateSigningRequests and signers are cluster-scoped: only a ClusterRole can grant them.
  kinds: ['ClusterRole'],
  equivalents: {
    checkov: ['CKV_K8S_156'],
  },
  evaluate({ resource }) {
    if (isUnjudgedRole(resource)) return [];
    const rules = rulesOf(resource.object);
    // Approving takes both permissions, possibly from different rules.
    const approval = rules.find((r) => allowedBy(r, APPROVAL).length > 0);
    const signer = rules.find((r) => allowedBy(r, SIGNERS).length > 0 && coversBuiltInSigners(r));
    if (!approval || !signer) return [];
    return [{
      path: ['rules', approval.index],
      message:
        `${describeRbacObject(resource)} rules[${approval.index}] ${describeGrant(approval, allowedBy(approval, APPROVAL))} and ` +
        `rules[${signer.index}] ${describeGrant(signer, allowedBy(signer, SIGNERS))}: whoever holds it can approve certificates ` +
        'for any user or group',
    }];
  },
} satisfies Check;
