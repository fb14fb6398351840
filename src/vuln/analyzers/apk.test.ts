import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apk } from './apk.js';

const db = { path: '/lib/apk/db/installed', content: readFileSync(join(import.meta.dirname, '__fixtures__', 'apk', 'installed')) };

describe('apk analyzer', () => {
  it('wants the installed database in both locations', () => {
    expect(apk.wants('/lib/apk/db/installed')).toBe(true);
    expect(apk.wants('/usr/lib/apk/db/installed')).toBe(true);
    expect(apk.wants('/lib/apk/db/triggers')).toBe(false);
    expect(apk.wants('/etc/apk/world')).toBe(false);
  });

  it('lists the packages of an Alpine 3.19 database with origins and licenses', () => {
    const { packages, errors } = apk.analyze([db], { os: { family: 'alpine', version: '3.19.1' } });
    expect(errors).toEqual([]);
    expect(packages.map((p) => `${p.name} ${p.version} ${p.sourceName}`)).toEqual([
      'musl 1.2.4_git20230717-r4 musl',
      'busybox 1.36.1-r15 busybox',
      'alpine-baselayout-data 3.4.3-r2 alpine-baselayout',
      'ca-certificates-bundle 20230506-r0 ca-certificates',
      'libcrypto3 3.1.4-r5 openssl',
      'libssl3 3.1.4-r5 openssl',
      'ssl_client 1.36.1-r15 busybox',
      'zlib 1.3.1-r0 zlib',
      'apk-tools 2.14.0-r5 apk-tools',
    ]);
    expect(packages[4]).toEqual({
      ecosystem: 'alpine',
      scheme: 'apk',
      name: 'libcrypto3',
      version: '3.1.4-r5',
      sourceName: 'openssl',
      sourceVersion: '3.1.4-r5',
      arch: 'x86_64',
      purl: 'pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1',
      filePath: '/lib/apk/db/installed',
      licenses: ['Apache-2.0'],
    });
    expect(packages[3].licenses).toEqual(['MPL-2.0 AND MIT']);
  });

  it('uses the wolfi namespace on Wolfi', () => {
    const [p] = apk.analyze([db], { os: { family: 'wolfi', version: '20230201' } }).packages;
    expect(p).toMatchObject({ ecosystem: 'wolfi', purl: 'pkg:apk/wolfi/musl@1.2.4_git20230717-r4?arch=x86_64&distro=wolfi-20230201' });
  });

  it('handles CRLF, a missing final blank line and records without a version', () => {
    const text = 'P:zlib\r\nV:1.3.1-r0\r\nA:aarch64\r\n\r\nP:half\r\nA:x86_64\r\n\r\nP:busybox\nV:1.36.1-r15';
    const { packages, errors } = apk.analyze([{ path: '/lib/apk/db/installed', content: Buffer.from(text) }], {});
    expect(packages.map((p) => `${p.name}@${p.version}/${p.arch ?? '-'}`)).toEqual(['zlib@1.3.1-r0/aarch64', 'busybox@1.36.1-r15/-']);
    expect(packages[0].purl).toBe('pkg:apk/alpine/zlib@1.3.1-r0?arch=aarch64');
    expect(errors).toEqual([{ path: '/lib/apk/db/installed', message: 'record at line 5 has no version (V:); skipped' }]);
  });
});
