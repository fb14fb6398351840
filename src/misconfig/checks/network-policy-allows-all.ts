import type { Check, CheckResult } from '../check.js';
import { arr, isRecord, policyDirections, rec, specOf } from './lib/cross-resource.js';

const ANYWHERE = new Set(['0.0.0.0/0', '::/0']);

/** True when a peer (from / to entry) is an ipBlock for every address with no exception. */
function isAnyAddress(peer: unknown): boolean {
  const p = rec(peer);
  const block = rec(p.ipBlock);
  return p.podSelector === undefined && p.namespaceSelector === undefined && typeof block.cidr === 'string' &&
    ANYWHERE.has(block.cidr.trim()) && arr(block.except).length === 0;
}

/**
 * A NetworkPolicy rule that allows all traffic in its direction: no peers and no ports (`- {}`), or,
 * for ingress, an ipBlock of 0.0.0.0/0 (::/0) without exceptions and without ports. Such a rule cancels
 * the isolation the policy gives the pods it selects. Egress to 0.0.0.0/0 is common (internet access)
 * and is not reported.
 */
export const networkPolicyAllowsAll = {
  id: 'PAL-099',
  slug: 'network-policy-allows-all',
  title: 'NetworkPolicy rule allows all traffic',
  description:
    'A rule with no peers and no ports (or, for ingress, from 0.0.0.0/0 on every port) admits every connection: the pods the ' +
    'policy selects count as isolated but are not, and every other pod and any routable address can reach them.',
  remediation:
    'Replace the rule with peers (podSelector, namespaceSelector or specific ipBlocks) and ports that name the clients the ' +
    'pods really serve; delete it if the open access is not intended.',
  severity: 'low',
  category: 'network',
  kinds: ['NetworkPolicy'],
  equivalents: {},
  evaluate({ resource }) {
    const spec = specOf(resource);
    const dirs = policyDirections(resource);
    const out: CheckResult[] = [];
    const scan = (field: 'ingress' | 'egress', peers: 'from' | 'to') => {
      arr(spec[field]).forEach((raw, i) => {
        // Malformed entries (not a mapping, peers not a list) are rejected by the API server: not judged.
        if (!isRecord(raw) || (raw[peers] !== undefined && raw[peers] !== null && !Array.isArray(raw[peers]))) return;
        const rule = raw;
        if (arr(rule.ports).length > 0) return;
        const list = arr(rule[peers]);
        if (list.length === 0) {
          out.push({ path: ['spec', field, i], message: `${field}[${i}] has no ${peers} and no ports: it allows all ${field} ${field === 'ingress' ? 'to' : 'from'} the selected pods` });
          return;
        }
        if (field === 'ingress') {
          const j = list.findIndex(isAnyAddress);
          if (j !== -1) out.push({ path: ['spec', field, i, peers, j, 'ipBlock', 'cidr'], message: `ingress[${i}] allows ${String(rec(rec(list[j]).ipBlock).cidr)} on every port: any address can connect to the selected pods` });
        }
      });
    };
    if (dirs.ingress) scan('ingress', 'from');
    if (dirs.egress) scan('egress', 'to');
    return out;
  },
} satisfies Check;
