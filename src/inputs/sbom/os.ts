import { OS_RELEASE_IDS, type Ecosystem, type OsInfo } from '../../model/package.js';

type Family = OsInfo['family'];

/**
 * Names that SBOM producers give a distribution (operating-system component names, purl namespaces, the
 * first part of the purl `distro` qualifier, os-release IDs) -> the OS family Palisade matches against.
 */
const FAMILY_NAMES: Record<string, Family> = {
  ...OS_RELEASE_IDS,
  redhat: 'redhat',
  'red hat enterprise linux': 'redhat',
  rockylinux: 'rocky',
  alma: 'alma',
  oracle: 'oracle',
  oraclelinux: 'oracle',
  amazon: 'amazon',
  amazonlinux: 'amazon',
  suse: 'sles',
  'cbl-mariner': 'azurelinux',
  distroless: 'distroless',
};

/** The OS family a producer's name stands for, or undefined when Palisade has none for it. */
export function familyOf(name: string | undefined): Family | undefined {
  if (!name) return undefined;
  const key = name.trim().toLowerCase();
  return Object.hasOwn(FAMILY_NAMES, key) ? FAMILY_NAMES[key] : undefined;
}

/** Which families each purl type of an OS package manager serves. */
export const OS_PURL_FAMILIES: Record<'deb' | 'apk' | 'rpm', ReadonlyArray<Ecosystem>> = {
  deb: ['debian', 'ubuntu'],
  apk: ['alpine', 'wolfi', 'chainguard'],
  rpm: ['redhat', 'rocky', 'alma', 'centos', 'oracle', 'amazon', 'fedora', 'sles', 'sle-micro', 'opensuse-leap', 'opensuse-tumbleweed', 'photon', 'azurelinux'],
};

/**
 * The purl `distro` qualifier as an OS: `debian-12.5`, `alpine-3.19.1`, `centos-7.6.1810`, `rhel-9.3`,
 * `ubuntu-22.04`, `sle-micro-5.5`. Undefined when the text has no version or names a distribution Palisade does not know.
 */
export function osFromDistro(distro: string | undefined): OsInfo | undefined {
  if (!distro) return undefined;
  const m = /^([a-z][a-z -]*?)-(\d[\w.+~-]*)$/i.exec(distro.trim());
  if (!m) return undefined;
  const family = familyOf(m[1]);
  if (!family || family === 'distroless') return undefined;
  return { family, version: m[2] };
}
