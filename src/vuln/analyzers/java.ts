import { unzipSync } from 'fflate';
import type { Package } from '../../model/package.js';
import type { Analyzer, AnalyzerError, AnalyzerFile, AnalyzerResult } from './analyzer.js';
import { purl } from './support/purl.js';
import { baseName } from './support/text.js';

/** Java archive extensions: jar, web and enterprise archives, JBoss `.par`, Jenkins plugins. */
const ARCHIVE = /\.(?:jar|war|ear|par|sar|jpi|hpi)$/i;
/** How deep archives nest (`app.ear` -> `web.war` -> `lib.jar` is depth 2). */
const MAX_DEPTH = 3;
/** Largest single entry inflated (a nested archive, a manifest). */
const MAX_ENTRY_BYTES = 256 * 1024 * 1024;
/** Inflated bytes over one top-level archive and everything nested in it. */
const MAX_TOTAL_BYTES = 1024 * 1024 * 1024;

const POM_PROPERTIES = /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/;
const MANIFEST = 'META-INF/MANIFEST.MF';

interface Coordinates {
  groupId: string;
  artifactId: string;
  version: string;
}

/**
 * Maven artifacts in Java archives (`.jar`, `.war`, `.ear`, `.par`, `.sar`, `.jpi`, `.hpi`), read from memory:
 * - every `META-INF/maven/<group>/<artifact>/pom.properties` (the archive's own, and those of shaded
 *   dependencies) gives `groupId:artifactId` and `version`;
 * - an archive without any falls back to `META-INF/MANIFEST.MF`: `Implementation-Vendor-Id`, or the
 *   `Bundle-SymbolicName` prefix, as group; the file name (`name-1.2.3.jar`), `Implementation-Title` or
 *   the symbolic name's last part as artifact; `Implementation-Version`, `Bundle-Version` or the file
 *   name's version as version. It reports nothing unless all three are found (no guessing a group);
 * - archives inside archives (`BOOT-INF/lib/*.jar`, `WEB-INF/lib/*.jar`, an `.ear`'s modules) are read the
 *   same way, to depth 3, each entry up to 256 MiB and 1 GiB inflated per top-level archive.
 * Nested packages have `filePath` `outer.war!/WEB-INF/lib/inner.jar`. Archives are never written to disk.
 */
export const java = {
  id: 'java',
  version: 1,
  kind: 'language',
  description: 'Maven artifacts from pom.properties and MANIFEST.MF in JAR, WAR and EAR archives, nested ones included.',
  wants(path: string): boolean {
    return ARCHIVE.test(path);
  },
  analyze(files: ReadonlyArray<AnalyzerFile>): AnalyzerResult {
    const packages: Package[] = [];
    const errors: AnalyzerError[] = [];
    for (const f of files) {
      const budget = { left: MAX_TOTAL_BYTES };
      readArchive(f.content, f.path, baseName(f.path), 0, budget, f, packages, errors);
    }
    return { packages, errors };
  },
} satisfies Analyzer;

function readArchive(
  data: Uint8Array, label: string, fileName: string, depth: number, budget: { left: number },
  top: AnalyzerFile, packages: Package[], errors: AnalyzerError[],
): void {
  let entries: Record<string, Uint8Array>;
  const skipped: string[] = [];
  try {
    entries = unzipSync(data, {
      filter(info) {
        const wanted = info.name === MANIFEST || POM_PROPERTIES.test(info.name) || (depth < MAX_DEPTH && ARCHIVE.test(info.name));
        if (!wanted) return false;
        if (info.compression !== 0 && info.compression !== 8) {
          skipped.push(`${info.name} (compression method ${info.compression})`);
          return false;
        }
        if (info.originalSize > MAX_ENTRY_BYTES || info.originalSize > budget.left) {
          skipped.push(`${info.name} (${info.originalSize} bytes, over the size limit)`);
          return false;
        }
        budget.left -= info.originalSize;
        return true;
      },
    });
  } catch (e) {
    errors.push({ path: label, message: `not a readable zip archive: ${(e as Error).message}` });
    return;
  }
  for (const s of skipped) errors.push({ path: label, message: `skipped ${s}` });

  const found: Coordinates[] = [];
  for (const [name, content] of Object.entries(entries)) {
    if (!POM_PROPERTIES.test(name)) continue;
    const props = parseProperties(Buffer.from(content).toString('utf8'));
    const groupId = props.get('groupId');
    const artifactId = props.get('artifactId');
    const version = props.get('version');
    if (groupId && artifactId && version) found.push({ groupId, artifactId, version });
  }
  if (found.length === 0 && entries[MANIFEST]) {
    const c = fromManifest(parseManifest(Buffer.from(entries[MANIFEST]).toString('utf8')), fileName);
    if (c) found.push(c);
  }
  const seen = new Set<string>();
  for (const c of found) {
    const key = `${c.groupId}:${c.artifactId}@${c.version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    packages.push({
      ecosystem: 'maven',
      scheme: 'maven',
      name: `${c.groupId}:${c.artifactId}`,
      version: c.version,
      purl: purl('maven', c.groupId, c.artifactId, c.version),
      filePath: label,
      layer: top.layer,
    });
  }
  for (const [name, content] of Object.entries(entries)) {
    if (!ARCHIVE.test(name)) continue;
    readArchive(content, `${label}!/${name}`, baseName(`/${name}`), depth + 1, budget, top, packages, errors);
  }
}

/** Java `.properties`: `key=value` or `key: value`, `#` and `!` comments (escapes are not needed here). */
function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (m) out.set(m[1], m[2].trim());
  }
  return out;
}

/** The main section of a JAR manifest; continuation lines start with one space. */
function parseManifest(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break; // end of the main section
    if (line.startsWith(' ') && last) {
      out.set(last, out.get(last) + line.slice(1));
      continue;
    }
    const c = line.indexOf(':');
    if (c <= 0) continue;
    last = line.slice(0, c).trim();
    out.set(last, line.slice(c + 1).trim());
  }
  return out;
}

/** `jackson-databind-2.15.2.jar` -> artifact `jackson-databind`, version `2.15.2`. */
function fromFileName(fileName: string): { artifactId: string; version?: string } | undefined {
  const stem = fileName.replace(ARCHIVE, '');
  if (!stem) return undefined;
  const m = /^(.+?)-(\d[\w.+-]*)$/.exec(stem);
  return m ? { artifactId: m[1], version: m[2] } : { artifactId: stem };
}

function fromManifest(m: Map<string, string>, fileName: string): Coordinates | undefined {
  const id = (v: string | undefined): string | undefined => (v && /^[\w.-]+$/.test(v) ? v : undefined);
  const symbolic = id(m.get('Bundle-SymbolicName')?.split(';')[0].trim());
  const file = fromFileName(fileName);
  const artifactId = id(file?.artifactId) ?? id(m.get('Implementation-Title')) ?? symbolic?.split('.').pop();
  if (!artifactId) return undefined;
  let groupId = id(m.get('Implementation-Vendor-Id'));
  if (!groupId && symbolic) {
    if (symbolic.endsWith(`.${artifactId}`)) groupId = symbolic.slice(0, -artifactId.length - 1);
    else if (symbolic.includes('.') && symbolic !== artifactId) groupId = symbolic.slice(0, symbolic.lastIndexOf('.'));
  }
  const version = m.get('Implementation-Version')?.trim() || m.get('Bundle-Version')?.trim() || file?.version;
  if (!groupId || !version) return undefined;
  return { groupId, artifactId, version };
}
