/**
 * Real Debian root file systems for tests and benchmarks: `debootstrap` into a cache folder (kept between
 * runs, keyed by suite and variant), the apt mirror this machine already uses, and the package list as
 * `dpkg-query` reads it from the root's own database.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(fileURLToPath(import.meta.url), '..', '..', '..');
const COMPLETE = '.palisade-complete';

/** `$PALISADE_TEST_CACHE`, else `node_modules/.cache/palisade-test` of the repository. */
export function testCacheDir(): string {
  const dir = process.env.PALISADE_TEST_CACHE || join(REPO, 'node_modules', '.cache', 'palisade-test');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Path of debootstrap when installed (it lives in /usr/sbin, which a non-root PATH may lack). */
export function debootstrapPath(): string | undefined {
  for (const p of ['/usr/sbin/debootstrap', '/sbin/debootstrap', '/usr/bin/debootstrap']) if (existsSync(p)) return p;
  return undefined;
}

/**
 * The Debian mirror apt uses for `suite` on this machine, from `/etc/apt/sources.list` and the one-line
 * (`*.list`) or deb822 (`*.sources`) files of `/etc/apt/sources.list.d`; security and update archives are
 * passed over. Undefined when none names the suite.
 */
export function aptMirror(suite: string): string | undefined {
  const files: string[] = [];
  if (existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  const d = '/etc/apt/sources.list.d';
  if (existsSync(d)) for (const f of readdirSync(d).sort()) if (f.endsWith('.list') || f.endsWith('.sources')) files.push(join(d, f));
  const candidates: Array<{ uri: string; suites: string[] }> = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    if (f.endsWith('.sources')) {
      for (const para of text.split(/\n\s*\n/)) {
        const field = (k: string): string | undefined => new RegExp(`^${k}:\\s*(.+)$`, 'mi').exec(para)?.[1]?.trim();
        if (!/\bdeb\b/.test(field('Types') ?? '') || /^enabled:\s*no/im.test(para)) continue;
        const suites = (field('Suites') ?? '').split(/\s+/);
        for (const uri of (field('URIs') ?? '').split(/\s+/).filter(Boolean)) candidates.push({ uri, suites });
      }
    } else {
      for (const line of text.split('\n')) {
        const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
        if (m) candidates.push({ uri: m[1], suites: [m[2]] });
      }
    }
  }
  return candidates.find((c) => c.suites.includes(suite) && !/security/.test(c.uri))?.uri;
}

/** A debootstrapped root, or why there is none. */
export type RootfsResult = { dir: string; mirror: string } | { skipped: string };

/**
 * A `debootstrap --variant=<variant> <suite>` root from the cache, made on first use (about a minute).
 * Made in a scratch folder and renamed into place when complete, so an interrupted run or two runs at once
 * never leave a half-made root behind. Resolves with a reason instead when it cannot be made here (no
 * debootstrap, not root, no network to the mirror).
 */
export async function debootstrapRootfs(suite = 'bookworm', variant = 'minbase'): Promise<RootfsResult> {
  const cache = testCacheDir();
  const dir = join(cache, `debootstrap-${suite}-${variant}`);
  const mirror = aptMirror(suite) ?? 'http://deb.debian.org/debian';
  if (existsSync(join(dir, COMPLETE))) return { dir, mirror };
  const bin = debootstrapPath();
  if (!bin) return { skipped: 'debootstrap is not installed (apt-get install debootstrap)' };
  if (process.getuid?.() !== 0) return { skipped: 'debootstrap needs root' };
  const scratch = join(cache, `.debootstrap-${suite}-${variant}-${process.pid}-${Date.now()}`);
  const log = join(cache, `debootstrap-${suite}-${variant}.log`);
  const fd = openSync(log, 'w');
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(bin, [`--variant=${variant}`, suite, scratch, mirror], { stdio: ['ignore', fd, fd] });
    child.on('error', () => resolve(-1));
    child.on('exit', (c) => resolve(c));
  });
  closeSync(fd);
  if (code !== 0) {
    rmSync(scratch, { recursive: true, force: true });
    const tail = readFileSync(log, 'utf8').trim().split('\n').slice(-3).join(' | ');
    return { skipped: `debootstrap ${suite} from ${mirror} failed (exit ${code}): ${tail} (log: ${log})` };
  }
  writeFileSync(join(scratch, COMPLETE), `${suite} ${variant} ${mirror}\n`);
  try {
    renameSync(scratch, dir);
  } catch {
    // Another run finished first: use its root.
    rmSync(scratch, { recursive: true, force: true });
  }
  return { dir, mirror };
}

/** dpkg states whose files are on disk (the ones a package analyzer reports). */
const ON_DISK = new Set(['installed', 'triggers-pending', 'triggers-awaiting', 'half-configured', 'unpacked']);

/**
 * `<name> <version> <arch> <source name> <source version>` for every package on disk in `root`, as
 * dpkg-query reads the root's own database, sorted.
 */
export function dpkgQueryPackages(root: string): string[] {
  const r = spawnSync('dpkg-query', ['-W', `--admindir=${join(root, 'var/lib/dpkg')}`, '-f', '${db:Status-Status} ${Package} ${Version} ${Architecture} ${source:Package} ${source:Version}\n'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`dpkg-query failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l && ON_DISK.has(l.split(' ')[0]))
    .map((l) => l.slice(l.indexOf(' ') + 1))
    .sort();
}

/** True when `dpkg-query` can be run. */
export function hasDpkgQuery(): boolean {
  return spawnSync('dpkg-query', ['--version']).status === 0;
}
