import { show, type Check, type CheckResult } from '../check.js';
import type { FieldPath } from '../../model/path.js';
import { getIn } from '../../model/path.js';
import { remembered } from './lib/memo.js';

const NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Verdicts on keys and values already seen (see {@link remembered}). */
const keyVerdicts = new Map<string, string | undefined>();
const valueVerdicts = new Map<string, string | undefined>();

/**
 * A name made only of letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit, at
 * most 63 characters: a valid label value, and a valid key without prefix. Read character by character,
 * it answers most labels without a regular expression or a cache lookup.
 */
function isPlainName(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 63) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const alnum = (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90);
    if (alnum) continue;
    if ((c === 45 || c === 95 || c === 46) && i > 0 && i < n - 1) continue;
    return false;
  }
  return true;
}

/** Why a label key is invalid, or undefined. */
function keyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return 'its prefix must be a DNS subdomain (lower case, at most 253 characters)';
  if (name.length === 0 || name.length > 63) return 'its name must be 1 to 63 characters';
  if (!NAME.test(name)) return 'its name must start and end with a letter or digit and contain only letters, digits, "-", "_" and "."';
  return undefined;
}

/** Why a label value is invalid, or undefined. */
function valueProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') {
    const t = value === null ? 'null' : typeof value;
    return `is a ${t}, not a string${t === 'number' || t === 'boolean' ? ' (quote it in YAML)' : ''}`;
  }
  if (value.length > 63) return `is ${value.length} characters long (at most 63)`;
  if (value !== '' && !NAME.test(value)) return 'must be empty, or start and end with a letter or digit and contain only letters, digits, "-", "_" and "."';
  return undefined;
}

/** Where labels live in a resource: its own metadata and the metadata of the templates it carries. */
const LABEL_PATHS: FieldPath[] = [
  ['metadata', 'labels'],
  ['spec', 'template', 'metadata', 'labels'],
  ['spec', 'jobTemplate', 'metadata', 'labels'],
  ['spec', 'jobTemplate', 'spec', 'template', 'metadata', 'labels'],
  ['template', 'metadata', 'labels'],
];

export const invalidLabels = {
  id: 'PAL-049',
  slug: 'invalid-labels',
  title: 'Label key or value is invalid',
  description:
    'Label values must be strings of at most 63 characters made of letters, digits, `-`, `_` and `.`, starting ' +
    'and ending with an alphanumeric; keys follow the same rule with an optional DNS prefix. The API server ' +
    'rejects anything else, and an unquoted `true` or `1.0` in YAML is not a string.',
  remediation: 'Fix or quote the label so that it matches the Kubernetes label syntax.',
  severity: 'low',
  category: 'configuration',
  kinds: ['*'],
  appliesTo: ({ object }) => LABEL_PATHS.some((p) => getIn(object, p) !== undefined),
  evaluate({ object }) {
    const out: CheckResult[] = [];
    for (const p of LABEL_PATHS) {
      const labels = getIn(object, p);
      if (labels === undefined || labels === null) continue;
      if (typeof labels !== 'object' || Array.isArray(labels)) {
        out.push({ path: p, message: `${p.join('.')} is not a map of labels (${show(labels)})` });
        continue;
      }
      const map = labels as Record<string, unknown>;
      for (const key in map) {
        if (!Object.hasOwn(map, key)) continue;
        const value = map[key];
        const kp = isPlainName(key) ? undefined : remembered(keyVerdicts, key, keyProblem);
        if (kp) out.push({ path: [...p, key], message: `label key ${show(key)} is invalid: ${kp}` });
        const vp = typeof value === 'string' ? (value === '' || isPlainName(value) ? undefined : remembered(valueVerdicts, value, valueProblem)) : valueProblem(value);
        if (vp) out.push({ path: [...p, key], message: `label ${show(key)} value ${show(value)} ${vp}` });
      }
    }
    return out;
  },
  equivalents: {
    kubeScore: ['label-values'],
  },
} satisfies Check;
