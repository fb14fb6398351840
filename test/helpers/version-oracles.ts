/**
 * The package managers' own version comparisons, run as programs, for the version-scheme tests to check against:
 * `dpkg --compare-versions`, rpm's Lua `rpm.vercmp`, Python `packaging.version` and Maven's `ComparableVersion`
 * (from the local Maven repository). Each oracle is `undefined` where its program is missing, and the tests that
 * use it are skipped with a notice.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/** Compares many pairs at once: one result (-1, 0, 1) per pair, in order. */
export type Oracle = (pairs: ReadonlyArray<readonly [string, string]>) => number[];

function runs(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.error === undefined && r.status === 0;
}

function parseResults(stdout: string, expected: number): number[] {
  const out = stdout.split('\n').filter((l) => l.trim() !== '').map((l) => Math.sign(Number(l.trim())));
  if (out.length !== expected || out.some(Number.isNaN)) throw new Error(`oracle printed ${out.length} results for ${expected} pairs:\n${stdout}`);
  return out;
}

const DPKG_LOOP = `while IFS="$(printf '\\t')" read -r a b; do
  if dpkg --compare-versions "$a" lt "$b"; then echo -1; elif dpkg --compare-versions "$a" eq "$b"; then echo 0; else echo 1; fi
done`;

/** dpkg's comparison, `dpkg --compare-versions` in one shell loop (only for versions dpkg accepts). */
export function dpkgOracle(): Oracle | undefined {
  if (!runs('dpkg', ['--compare-versions', '1', 'lt', '2'])) return undefined;
  return (pairs) => {
    const r = spawnSync('sh', ['-c', DPKG_LOOP], {
      input: pairs.map(([a, b]) => `${a}\t${b}\n`).join(''),
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    return parseResults(r.stdout, pairs.length);
  };
}

/** rpm's `rpm.vercmp` (full `epoch:version-release` comparison), one rpm process for all pairs. */
export function rpmOracle(): Oracle | undefined {
  if (!runs('rpm', ['--eval', '%{lua: print(rpm.vercmp("1", "2"))}'])) return undefined;
  return (pairs) => {
    const dir = mkdtempSync(join(tmpdir(), 'rpm-oracle-'));
    try {
      const file = join(dir, 'pairs');
      writeFileSync(file, pairs.map(([a, b]) => `${a}\t${b}\n`).join(''));
      const lua = `%{lua: for line in io.lines("${file}") do local a, b = line:match("^([^\\t]*)\\t(.*)$"); print(rpm.vercmp(a, b) .. "\\n") end}`;
      const r = spawnSync('rpm', ['--eval', lua], { encoding: 'utf8', maxBuffer: 64 << 20 });
      return parseResults(r.stdout, pairs.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const PYTHON_PEP440 = `
import json, sys
from packaging.version import Version
for a, b in json.load(sys.stdin):
    x, y = Version(a), Version(b)
    print(-1 if x < y else 1 if x > y else 0)
`;

const PYTHON_PEP440_VALID = `
import json, sys
from packaging.version import Version, InvalidVersion
for v in json.load(sys.stdin):
    try:
        Version(v)
        print(1)
    except InvalidVersion:
        print(0)
`;

/** Whether Python `packaging` accepts each string as a version. */
export function pep440ValidityOracle(): ((versions: readonly string[]) => boolean[]) | undefined {
  if (!runs('python3', ['-c', 'import packaging.version'])) return undefined;
  return (versions) => {
    const r = spawnSync('python3', ['-c', PYTHON_PEP440_VALID], { input: JSON.stringify(versions), encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(r.stderr);
    return parseResults(r.stdout, versions.length).map((n) => n === 1);
  };
}

/** Python `packaging.version.Version` ordering (what pip uses), one Python process for all pairs. */
export function pep440Oracle(): Oracle | undefined {
  if (!runs('python3', ['-c', 'import packaging.version'])) return undefined;
  return (pairs) => {
    const r = spawnSync('python3', ['-c', PYTHON_PEP440], { input: JSON.stringify(pairs), encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(r.stderr);
    return parseResults(r.stdout, pairs.length);
  };
}

const JAVA_MAVEN = `
import java.io.*;
import org.apache.maven.artifact.versioning.ComparableVersion;
public class MavenOracle {
  public static void main(String[] args) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
    StringBuilder out = new StringBuilder();
    for (String line; (line = in.readLine()) != null; ) {
      int tab = line.indexOf('\\t');
      int c = new ComparableVersion(line.substring(0, tab)).compareTo(new ComparableVersion(line.substring(tab + 1)));
      out.append(Integer.signum(c)).append('\\n');
    }
    System.out.print(out);
  }
}
`;

/** The newest maven-artifact 3.9.x jar in the local Maven repository, if any. */
function mavenArtifactJar(): string | undefined {
  const base = join(homedir(), '.m2/repository/org/apache/maven/maven-artifact');
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).filter((v) => /^3\.9\.[0-9]+$/.test(v));
  versions.sort((a, b) => Number(a.split('.')[2]) - Number(b.split('.')[2]));
  for (const v of versions.reverse()) {
    const jar = join(base, v, `maven-artifact-${v}.jar`);
    if (existsSync(jar)) return jar;
  }
  return undefined;
}

/** Maven 3.9's `ComparableVersion`, run with `java` from the local Maven repository's maven-artifact jar. */
export function mavenOracle(): Oracle | undefined {
  const jar = mavenArtifactJar();
  if (jar === undefined || !runs('java', ['-version'])) return undefined;
  return (pairs) => {
    const dir = mkdtempSync(join(tmpdir(), 'maven-oracle-'));
    try {
      const src = join(dir, 'MavenOracle.java');
      writeFileSync(src, JAVA_MAVEN);
      const r = spawnSync('java', ['-cp', jar, src], {
        input: pairs.map(([a, b]) => `${a}\t${b}\n`).join(''),
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      });
      if (r.status !== 0) throw new Error(r.stderr);
      return parseResults(r.stdout, pairs.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** A small seeded generator (mulberry32), so generated versions are the same on every run. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
