import type { Check, CheckResult } from '../check.js';
import { isRecord } from './lib/cross-resource.js';

/** Values that are not the secret itself: empty, SOPS ciphertext, or an unrendered template placeholder. */
function isPlaceholder(v: string): boolean {
  const t = v.trim();
  return t === '' || /^ENC\[[A-Z0-9_]+,/.test(t) || /^\$\{[^}]+\}$/.test(t) || /^\{\{[\s\S]*\}\}$/.test(t) || /^<[^<>]+>$/.test(t);
}

function liveKeys(data: unknown, base64: boolean): string[] {
  if (!isRecord(data)) return [];
  return Object.entries(data)
    .filter(([, raw]) => {
      if (raw === null || raw === undefined || typeof raw === 'object') return false;
      const s = String(raw);
      return !isPlaceholder(base64 ? Buffer.from(s, 'base64').toString('utf8') : s);
    })
    .map(([k]) => k);
}

function keyList(keys: string[]): string {
  const shown = keys.slice(0, 5).map((k) => JSON.stringify(k)).join(', ');
  return keys.length > 5 ? `${shown} and ${keys.length - 5} more` : shown;
}

export const secretCommittedInManifest = {
  id: 'PAL-103',
  slug: 'secret-committed-in-manifest',
  title: 'Secret values written in a manifest file',
  description:
    'A Secret manifest with real `data` or `stringData` puts the credential in every copy of the file: the git ' +
    'history, CI logs, artifact stores. Base64 in `data` is an encoding, not encryption, and `stringData` is plain text.',
  remediation:
    'Keep only references in the repository: use Sealed Secrets, SOPS-encrypted manifests, the External Secrets ' +
    'Operator or the Secrets Store CSI driver, and create the Secret at deploy time. Rotate credentials that were committed.',
  severity: 'low',
  category: 'secrets',
  kinds: ['Secret'],
  equivalents: {},
  // Only manifests from files or stdin: a Secret read from a live cluster is where secrets belong.
  appliesTo: ({ resource }) => !resource.source.file.startsWith('cluster://'),
  evaluate({ object }) {
    // SOPS-encrypted documents carry a top-level `sops` block and hold ciphertext only; token Secrets
    // are filled in by the control plane (and reported by PAL-104).
    if (isRecord(object.sops) || object.type === 'kubernetes.io/service-account-token') return [];
    const out: CheckResult[] = [];
    const plain = liveKeys(object.stringData, false);
    if (plain.length > 0) {
      out.push({ path: ['stringData'], message: `Secret has ${plain.length} plain-text value${plain.length > 1 ? 's' : ''} in stringData (${keyList(plain)})` });
    }
    const encoded = liveKeys(object.data, true);
    if (encoded.length > 0) {
      out.push({ path: ['data'], message: `Secret has ${encoded.length} base64-encoded, unencrypted value${encoded.length > 1 ? 's' : ''} in data (${keyList(encoded)})` });
    }
    return out;
  },
} satisfies Check;
