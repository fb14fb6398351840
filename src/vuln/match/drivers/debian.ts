import type { OsDriver } from '../driver.js';
import { major } from '../driver.js';
import { releaseOfCodename } from '../eol.js';

/**
 * Debian (and distroless images, which are Debian without a package manager), from the Debian security
 * tracker and OSV's Debian records.
 *
 * Quirks:
 * - Advisories name the **source** package (`apache2` for `apache2-bin`, `htpasswd`...) and its version; the
 *   installed binary version is what reports show.
 * - The namespace is the major release (`12.5` -> `debian:12`); a testing or unstable image whose
 *   `/etc/debian_version` reads `trixie/sid` is matched by codename through the end-of-life table; `sid`
 *   alone has no release number and is not matched (the tracker's unstable data says nothing of a fixed
 *   snapshot).
 * - Rows without a fixed version are reported as unfixed, with the tracker's status (`will-not-fix` for
 *   `<ignored>`, `fix-deferred` for `<postponed>`, `end-of-life` for packages out of support). `not-affected`
 *   (the tracker's fixed version `0`) is never reported.
 * - Versions dpkg would refuse are not compared (the package is skipped with a note).
 */
export const debian: OsDriver = {
  id: 'debian',
  families: ['debian', 'distroless'],
  scheme: 'deb',
  eolFamily: () => 'debian',
  namespaces(ctx) {
    const v = ctx.os.version.trim();
    let release = /^\d/.test(v) ? major(v) : undefined;
    if (!release) {
      const codename = v.split('/')[0] ?? '';
      release = codename ? releaseOfCodename(ctx.eol, 'debian', codename) : undefined;
    }
    if (!release) {
      ctx.note(`debian ${v || '(no version)'}: no release number (unstable or unknown codename); Debian packages were not matched`);
      return undefined;
    }
    return { namespaces: [`debian:${release}`], release };
  },
  lookups: (pkg) => [{ name: pkg.sourceName ?? pkg.name, version: pkg.sourceVersion ?? pkg.version }],
  applies: () => true,
  reportsUnfixed: true,
};
