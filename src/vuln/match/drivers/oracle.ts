import type { AffectedPackage } from '../../../model/advisory.js';
import type { Package } from '../../../model/package.js';
import { archMatches, major, rpmDriver, sameModule } from '../driver.js';

/** `.ksplice1.` in a release marks a Ksplice user-space build; the number names the patch series. */
function kspliceMark(v: string): string {
  return /\.(ksplice\d+)\./.exec(v)?.[1] ?? '';
}

/** `_fips` marks Oracle's FIPS-validated builds (`3.6.16-4.0.1.el8_fips`). */
function isFips(v: string): boolean {
  return /_fips\b/.test(v);
}

/**
 * Oracle Linux, from Oracle's OVAL data (ELSA errata).
 *
 * Quirks:
 * - The namespace is the major release (`oracle:8`); binary names, source names looked up too.
 * - Architectures: one erratum can fix each architecture in its own build; rows list theirs.
 * - Ksplice and FIPS builds are separate package lines with their own fixes: a row applies only to
 *   packages of the same kind (both `.ksplice1.`, or both plain; both `_fips`, or neither), so a plain glibc
 *   is never told to upgrade to a Ksplice build and the other way round.
 * - Module streams as on RHEL. Epochs compare first; an epoch of 0 is left out of reported versions.
 */
export const oracle = rpmDriver({
  id: 'oracle',
  families: ['oracle'],
  eolFamily: () => 'oracle',
  namespaces(ctx) {
    const release = major(ctx.os.version);
    if (!/^\d+$/.test(release)) {
      ctx.note(`oracle ${ctx.os.version || '(no version)'}: no major release; RPM packages were not matched`);
      return undefined;
    }
    return { namespaces: [`oracle:${release}`], release };
  },
  applies(row: AffectedPackage, pkg: Package): boolean {
    if (!sameModule(row, pkg) || !archMatches(row, pkg)) return false;
    const fixed = row.fixedVersion ?? '';
    if (!fixed) return true;
    return kspliceMark(fixed) === kspliceMark(pkg.version) && isFips(fixed) === isFips(pkg.version);
  },
});
