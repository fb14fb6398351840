import type { OsDriver } from '../driver.js';
import { majorMinor } from '../driver.js';
import { eolRelease, isPast } from '../eol.js';

/**
 * Ubuntu, from the Ubuntu CVE tracker as OSV publishes it.
 *
 * Quirks:
 * - Advisories name the **source** package and its version, like Debian's.
 * - The namespace is `ubuntu:<YY.MM>` (point releases `22.04.3` use `22.04`).
 * - Expanded Security Maintenance: an image with Ubuntu Pro ESM enabled reports its version as
 *   `<YY.MM>-ESM`. While `<YY.MM>` is in standard support its own advisories apply; once it is past its end of
 *   life (from `content/vuln/eol.yaml`), only the Pro stream applies (`ubuntu:<YY.MM>:pro`), which holds the
 *   fixes ESM delivers. Without the end-of-life table the release is assumed supported.
 * - Rows without a fixed version are reported as unfixed.
 */
export const ubuntu: OsDriver = {
  id: 'ubuntu',
  families: ['ubuntu'],
  scheme: 'deb',
  eolFamily: () => 'ubuntu',
  namespaces(ctx) {
    const raw = ctx.os.version.trim();
    const esm = /-ESM$/i.test(raw);
    const release = majorMinor(raw.replace(/-ESM$/i, ''));
    if (!/^\d+\.\d+$/.test(release)) {
      ctx.note(`ubuntu ${raw || '(no version)'}: no YY.MM release; Ubuntu packages were not matched`);
      return undefined;
    }
    if (esm && isPast(eolRelease(ctx.eol, 'ubuntu', release)?.eol, ctx.now)) {
      return { namespaces: [`ubuntu:${release}:pro`], release };
    }
    return { namespaces: [`ubuntu:${release}`], release };
  },
  lookups: (pkg) => [{ name: pkg.sourceName ?? pkg.name, version: pkg.sourceVersion ?? pkg.version }],
  applies: () => true,
  reportsUnfixed: true,
};
