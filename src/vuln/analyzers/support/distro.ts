import type { Ecosystem, OsInfo } from '../../../model/package.js';

/** The package managers whose databases the OS package analyzers read. */
export type OsPackageManager = 'dpkg' | 'apk' | 'rpm';

const FAMILIES: Record<OsPackageManager, ReadonlyArray<Ecosystem>> = {
  dpkg: ['debian', 'ubuntu'],
  apk: ['alpine', 'wolfi', 'chainguard'],
  rpm: ['redhat', 'rocky', 'alma', 'centos', 'oracle', 'amazon', 'fedora', 'sles', 'sle-micro', 'opensuse-leap', 'opensuse-tumbleweed', 'photon', 'azurelinux'],
};

const FALLBACK: Record<OsPackageManager, Ecosystem> = { dpkg: 'debian', apk: 'alpine', rpm: 'redhat' };

/**
 * The ecosystem of packages found in a package manager's database. The OS family decides when it is one the
 * manager serves (dpkg on Ubuntu -> `ubuntu`); a distroless image is Debian. Otherwise (no OS found, or an
 * OS Palisade has no family for) the manager's main distribution is used; the OS
 * family is then `unknown`, which tells the matcher not to match these packages against that distribution.
 */
export function osPackageEcosystem(manager: OsPackageManager, os: OsInfo | undefined): Ecosystem {
  if (os?.family === 'distroless') return 'debian';
  const family = os?.family as Ecosystem | undefined;
  return family && FAMILIES[manager].includes(family) ? family : FALLBACK[manager];
}

/**
 * The purl `distro` qualifier, `<ecosystem>-<version>` (`debian-12.5`, `alpine-3.19.1`, `redhat-9.3`), or
 * undefined when the OS is not known or is not the distribution of these packages (an rpm database in a
 * Debian image). Ubuntu's `-ESM` marker is not part of the release.
 */
export function distroQualifier(ecosystem: Ecosystem, os: OsInfo | undefined): string | undefined {
  if (!os || !os.version) return undefined;
  const family = os.family === 'distroless' ? 'debian' : os.family;
  return family === ecosystem ? `${ecosystem}-${os.version.replace(/-ESM$/i, '')}` : undefined;
}
