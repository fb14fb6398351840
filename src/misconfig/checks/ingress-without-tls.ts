import type { Check, CheckResult } from '../check.js';
import { arr, rec, specOf, str } from './lib/cross-resource.js';

/** True when a TLS host entry (possibly `*.example.com`) covers a rule host. */
function hostCovered(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p === h) return true;
  // A wildcard covers exactly one more DNS label, as in X.509 and the Ingress spec.
  if (p.startsWith('*.')) {
    const suffix = p.slice(1);
    return h.endsWith(suffix) && !h.slice(0, h.length - suffix.length).includes('.') && h.length > suffix.length;
  }
  return false;
}

/**
 * An Ingress without spec.tls serves its hosts over plain HTTP. When spec.tls lists hosts, rule hosts
 * that no TLS entry covers are reported too (a TLS entry without hosts covers every host).
 */
export const ingressWithoutTls = {
  id: 'PAL-084',
  slug: 'ingress-without-tls',
  title: 'Ingress without TLS',
  description:
    'Without TLS, credentials, session cookies and data cross the network in clear text and can be read or changed by ' +
    'anyone on the path between the client and the ingress controller.',
  remediation:
    'Add spec.tls entries that list every host of spec.rules with a certificate Secret (cert-manager can issue and ' +
    'renew it), and make the controller redirect HTTP to HTTPS.',
  severity: 'medium',
  category: 'network',
  kinds: ['Ingress'],
  equivalents: {
    polaris: ['tlsSettingsMissing'],
    defender: ['Kubernetes clusters should be accessible only over HTTPS'],
  },
  evaluate({ resource }) {
    const spec = specOf(resource);
    const tls = arr(spec.tls).map(rec);
    const rules = arr(spec.rules).map(rec);
    if (tls.length === 0) {
      const hosts = [...new Set(rules.map((r) => str(r.host)).filter((h): h is string => h !== undefined))];
      const what = hosts.length > 0 ? `hosts ${hosts.map((h) => `"${h}"`).join(', ')} are` : 'its routes are';
      return [{ path: ['spec', 'tls'], message: `Ingress has no spec.tls: ${what} served over plain HTTP` }];
    }
    if (tls.some((t) => arr(t.hosts).length === 0)) return [];
    const patterns = tls.flatMap((t) => arr(t.hosts)).filter((h): h is string => typeof h === 'string');
    const out: CheckResult[] = [];
    rules.forEach((r, i) => {
      const host = str(r.host);
      if (host && !patterns.some((p) => hostCovered(p, host))) {
        out.push({ path: ['spec', 'rules', i, 'host'], message: `host "${host}" is not listed in any spec.tls entry, so it is served over plain HTTP` });
      }
    });
    return out;
  },
} satisfies Check;
