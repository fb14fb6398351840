import { major, rpmDriver } from '../driver.js';

/**
 * Red Hat Enterprise Linux and CentOS (which Red Hat's data covers release for release), from Red Hat's
 * security data (OSV's `Red Hat` ecosystem).
 *
 * Quirks:
 * - The namespace is the major release (`redhat:9`); CentOS 7 and 8 are matched as RHEL 7 and 8.
 * - Red Hat names **binary** RPMs (`vim-minimal`, `glibc-common`); the source RPM is looked up too, for data
 *   keyed by source.
 * - Module streams: a package built from a module (`MODULARITYLABEL` `php:7.2:...`) matches only rows of the
 *   same stream (`php:7.2`), and a package outside modules only rows without one.
 * - Architectures: a row that lists architectures applies only to them (`noarch` packages match every row).
 * - Several errata may fix one CVE (a first fix that was incomplete): the newest fixed version not yet
 *   installed is reported. A CVE-level "will not fix" row is not reported when an erratum for the same CVE
 *   is already installed.
 * - Epochs compare first (`2:7.4` > `1:9.0`); an epoch of 0 is left out of reported versions.
 * - Packages from Remi's repository (release ending `.remi`) are rebuilt outside Red Hat and skipped.
 */
export const redhat = rpmDriver({
  id: 'redhat',
  families: ['redhat', 'centos'],
  eolFamily: (os) => (os.family === 'centos' ? 'centos' : 'redhat'),
  namespaces(ctx) {
    const release = major(ctx.os.version);
    if (!/^\d+$/.test(release)) {
      ctx.note(`${ctx.os.family} ${ctx.os.version || '(no version)'}: no major release; RPM packages were not matched`);
      return undefined;
    }
    return { namespaces: [`redhat:${release}`], release };
  },
  skip: (pkg) => (/\.remi$/.test(pkg.version) ? 'built by the Remi repository, not Red Hat' : undefined),
});
