import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AnalyzerFile } from './analyzer.js';
import { normalizePythonName, python } from './python.js';

// Metadata files copied (description trimmed) from real installs: pip wheels, a Debian egg-info folder and
// a distutils single-file egg-info, laid out as in an image.
const root = join(import.meta.dirname, '__fixtures__', 'python');

function imageFiles(dir: string, prefix = ''): AnalyzerFile[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? imageFiles(full, `${prefix}/${name}`) : [{ path: `${prefix}/${name}`, content: readFileSync(full) }];
  });
}

describe('python analyzer', () => {
  it('normalises names per PEP 503', () => {
    expect(normalizePythonName('Charset_Normalizer')).toBe('charset-normalizer');
    expect(normalizePythonName('zope.interface')).toBe('zope-interface');
    expect(normalizePythonName('PyJWT')).toBe('pyjwt');
    expect(normalizePythonName('a-_.b')).toBe('a-b');
  });

  it('wants metadata files only', () => {
    for (const p of ['/usr/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA', '/usr/lib/python3/dist-packages/PyJWT-2.6.0.egg-info/PKG-INFO',
      '/usr/lib/python2.7/wsgiref.egg-info', '/usr/lib/python2.7/site-packages/foo-1.0-py2.7.egg/EGG-INFO/PKG-INFO']) {
      expect(python.wants(p), p).toBe(true);
    }
    for (const p of ['/usr/lib/python3.11/site-packages/requests-2.31.0.dist-info/RECORD', '/app/requirements.txt', '/usr/lib/python3/dist-packages/PyJWT-2.6.0.egg-info/top_level.txt']) {
      expect(python.wants(p), p).toBe(false);
    }
  });

  it('reads dist-info, egg-info folders and single-file egg-info', () => {
    const files = imageFiles(root).filter((f) => python.wants(f.path));
    const { packages, errors } = python.analyze(files);
    expect(errors).toEqual([]);
    expect(packages.map((p) => [p.name, p.version, p.purl, p.licenses])).toEqual([
      ['wsgiref', '0.1.2', 'pkg:pypi/wsgiref@0.1.2', ['PSF or ZPL']],
      ['PyJWT', '2.6.0', 'pkg:pypi/pyjwt@2.6.0', ['MIT']],
      ['annotated-types', '0.7.0', 'pkg:pypi/annotated-types@0.7.0', ['MIT License']], // from the classifier
      ['attrs', '26.1.0', 'pkg:pypi/attrs@26.1.0', ['MIT']], // License-Expression
      ['charset-normalizer', '3.4.7', 'pkg:pypi/charset-normalizer@3.4.7', ['MIT']],
    ]);
    expect(packages[4]).toEqual({
      ecosystem: 'pypi',
      scheme: 'pep440',
      name: 'charset-normalizer',
      version: '3.4.7',
      purl: 'pkg:pypi/charset-normalizer@3.4.7',
      filePath: '/usr/local/lib/python3.11/site-packages/charset_normalizer-3.4.7.dist-info/METADATA',
      licenses: ['MIT'],
    });
  });

  it('ignores a License field holding a whole license text, and reports metadata without a version', () => {
    const text = 'Metadata-Version: 2.1\nName: Foo.Bar\nVersion: 1.0\nLicense: Copyright (c) 2020 Foo\n        Permission is hereby granted, free of charge\n\nbody\n';
    const bad = 'Metadata-Version: 2.1\nName: nover\n';
    const { packages, errors } = python.analyze([
      { path: '/x/Foo.Bar-1.0.dist-info/METADATA', content: Buffer.from(text) },
      { path: '/x/nover-0.dist-info/METADATA', content: Buffer.from(bad) },
    ]);
    expect(packages.map((p) => [p.name, p.purl, p.licenses])).toEqual([['Foo.Bar', 'pkg:pypi/foo-bar@1.0', undefined]]);
    expect(errors).toEqual([{ path: '/x/nover-0.dist-info/METADATA', message: 'Python metadata without Version' }]);
  });
});
