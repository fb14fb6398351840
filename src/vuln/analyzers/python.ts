import type { Package } from '../../model/package.js';
import type { Analyzer, AnalyzerError, AnalyzerFile, AnalyzerResult } from './analyzer.js';
import { purl } from './support/purl.js';
import { parseStanzas } from './support/text.js';

/** PEP 503 name normalisation: lower case, runs of `-`, `_`, `.` become one `-`. */
export function normalizePythonName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/**
 * Installed Python distributions from their core metadata (an RFC 822 header block): `*.dist-info/METADATA`
 * (wheels, pip), `*.egg-info/PKG-INFO` (setuptools), a single-file `*.egg-info` (distutils, as Debian's
 * python3 packages ship) and `EGG-INFO/PKG-INFO` inside `.egg` folders. The package name is kept as the
 * distribution wrote it; the purl carries the PEP 503 normalised name. The license is
 * `License-Expression` (metadata 2.4), else a one-line `License`, else the `License ::` classifiers.
 */
export const python = {
  id: 'python',
  version: 1,
  kind: 'language',
  description: 'Python distributions from *.dist-info/METADATA and *.egg-info metadata.',
  wants(path: string): boolean {
    return (
      path.endsWith('.dist-info/METADATA') ||
      path.endsWith('.egg-info/PKG-INFO') ||
      path.endsWith('.egg-info') ||
      path.endsWith('/EGG-INFO/PKG-INFO')
    );
  },
  analyze(files: ReadonlyArray<AnalyzerFile>): AnalyzerResult {
    const packages: Package[] = [];
    const errors: AnalyzerError[] = [];
    for (const f of files) {
      const [stanza] = parseStanzas(f.content.toString('utf8').replace(/^\uFEFF/, ''), { firstOnly: true });
      const name = stanza?.fields.get('Name')?.split('\n')[0];
      const version = stanza?.fields.get('Version')?.split('\n')[0];
      if (!stanza || !name || !version) {
        errors.push({ path: f.path, message: `Python metadata without ${!name ? 'Name' : 'Version'}` });
        continue;
      }
      packages.push({
        ecosystem: 'pypi',
        scheme: 'pep440',
        name,
        version,
        purl: purl('pypi', undefined, normalizePythonName(name), version),
        filePath: f.path,
        licenses: licenses(stanza.fields),
        layer: f.layer,
      });
    }
    return { packages, errors };
  },
} satisfies Analyzer;

function licenses(fields: Map<string, string>): string[] | undefined {
  const expr = fields.get('License-Expression')?.trim();
  if (expr) return [expr];
  const lic = fields.get('License')?.trim();
  // Some projects paste the whole license text into `License:`; that is not a name.
  if (lic && lic.toUpperCase() !== 'UNKNOWN' && !lic.includes('\n') && lic.length <= 100) return [lic];
  const fromClassifiers = (fields.get('Classifier') ?? '')
    .split('\n')
    .filter((c) => c.startsWith('License ::'))
    .map((c) => c.split('::').pop()!.trim())
    .filter((c) => c && c !== 'OSI Approved');
  return fromClassifiers.length ? fromClassifiers : undefined;
}
