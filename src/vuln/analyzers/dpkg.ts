import type { Package } from '../../model/package.js';
import type { Analyzer, AnalyzerError, AnalyzerFile, AnalyzerResult } from './analyzer.js';
import { distroQualifier, osPackageEcosystem } from './support/distro.js';
import { purl } from './support/purl.js';
import { parseStanzas } from './support/text.js';

/**
 * Package states whose files are on disk (dpkg(1) "Package states"): `unpacked` and `half-configured` are
 * installed files that were not configured yet, `triggers-*` are installed packages waiting for triggers.
 * `not-installed`, `config-files` (only conffiles left) and `half-installed` (an interrupted install or
 * removal) are not reported.
 */
const ON_DISK = new Set(['installed', 'triggers-pending', 'triggers-awaiting', 'half-configured', 'unpacked']);

/**
 * Installed Debian and Ubuntu packages from `/var/lib/dpkg/status`, and from the one-file-per-package
 * `/var/lib/dpkg/status.d/*` of distroless images (whose paragraphs have no `Status:` field: every listed
 * package is installed). The source package and its version come from `Source: name (version)`; without
 * a version in parentheses the source version is the binary version, and without `Source:` the source is
 * the package itself. Licenses are not reported: dpkg keeps them only in /usr/share/doc/<pkg>/copyright.
 */
export const dpkg = {
  id: 'dpkg',
  version: 1,
  kind: 'os-packages',
  description: 'Debian packages from /var/lib/dpkg/status and the distroless /var/lib/dpkg/status.d/.',
  wants(path: string): boolean {
    if (path === '/var/lib/dpkg/status') return true;
    if (!path.startsWith('/var/lib/dpkg/status.d/')) return false;
    // status.d also holds `<pkg>.md5sums` files next to the package paragraphs.
    const rest = path.slice('/var/lib/dpkg/status.d/'.length);
    return rest.length > 0 && !rest.includes('/') && !rest.endsWith('.md5sums');
  },
  analyze(files: ReadonlyArray<AnalyzerFile>, ctx): AnalyzerResult {
    const ecosystem = osPackageEcosystem('dpkg', ctx.os);
    const distro = distroQualifier(ecosystem, ctx.os);
    const packages: Package[] = [];
    const errors: AnalyzerError[] = [];
    for (const file of files) {
      const distroless = file.path !== '/var/lib/dpkg/status';
      for (const stanza of parseStanzas(file.content.toString('utf8'))) {
        const f = stanza.fields;
        const name = f.get('Package');
        const version = f.get('Version');
        if (!name) continue;
        const status = f.get('Status');
        if (status !== undefined) {
          const state = status.split(/\s+/)[2];
          if (!ON_DISK.has(state)) continue;
        } else if (!distroless) {
          errors.push({ path: file.path, message: `package "${name}" (line ${stanza.line}) has no Status field; skipped` });
          continue;
        }
        if (!version) {
          errors.push({ path: file.path, message: `package "${name}" (line ${stanza.line}) has no Version field; skipped` });
          continue;
        }
        let sourceName = name;
        let sourceVersion = version;
        const source = f.get('Source');
        if (source) {
          const m = /^(\S+)(?:\s+\(([^)]+)\))?/.exec(source);
          if (m) {
            sourceName = m[1];
            if (m[2]) sourceVersion = m[2].trim();
          }
        }
        const arch = f.get('Architecture') || undefined;
        packages.push({
          ecosystem,
          scheme: 'deb',
          name,
          version,
          sourceName,
          sourceVersion,
          arch,
          purl: purl('deb', ecosystem, name, version, { arch, distro }),
          filePath: file.path,
          layer: file.layer,
        });
      }
    }
    return { packages, errors };
  },
} satisfies Analyzer;
