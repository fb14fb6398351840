import { setField, type Check } from '../check.js';
import { effectiveNamespace } from '../../model/resource.js';
import { POD_KINDS } from '../pod-view.js';
import { tokenMount } from './lib/rbac.js';

export const serviceAccountTokenAutomount = {
  id: 'PAL-076',
  slug: 'service-account-token-automount',
  title: 'Service account token automounted',
  description:
    'An automounted service account token lets anyone who gets code execution in the pod call the Kubernetes API with ' +
    'the pod\'s identity. Most workloads never call the API and should not carry the credential.',
  remediation:
    'Set `automountServiceAccountToken: false` in the pod spec (or on its ServiceAccount); workloads that call the API ' +
    'can mount a projected token explicitly.',
  severity: 'medium',
  category: 'rbac',
  kinds: POD_KINDS,
  crossResource: true,
  equivalents: {
    polaris: ['automountServiceAccountToken'],
    checkov: ['CKV_K8S_38'],
    kubescape: ['C-0034', 'C-0190'],
    defender: ['Kubernetes clusters should disable automounting API credentials'],
    trivy: ['KSV036'],
  },
  appliesTo: ({ pod }) => pod !== undefined,
  evaluate({ resource, pod, inventory }) {
    const token = tokenMount(pod!, inventory, effectiveNamespace(resource) ?? 'default');
    if (!token.mounted) return [];
    const path = [...pod!.specPath, 'automountServiceAccountToken'];
    return [{ path, message: `the service account token is mounted: ${token.reason}`, fix: setField(path, false, 'set automountServiceAccountToken: false in the pod spec') }];
  },
} satisfies Check;
