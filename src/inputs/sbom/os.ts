import type { Ecosystem, OsInfo } from '../../model/package.js';

type Family = OsInfo['family'];

/**
 * Names that SBOM producers give a distribution (operating-system component names, purl namespaces, the
 * first part of the purl `distro` qualifier, os-release IDs) -> the OS family Palisade matches against.
 */
const FAMILY_NAMES: Record<string, Family> = {
  debian: 'debian',
  ubuntu: 'ubuntu',
  alpine: 'alpine',
  wolfi: 'wolfi',
  chainguard: 'chainguard',
  redhat: 'redhat',
  rhel: 'redhat',
  'red hat enterprise linux': 'redhat',
  rocky: 'rocky',
  rockylinux: 'rocky',
  alma: 'alma',
  almalinux: 'alma',
  centos: 'centos',
  oracle: 'oracle',
  ol: 'oracle',
  oraclelinux: 'oracle',
  amazon: 'amazon',
  amzn: 'amazon',
  amazonlinux: 'amazon',
  fedora: 'fedora',
  distroless: 'distroless',
};

/** The OS family a producer's name stands for, or undefined when Palisade has none for it. */
export function familyOf(name: string | undefined): Family | undefined {
  if (!name) return undefined;
  return FAMILY_NAMES[name.trim().toLowerCase()];
}

/** Which families each purl type of an OS package manager serves. */
export const OS_PURL_FAMILIES: Record<'deb' | 'apk' | 'rpm', ReadonlyArray<Ecosystem>> = {
  deb: ['debian', 'ubuntu'],
  apk: ['alpine', 'wolfi', 'chainguard'],
  rpm: ['redhat', 'rocky', 'alma', 'centos', 'oracle', 'amazon', 'fedora'],
};

/**
 * The purl `distro` qualifier as an OS: `debian-12.5`, `alpine-3.19.1`, `centos-7.6.1810`, `rhel-9.3`,
 * `ubuntu-22.04`. Undefined when the text has no version or names a distribution Palisade does not know.
 */
export function osFromDistro(distro: string | undefined): OsInfo | undefined {
  if (!distro) return undefined;
  const m = /^([a-z][a-z ]*?)-(\d[\w.+~-]*)$/i.exec(distro.trim());
  if (!m) return undefined;
  const family = familyOf(m[1]);
  if (!family || family === 'distroless') return undefined;
  return { family, version: m[2] };
}
