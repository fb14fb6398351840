import type { Package } from '../../model/package.js';
import type { Analyzer, AnalyzerError, AnalyzerFile, AnalyzerResult } from './analyzer.js';
import { readGoBuildInfo } from './support/go-buildinfo.js';
import { goPurl } from './support/purl.js';
import { baseName } from './support/text.js';

/** Folders that never hold executables worth reading. */
const SKIP = /^\/(?:proc|sys|dev|etc|usr\/share|usr\/include|var\/lib\/dpkg|var\/lib\/rpm|var\/lib\/apk|var\/cache|var\/log|tmp|go\/pkg)\//;
/** A hidden folder on the way (`/root/.cache/go-build/...`, `.git`): caches and metadata, not programs. */
const HIDDEN_DIR = /\/\.[^/]*\//;
/** Extensionless names that are documents, not programs. */
const TEXT_NAMES = new Set([
  'license', 'licence', 'notice', 'readme', 'makefile', 'dockerfile', 'containerfile', 'copying', 'authors', 'changelog',
  'contributors', 'version', 'owners', 'codeowners', 'patents', 'install', 'todo', 'gemfile', 'rakefile', 'procfile',
  'jenkinsfile', 'vagrantfile', 'brewfile', 'news', 'history', 'maintainers',
]);
/** A folder named bin, sbin or libexec anywhere (`/usr/bin`, `/go/bin`, `/opt/tool/bin`). */
const BIN_DIR = /\/(?:s?bin|libexec)\//;
/** Where images put their own programs. */
const APP_ROOT = /^\/(?:app|opt|srv|ko-app|usr\/local|go|workspace|home\/[^/]+|root)\//;

/**
 * Which paths may be Go executables, decided from the path alone (`wants` cannot see content or mode):
 * - the name has no extension, or only a numeric one (`kubectl`, `python3.11`); Go binaries are not
 *   named `.so`, `.sh`, `.py`, `.txt`...;
 * - and the file is in a `bin`, `sbin` or `libexec` folder at any depth, under an application root
 *   (`/app`, `/opt`, `/srv`, `/ko-app`, `/usr/local`, `/go`, `/workspace`, home folders), or directly in `/`
 *   (`/manager`, `/server`: the usual place in scratch and distroless images);
 * - and not under `/proc`, `/sys`, `/dev`, `/etc`, `/usr/share`, `/usr/include`, package databases, caches,
 *   the Go module cache or a hidden folder, and not a document such as `LICENSE` or `Makefile`.
 * This reads every program in `/usr/bin` of a distribution image (tens of MB); the analyzer then drops
 * non-executables by their magic number and reads build information only from Go binaries.
 */
export function mayBeGoBinary(path: string): boolean {
  if (SKIP.test(path) || HIDDEN_DIR.test(path)) return false;
  const base = baseName(path);
  if (TEXT_NAMES.has(base.toLowerCase())) return false;
  const dot = base.lastIndexOf('.');
  if (dot > 0 && !/^\d+$/.test(base.slice(dot + 1))) return false;
  if (!base || base.startsWith('.')) return false;
  return path.lastIndexOf('/') === 0 || BIN_DIR.test(path) || APP_ROOT.test(path);
}

/** `go1.22.1` -> `v1.22.1`, `go1.20` -> `v1.20.0`, `go1.21rc2` -> `v1.21.0-rc.2`; undefined for devel builds. */
export function goToolchainVersion(goVersion: string): string | undefined {
  const m = /^go(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?$/.exec(goVersion.split(/\s+/)[0]);
  if (!m) return undefined;
  const pre = m[4] ? `-${m[4]}.${m[5]}` : '';
  return `v${m[1]}.${m[2]}.${m[3] ?? '0'}${pre}`;
}

/**
 * Go modules compiled into executables, from the build information the Go toolchain embeds (Go 1.13+;
 * Go 1.18+ format in any executable format, the older pointer format from ELF). Reported per binary:
 * the main module when it has a real version (not `(devel)`, the version of builds outside module mode or
 * without VCS stamping), every dependency (a replaced one under its replacement's path and version; one
 * replaced by a local folder is left out, as its code has no published version), and the standard library
 * as module `stdlib` at the toolchain's version (`go1.22.1` -> `v1.22.1`), which is how the Go
 * vulnerability database names it.
 */
export const goBinary = {
  id: 'go-binary',
  version: 1,
  kind: 'language',
  description: 'Go modules and toolchain version from the build information of Go executables.',
  wants: mayBeGoBinary,
  analyze(files: ReadonlyArray<AnalyzerFile>): AnalyzerResult {
    const packages: Package[] = [];
    const errors: AnalyzerError[] = [];
    for (const f of files) {
      const read = readGoBuildInfo(f.content);
      if (read.kind === 'not-go') continue;
      if (read.kind === 'unsupported') {
        errors.push({ path: f.path, message: read.reason });
        continue;
      }
      const { info } = read;
      const add = (path: string, version: string): void => {
        packages.push({ ecosystem: 'go', scheme: 'go', name: path, version, purl: goPurl(path, version), filePath: f.path, layer: f.layer });
      };
      if (info.main && info.main.version && info.main.version !== '(devel)') add(info.main.path, info.main.version);
      for (const dep of info.deps) {
        const mod = dep.replace ?? dep;
        if (mod.version) add(mod.path, mod.version);
      }
      const std = goToolchainVersion(info.goVersion);
      if (std) add('stdlib', std);
    }
    return { packages, errors };
  },
} satisfies Analyzer;
