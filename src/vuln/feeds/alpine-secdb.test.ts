import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alpineSecdb, ALPINE_BRANCHES } from './alpine-secdb.js';

const read = (p: string) => readFileSync(join(import.meta.dirname, '__fixtures__/alpine-secdb', p));

describe('alpine-secdb feed', () => {
  it('names main and community of every branch', () => {
    const docs = alpineSecdb.documents();
    expect(docs).toHaveLength(ALPINE_BRANCHES.length * 2);
    expect(docs.map((d) => d.key)).toContain('v3.12/community');
    expect(docs.find((d) => d.key === 'edge/main')).toMatchObject({ path: 'edge/main.json', location: 'https://secdb.alpinelinux.org/edge/main.json', format: 'json', source: { id: 'alpine-secdb' } });
    expect(alpineSecdb.documents('/m/alpine-secdb/').find((d) => d.key === 'v3.22/main')?.location).toBe('/m/alpine-secdb/v3.22/main.json');
  });

  it('turns secfixes into fixed rows, and version "0" into not-affected', () => {
    const r = alpineSecdb.parse('v3.19/main', read('v3.19/main.json'));
    const of = (pkg: string) => r.affected.filter((a) => a.package === pkg).map((a) => [a.vulnerabilityId, a.status, a.fixedVersion]);
    // JSON objects list integer-like keys first, so "0" comes before the versions.
    expect(of('openssl')).toEqual([
      ['CVE-2022-1292', 'not-affected', undefined],
      ['CVE-2023-5678', 'fixed', '3.1.4-r1'],
      ['CVE-2023-6129', 'fixed', '3.1.4-r3'],
      ['CVE-2024-0727', 'fixed', '3.1.4-r5'],
      ['CVE-2024-2511', 'fixed', '3.1.4-r6'],
      ['CVE-2024-4603', 'fixed', '3.1.4-r6'],
    ]);
    // Several ids on one line, and Xen's XSA ids beside the CVEs.
    expect(of('busybox').map((x) => x[0])).toEqual(['CVE-2023-42363', 'CVE-2023-42364', 'CVE-2023-42365', 'CVE-2022-48174']);
    expect(of('xen').map((x) => x[0])).toEqual(['CVE-2023-46835', 'XSA-445', 'CVE-2023-46836', 'XSA-446']);
    expect(r.affected.every((a) => a.namespace === 'alpine:3.19' && a.source === 'alpine-secdb')).toBe(true);
    expect(r.affected).toHaveLength(15);
    expect(r.vulnerabilities.find((v) => v.id === 'CVE-2023-45853')).toEqual({ id: 'CVE-2023-45853', aliases: [], cvss: [], references: ['https://security.alpinelinux.org/vuln/CVE-2023-45853'] });
  });

  it('reports malformed packages by name or index and keeps the others', () => {
    const r = alpineSecdb.parse('v3.19/main', read('v3.19/main.json'));
    expect(r.errors.map((e) => `${e.document} ${e.entry}: ${e.message}`)).toEqual([
      'v3.19/main xen@4.18.0-r2: secfixes: "see upstream changelog" names no vulnerability id',
      expect.stringMatching(/^v3\.19\/main packages\[3\]: pkg\.name: /),
      expect.stringMatching(/^v3\.19\/main musl: pkg\.secfixes\.1\.2\.4_git20230717-r5: /),
    ]);
  });

  it('reads community and edge into their namespaces', () => {
    const c = alpineSecdb.parse('v3.19/community', read('v3.19/community.json'));
    expect(c.errors).toEqual([]);
    expect(c.affected).toHaveLength(8);
    expect(alpineSecdb.parse('edge/main', read('edge/main.json')).affected.map((a) => a.namespace)).toEqual(['alpine:edge', 'alpine:edge']);
  });

  it('refuses a document that is for another branch or repository, or not a secdb document', () => {
    expect(alpineSecdb.parse('v3.18/main', read('v3.19/main.json')).documentError).toBe('v3.18/main.json: distroversion is "v3.19", expected "v3.18"');
    expect(alpineSecdb.parse('v3.19/community', read('v3.19/main.json')).documentError).toMatch(/reponame is "main"/);
    expect(alpineSecdb.parse('v3.19/main', new TextEncoder().encode('{"packages": {}}')).documentError).toMatch(/^v3\.19\/main\.json: not an Alpine secdb document: packages: /);
    expect(alpineSecdb.parse('v3.19/main', new TextEncoder().encode('<html>')).documentError).toMatch(/not valid JSON/);
  });
});
