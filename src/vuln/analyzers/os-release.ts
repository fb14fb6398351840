import { OS_RELEASE_IDS, type OsInfo } from '../../model/package.js';
import type { Analyzer, AnalyzerFile, AnalyzerResult } from './analyzer.js';
import { parseKeyValues } from './support/text.js';

type Family = OsInfo['family'];

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

/** Alpine's package repositories: the branch packages really come from. */
const APK_REPOSITORIES = '/etc/apk/repositories';
/** Ubuntu Pro client state: says whether Expanded Security Maintenance is enabled. */
const UBUNTU_ADVANTAGE_STATUS = '/var/lib/ubuntu-advantage/status.json';

const WANTED = new Set<string>([
  '/etc/os-release',
  APK_REPOSITORIES,
  UBUNTU_ADVANTAGE_STATUS,
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

/**
 * The newest branch named by `/etc/apk/repositories` (`https://dl-cdn.alpinelinux.org/alpine/v3.20/main` ->
 * `3.20`; `edge` wins over every numbered branch). Comments, blank lines, tagged (`@testing ...`) and local
 * repositories are skipped. Undefined when no line names a branch.
 */
export function apkRepositoryRelease(text: string): string | undefined {
  let best: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('@')) continue;
    const m = /\/alpine\/(edge|v\d+\.\d+)\//.exec(`${line}/`);
    if (!m) continue;
    const branch = m[1] === 'edge' ? 'edge' : m[1].slice(1);
    if (branch === 'edge' || best === 'edge') {
      best = 'edge';
      continue;
    }
    const [a, b] = branch.split('.').map(Number);
    const [c, d] = (best ?? '0.0').split('.').map(Number);
    if (a > c || (a === c && b > d)) best = branch;
  }
  return best;
}

/**
 * True when the Ubuntu Pro client's status file says the `esm-infra` service is enabled (as Trivy reads it).
 * Unreadable JSON counts as not enabled.
 */
export function ubuntuEsmEnabled(text: string | undefined): boolean {
  if (text === undefined) return false;
  try {
    const doc = JSON.parse(text) as { services?: unknown };
    return Array.isArray(doc.services) && doc.services.some((s: unknown) => {
      const svc = (s ?? {}) as { name?: unknown; status?: unknown };
      return svc.name === 'esm-infra' && svc.status === 'enabled';
    });
  } catch {
    return false;
  }
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
 * no `/var/lib/dpkg/status`, or whose PRETTY_NAME is "Distroless", is distroless. SUSE (SLES, SLE Micro,
 * openSUSE Leap and Tumbleweed), Photon OS and Azure Linux (also as CBL-Mariner) are named by their os-release
 * IDs. Alpine's `/etc/apk/repositories` gives `repositoryRelease` when it points at another branch (or edge);
 * Ubuntu with Expanded Security Maintenance enabled (`/var/lib/ubuntu-advantage/status.json`) gets an `-ESM`
 * version suffix.
 */
export const osRelease = {
  id: 'os-release',
  version: 2,
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

/** Adds `repositoryRelease` when `/etc/apk/repositories` names a branch other than the release's own. */
function withRepositories(os: OsInfo, text: Map<string, string>): OsInfo {
  const repo = apkRepositoryRelease(text.get(APK_REPOSITORIES) ?? '');
  const own = /^\d+\.\d+/.exec(os.version)?.[0];
  return repo && repo !== own ? { ...os, repositoryRelease: repo } : os;
}

function detect(text: Map<string, string>, hasStatusD: boolean): OsInfo | undefined {
  const osRelease = text.get('/etc/os-release') ?? text.get('/usr/lib/os-release');
  const kv = osRelease === undefined ? undefined : parseKeyValues(osRelease);
  const id = kv?.get('ID')?.toLowerCase();
  const prettyName = kv?.get('PRETTY_NAME') || undefined;
  const debianVersion = text.get('/etc/debian_version')?.trim();

  if (kv && id) {
    const family: Family = Object.hasOwn(OS_RELEASE_IDS, id) ? OS_RELEASE_IDS[id] : 'unknown';
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
        // With Ubuntu Pro ESM enabled, packages come from the ESM archive: the matcher reads `-ESM`.
        if (version && ubuntuEsmEnabled(text.get(UBUNTU_ADVANTAGE_STATUS))) version = `${version}-ESM`;
        return { family, version, codename, prettyName };
      case 'alpine':
        version = morePrecise(version, text.get('/etc/alpine-release')?.trim()) ?? version;
        return withRepositories({ family, version, prettyName }, text);
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
  if (alpine) return withRepositories({ family: 'alpine', version: alpine }, text);
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
