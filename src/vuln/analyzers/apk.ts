import type { Package } from '../../model/package.js';
import type { Analyzer, AnalyzerError, AnalyzerFile, AnalyzerResult } from './analyzer.js';
import { distroQualifier, osPackageEcosystem } from './support/distro.js';
import { purl } from './support/purl.js';

const DB_PATHS = new Set(['/lib/apk/db/installed', '/usr/lib/apk/db/installed']);

/**
 * Installed Alpine, Wolfi and Chainguard packages from apk's database (`/lib/apk/db/installed`; also
 * `/usr/lib/apk/db/installed` where a merged `/usr` moved it). The database is a list of blank-line
 * separated records of `X:value` lines; the fields read are `P` (name), `V` (version), `A` (architecture),
 * `L` (license), `o` (origin: the source package advisories name) and `c` (the aports commit). File lists
 * (`F`, `R`) and checksums are skipped.
 */
export const apk = {
  id: 'apk',
  version: 1,
  kind: 'os-packages',
  description: 'Alpine, Wolfi and Chainguard packages from /lib/apk/db/installed.',
  wants(path: string): boolean {
    return DB_PATHS.has(path);
  },
  analyze(files: ReadonlyArray<AnalyzerFile>, ctx): AnalyzerResult {
    const ecosystem = osPackageEcosystem('apk', ctx.os);
    const distro = distroQualifier(ecosystem, ctx.os);
    const packages: Package[] = [];
    const errors: AnalyzerError[] = [];
    for (const file of files) {
      let rec = new Map<string, string>();
      let recLine = 1;
      const flush = (): void => {
        const name = rec.get('P');
        const version = rec.get('V');
        if (name && version) {
          const arch = rec.get('A') || undefined;
          const license = rec.get('L');
          packages.push({
            ecosystem,
            scheme: 'apk',
            name,
            version,
            sourceName: rec.get('o') || name,
            sourceVersion: version,
            arch,
            purl: purl('apk', ecosystem, name, version, { arch, distro }),
            filePath: file.path,
            licenses: license ? [license] : undefined,
            layer: file.layer,
          });
        } else if (rec.size > 0) {
          errors.push({ path: file.path, message: `record at line ${recLine} has no ${name ? 'version (V:)' : 'name (P:)'}; skipped` });
        }
        rec = new Map();
      };
      const lines = file.content.toString('utf8').split(/\r?\n/);
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        if (line === '') {
          flush();
          continue;
        }
        if (line.length < 2 || line[1] !== ':') continue;
        if (rec.size === 0) recLine = i + 1;
        const key = line[0];
        // Only the first occurrence counts: the file fields (F, R, a, Z) repeat, the package fields do not.
        if (!rec.has(key)) rec.set(key, line.slice(2));
      }
      flush();
    }
    return { packages, errors };
  },
} satisfies Analyzer;
