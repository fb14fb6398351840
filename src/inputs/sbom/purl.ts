import { PackageURL } from 'packageurl-js';
import type { Ecosystem, OsInfo, Package, VersionScheme } from '../../model/package.js';
import { familyOf, OS_PURL_FAMILIES, osFromDistro } from './os.js';

/** The purl types Palisade can match, with their ecosystem (for language types) and version scheme. */
const LANGUAGE_TYPES: Record<string, { ecosystem: Ecosystem; scheme: VersionScheme }> = {
  npm: { ecosystem: 'npm', scheme: 'semver' },
  pypi: { ecosystem: 'pypi', scheme: 'pep440' },
  golang: { ecosystem: 'go', scheme: 'go' },
  maven: { ecosystem: 'maven', scheme: 'maven' },
};
const OS_SCHEMES: Record<'deb' | 'apk' | 'rpm', VersionScheme> = { deb: 'deb', apk: 'apk', rpm: 'rpm' };

/** A package read from a purl, before the SBOM's own fields (source package, file, layer) are added. */
export type PurlPackage = Pick<Package, 'ecosystem' | 'scheme' | 'name' | 'version' | 'purl'> &
  Partial<Pick<Package, 'arch' | 'sourceName' | 'sourceVersion'>> & {
    /** The OS named by the `distro` qualifier, for OS packages. */
    distro?: OsInfo;
    /** True for the packages of an OS package manager (deb, apk, rpm). */
    osPackage: boolean;
  };

/** Why a purl gives no package: `unsupported` types are counted, `invalid` ones are reported one by one. */
export type PurlResult = { ok: true; pkg: PurlPackage } | { ok: false; kind: 'unsupported' | 'invalid'; type?: string; message: string };

/**
 * Reads a package URL as an installed package: ecosystem and version scheme from the type (and, for OS
 * packages, from the namespace, else the `distro` qualifier, else the SBOM's OS), the version with its
 * `epoch` qualifier put back in front (`1:1.0.2k-16.el7`), and the source package from syft's `upstream`
 * qualifier (`upstream=glibc` or `upstream=gcc-12@12.2.0-14`).
 */
export function packageFromPurl(text: string, os: OsInfo | undefined): PurlResult {
  let p: PackageURL;
  try {
    p = PackageURL.fromString(text);
  } catch (e) {
    return { ok: false, kind: 'invalid', message: `"${text}" is not a valid package URL (${(e as Error).message})` };
  }
  const type = p.type.toLowerCase();
  if (!p.version) return { ok: false, kind: 'invalid', type, message: `"${text}" has no version` };
  const q = (p.qualifiers ?? {}) as Record<string, string | undefined>;

  const lang = LANGUAGE_TYPES[type];
  if (lang) {
    const ns = p.namespace ?? undefined;
    const name = !ns ? p.name : type === 'maven' ? `${ns}:${p.name}` : `${ns}/${p.name}`;
    return { ok: true, pkg: { ecosystem: lang.ecosystem, scheme: lang.scheme, name, version: p.version, purl: text, osPackage: false } };
  }
  if (type !== 'deb' && type !== 'apk' && type !== 'rpm') return { ok: false, kind: 'unsupported', type, message: `purl type "${type}" is not supported` };

  const families = OS_PURL_FAMILIES[type];
  const distro = osFromDistro(q.distro);
  let ecosystem: Ecosystem | undefined;
  if (p.namespace) {
    const f = familyOf(p.namespace);
    ecosystem = f && (families as readonly string[]).includes(f) ? (f as Ecosystem) : undefined;
    if (!ecosystem) return { ok: false, kind: 'unsupported', type, message: `${type} packages of "${p.namespace}" are not supported (known: ${families.join(', ')})` };
  } else {
    const guess = distro?.family ?? (os?.family === 'distroless' ? 'debian' : os?.family);
    ecosystem = guess && (families as readonly string[]).includes(guess) ? (guess as Ecosystem) : families[0];
  }
  let version = p.version;
  if (q.epoch && q.epoch !== '0' && !/^\d+:/.test(version)) version = `${q.epoch}:${version}`;
  const pkg: PurlPackage = { ecosystem, scheme: OS_SCHEMES[type], name: p.name, version, purl: text, osPackage: true };
  if (q.arch) pkg.arch = q.arch;
  if (distro && distro.family === ecosystem) pkg.distro = distro;
  if (q.upstream) {
    const at = q.upstream.indexOf('@');
    pkg.sourceName = at > 0 ? q.upstream.slice(0, at) : q.upstream;
    pkg.sourceVersion = at > 0 ? q.upstream.slice(at + 1) : version;
  }
  return { ok: true, pkg };
}
