import { rpmDriver } from '../driver.js';

/**
 * SUSE Linux Enterprise (Server and the images built on it), SLE Micro, openSUSE Leap and openSUSE
 * Tumbleweed, from SUSE's CVRF/OVAL data.
 *
 * Quirks:
 * - Each product is its own family: `sles:<version>`, `sle-micro:<version>`, `opensuse-leap:<version>` with
 *   the version as os-release gives it (`15.6`), and `opensuse-tumbleweed:rolling`.
 * - SUSE advisories are per update (`SUSE-SU-2024:1234-1`) and name **binary** packages
 *   (`libopenssl1_1`); source names are looked up too.
 * - The data describes released updates: a row without a fixed version is not reported.
 * - Epochs compare first; an epoch of 0 is left out of reported versions.
 */
export const suse = rpmDriver({
  id: 'suse',
  families: ['sles', 'sle-micro', 'opensuse-leap', 'opensuse-tumbleweed'],
  eolFamily: (os) => (os.family === 'opensuse-tumbleweed' ? undefined : os.family),
  reportsUnfixed: false,
  namespaces(ctx) {
    if (ctx.os.family === 'opensuse-tumbleweed') return { namespaces: ['opensuse-tumbleweed:rolling'] };
    const release = ctx.os.version.trim();
    if (!/^\d+(\.\d+)?$/.test(release)) {
      ctx.note(`${ctx.os.family} ${release || '(no version)'}: no release; RPM packages were not matched`);
      return undefined;
    }
    return { namespaces: [`${ctx.os.family}:${release}`], release };
  },
});
