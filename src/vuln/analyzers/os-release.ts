import type { OsInfo } from '../../model/package.js';
import type { Analyzer, AnalyzerFile, AnalyzerResult } from './analyzer.js';
import { parseKeyValues } from './support/text.js';

type Family = OsInfo['family'];

/** os-release `ID` -> family. IDs not listed give `unknown` (still reported, with the pretty name). */
const ID_FAMILY: Record<string, Family> = {
  debian: 'debian',
  ubuntu: 'ubuntu',
  alpine: 'alpine',
  wolfi: 'wolfi',
  chainguard: 'chainguard',
  rhel: 'redhat',
  rocky: 'rocky',
  almalinux: 'alma',
  centos: 'centos',
  ol: 'oracle',
  amzn: 'amazon',
  fedora: 'fedora',
};

/** Debian release names by major version, for images whose os-release predates `VERSION_CODENAME`. */
const DEBIAN_CODENAMES: Record<string, string> = {
  '6': 'squeeze', '7': 'wheezy', '8': 'jessie', '9': 'stretch', '10': 'buster', '11': 'bullseye', '12': 'bookworm',
  '13': 'trixie', '14': 'forky', '15': 'duke',
};

/**
 * Release files of the Red Hat family, most specific first: Oracle Linux 7 and CentOS also ship an
 * `/etc/redhat-release`, and Oracle's says "Red Hat Enterprise Linux", so it must come last.
 */
const RELEASE_FILES = [
  '/etc/oracle-release',
  '/etc/rocky-release',
  '/etc/almalinux-release',
  '/etc/centos-release',
  '/etc/fedora-release',
  '/etc/system-release',
  '/etc/redhat-release',
] as const;

const WANTED = new Set<string>([
  '/etc/os-release',
  '/usr/lib/os-release',
  '/etc/lsb-release',
  '/etc/alpine-release',
  '/etc/debian_version',
  '/var/lib/dpkg/status',
  ...RELEASE_FILES,
]);

/** Family from the text of a Red Hat style release file (`CentOS Linux release 7.9.2009 (Core)`). */
function releaseFileFamily(text: string): Family | undefined {
  if (/^Oracle Linux/i.test(text)) return 'oracle';
  if (/^Rocky Linux/i.test(text)) return 'rocky';
  if (/^AlmaLinux/i.test(text)) return 'alma';
  if (/^CentOS/i.test(text)) return 'centos';
  if (/^Fedora/i.test(text)) return 'fedora';
  if (/^Amazon Linux/i.test(text)) return 'amazon';
  if (/^Red Hat Enterprise Linux/i.test(text)) return 'redhat';
  return undefined;
}

/** `... release 7.9.2009 (Core)` -> `7.9.2009`. */
function releaseFileVersion(text: string): string | undefined {
  return /\brelease\s+(\d[\w.]*)/i.exec(text)?.[1];
}

/** The more precise of two versions when one extends the other (`7` and `7.9.2009` -> `7.9.2009`). */
function morePrecise(base: string | undefined, detail: string | undefined): string | undefined {
  if (!base) return detail;
  if (!detail) return base;
  return detail.startsWith(`${base}.`) || detail === base ? detail : base;
}

/**
 * Finds the distribution from its release files. os-release (`/etc/os-release`, else `/usr/lib/os-release`)
 * names the family; the distribution's own file refines the version where it is more precise
 * (`/etc/debian_version` 12.5 over VERSION_ID 12, `/etc/centos-release` 7.9.2009 over 7,
 * `/etc/alpine-release` 3.19.1). Images without os-release (CentOS 6, Amazon Linux 1, old Ubuntu) are
 * recognised from those files and `/etc/lsb-release`. A Debian image with `/var/lib/dpkg/status.d/` and
 * no `/var/lib/dpkg/status`, or whose PRETTY_NAME is "Distroless", is distroless.
 */
export const osRelease = {
  id: 'os-release',
  version: 1,
  kind: 'os',
  description: 'Distribution and version from /etc/os-release and the distributions\' own release files.',
  wants(path: string): boolean {
    return WANTED.has(path) || path.startsWith('/var/lib/dpkg/status.d/');
  },
  analyze(files: ReadonlyArray<AnalyzerFile>): AnalyzerResult {
    const text = new Map<string, string>();
    let hasStatusD = false;
    for (const f of files) {
      if (f.path.startsWith('/var/lib/dpkg/status.d/')) hasStatusD = true;
      else text.set(f.path, f.content.toString('utf8').replace(/^\uFEFF/, ''));
    }
    const os = detect(text, hasStatusD);
    return { os, packages: [], errors: [] };
  },
} satisfies Analyzer;

function detect(text: Map<string, string>, hasStatusD: boolean): OsInfo | undefined {
  const osRelease = text.get('/etc/os-release') ?? text.get('/usr/lib/os-release');
  const kv = osRelease === undefined ? undefined : parseKeyValues(osRelease);
  const id = kv?.get('ID')?.toLowerCase();
  const prettyName = kv?.get('PRETTY_NAME') || undefined;
  const debianVersion = text.get('/etc/debian_version')?.trim();

  if (kv && id) {
    const family: Family = ID_FAMILY[id] ?? 'unknown';
    let version = kv.get('VERSION_ID') ?? '';
    let codename = kv.get('VERSION_CODENAME') || undefined;
    switch (family) {
      case 'debian': {
        if (debianVersion && /^\d/.test(debianVersion)) version = morePrecise(version, debianVersion) ?? version;
        else if (!version && debianVersion) version = debianVersion; // testing/unstable: "trixie/sid"
        codename ??= /\(([a-z]+)\)/.exec(kv.get('VERSION') ?? '')?.[1] ?? DEBIAN_CODENAMES[version.split('.')[0]];
        if (!codename && debianVersion && /^[a-z]+\//.test(debianVersion)) codename = debianVersion.split('/')[0];
        const distroless = prettyName === 'Distroless' || /distroless/i.test(kv.get('HOME_URL') ?? '')
          || (hasStatusD && !text.has('/var/lib/dpkg/status'));
        return distroless
          ? { family: 'distroless', version, codename, prettyName, distroless: true }
          : { family, version, codename, prettyName };
      }
      case 'ubuntu':
        codename ??= kv.get('UBUNTU_CODENAME') || undefined;
        // Ubuntu 14.04's os-release has no codename field; its lsb-release does.
        codename ??= parseKeyValues(text.get('/etc/lsb-release') ?? '').get('DISTRIB_CODENAME') || undefined;
        return { family, version, codename, prettyName };
      case 'alpine':
        version = morePrecise(version, text.get('/etc/alpine-release')?.trim()) ?? version;
        return { family, version, prettyName };
      case 'unknown':
        return { family, version, prettyName };
      default: {
        // Red Hat family: the release file may carry a more precise version (CentOS 7.9.2009).
        for (const path of RELEASE_FILES) {
          const t = text.get(path)?.trim();
          if (t && releaseFileFamily(t) === family) {
            version = morePrecise(version, releaseFileVersion(t)) ?? version;
            break;
          }
        }
        return { family, version, codename, prettyName };
      }
    }
  }

  // No os-release: the distribution-specific files alone.
  for (const path of RELEASE_FILES) {
    const t = text.get(path)?.trim();
    const family = t ? releaseFileFamily(t) : undefined;
    if (t && family) return { family, version: releaseFileVersion(t) ?? '', prettyName: t.split('\n')[0] };
  }
  const alpine = text.get('/etc/alpine-release')?.trim();
  if (alpine) return { family: 'alpine', version: alpine };
  const lsb = text.get('/etc/lsb-release');
  if (lsb) {
    const l = parseKeyValues(lsb);
    if (l.get('DISTRIB_ID')?.toLowerCase() === 'ubuntu') {
      return { family: 'ubuntu', version: l.get('DISTRIB_RELEASE') ?? '', codename: l.get('DISTRIB_CODENAME') || undefined, prettyName: l.get('DISTRIB_DESCRIPTION') || undefined };
    }
  }
  if (debianVersion) {
    const codename = /^\d/.test(debianVersion) ? DEBIAN_CODENAMES[debianVersion.split('.')[0]] : debianVersion.split('/')[0];
    if (hasStatusD && !text.has('/var/lib/dpkg/status')) return { family: 'distroless', version: debianVersion, codename, distroless: true };
    return { family: 'debian', version: debianVersion, codename };
  }
  return undefined;
}
