import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLUSTER_KINDS, kindsFor, permissionsTable, readsData } from './kinds.js';
import { grantYaml } from './preflight.js';

const between = (text: string, name: string) => {
  const start = text.indexOf(`<!-- ${name}:start -->`);
  const end = text.indexOf(`<!-- ${name}:end -->`);
  expect(start, `docs/clusters.md lacks the ${name} markers`).toBeGreaterThan(-1);
  return text.slice(text.indexOf('\n', start) + 1, end).trim();
};

describe('cluster kinds', () => {
  it('names each kind once', () => {
    expect(new Set(CLUSTER_KINDS.map((k) => k.kind)).size).toBe(CLUSTER_KINDS.length);
  });

  it('reads Secrets only when asked, and their values only with secret-data', () => {
    expect(kindsFor(new Set()).some((k) => k.kind === 'Secret')).toBe(false);
    const secret = CLUSTER_KINDS.find((k) => k.kind === 'Secret')!;
    expect(kindsFor(new Set(['secrets-metadata'])).includes(secret)).toBe(true);
    expect(readsData(secret, new Set(['secrets-metadata']))).toBe(false);
    expect(readsData(secret, new Set(['secret-data']))).toBe(true);
    expect(readsData(CLUSTER_KINDS.find((k) => k.kind === 'ConfigMap')!, new Set())).toBe(false);
  });

  it('docs/clusters.md shows the permissions and the grant this code uses', () => {
    const doc = readFileSync(new URL('../../../docs/clusters.md', import.meta.url), 'utf8');
    expect(between(doc, 'permissions')).toBe(permissionsTable());
    const grant = grantYaml(kindsFor(new Set()), { kind: 'ServiceAccount', name: 'palisade', namespace: 'palisade' }, 'palisade-read');
    expect(between(doc, 'grant')).toBe('```yaml\n' + grant.trimEnd() + '\n```');
  });
});
