/** Version comparison schemes; a package is only ever compared with its own scheme. */
export const VERSION_SCHEMES = ['deb', 'apk', 'rpm', 'semver', 'pep440', 'go', 'maven'] as const;
export type VersionScheme = (typeof VERSION_SCHEMES)[number];

/** Where a package came from, in OSV ecosystem terms where one exists. */
export const ECOSYSTEMS = [
  'debian', 'ubuntu', 'alpine', 'wolfi', 'chainguard', 'redhat', 'rocky', 'alma', 'centos', 'oracle', 'amazon', 'fedora',
  'sles', 'sle-micro', 'opensuse-leap', 'opensuse-tumbleweed', 'photon', 'azurelinux',
  'npm', 'pypi', 'go', 'maven',
] as const;
export type Ecosystem = (typeof ECOSYSTEMS)[number];

/** The operating system an image is built on. */
export interface OsInfo {
  family:
    | Extract<Ecosystem, 'debian' | 'ubuntu' | 'alpine' | 'wolfi' | 'chainguard' | 'redhat' | 'rocky' | 'alma' | 'centos' | 'oracle' | 'amazon' | 'fedora'>
    /** SUSE Linux Enterprise (Server and derivatives), SLE Micro, openSUSE Leap and Tumbleweed: os-release IDs. */
    | Extract<Ecosystem, 'sles' | 'sle-micro' | 'opensuse-leap' | 'opensuse-tumbleweed'>
    /** VMware Photon OS; Azure Linux, also under its former name CBL-Mariner (os-release ID `mariner`). */
    | Extract<Ecosystem, 'photon' | 'azurelinux'>
    | 'distroless'
    | 'unknown';
  /**
   * Full version as the distribution writes it (`12.5`, `3.19.1`, `22.04`). Ubuntu images with Expanded Security
   * Maintenance (Ubuntu Pro) enabled carry an `-ESM` suffix (`18.04-ESM`).
   */
  version: string;
  /**
   * Release of the package repositories the image is configured with, when it differs from the OS release
   * (Alpine's `/etc/apk/repositories` pointing at `v3.20` or `edge` in an image whose `/etc/alpine-release` says
   * 3.19): packages then come from that release, and are matched against it when it is newer.
   */
  repositoryRelease?: string;
  /** Release name where the distribution has one (`bookworm`, `jammy`). */
  codename?: string;
  /** Name as in os-release PRETTY_NAME. */
  prettyName?: string;
  /** True for distroless images (Debian-based, no package manager). */
  distroless?: boolean;
}

/**
 * os-release `ID` -> OS family, for the IDs Palisade has advisories for. The image analyzer and the SBOM
 * reader (which meets the same IDs as purl namespaces and `distro` qualifiers) both read it.
 */
export const OS_RELEASE_IDS: Readonly<Record<string, OsInfo['family']>> = {
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
  sles: 'sles',
  sles_sap: 'sles',
  'sle-micro': 'sle-micro',
  // SUSE Linux Micro 6 took a new ID for the same product line.
  'sl-micro': 'sle-micro',
  'opensuse-leap': 'opensuse-leap',
  // openSUSE Leap 42.x wrote the bare ID.
  opensuse: 'opensuse-leap',
  'opensuse-tumbleweed': 'opensuse-tumbleweed',
  photon: 'photon',
  azurelinux: 'azurelinux',
  // CBL-Mariner, as Azure Linux was called up to 2.0.
  mariner: 'azurelinux',
};

/** The image layer that added a file or package. */
export interface LayerRef {
  /** Compressed blob digest (`sha256:...`). */
  digest: string;
  /** Uncompressed digest from the config's rootfs.diff_ids. */
  diffId?: string;
  /** The history command that created the layer (`RUN apt-get install ...`). */
  createdBy?: string;
  index: number;
}

/** One installed package. */
export interface Package {
  ecosystem: Ecosystem;
  scheme: VersionScheme;
  name: string;
  /** Full version (with epoch and release where the scheme has them: `1:2.3-4`, `1.2.3-r0`). */
  version: string;
  /** Source package, which advisories are written against (Debian source name, source RPM name). */
  sourceName?: string;
  sourceVersion?: string;
  arch?: string;
  /** RHEL module stream (`nodejs:18`). */
  module?: string;
  /** Package URL (purl). */
  purl: string;
  /** File the package was found in (`/var/lib/dpkg/status`, `/app/node_modules/x/package.json`). */
  filePath?: string;
  licenses?: string[];
  layer?: LayerRef;
}
