import { z } from 'zod';
import type { AffectedPackage, DataSource, VulnerabilityRecord } from '../../model/advisory.js';
import { describeIssues, documentFailure, joinLocation, parseJsonDocument, type Feed, type FeedDocument, type FeedParseResult } from './feed.js';

/**
 * Alpine's security database: one JSON document per branch and repository (`v3.19/main.json`), listing for
 * each origin package the versions that fixed which vulnerabilities (`secfixes: {"3.1.4-r1": ["CVE-…"]}`).
 * It lists fixes only: an unfixed issue is not in it. Version `"0"` means the package in that branch was
 * never affected (`not-affected`).
 */

/** Branches fetched: the supported and recently retired stable branches, and edge. */
export const ALPINE_BRANCHES = [
  'v3.12', 'v3.13', 'v3.14', 'v3.15', 'v3.16', 'v3.17', 'v3.18', 'v3.19', 'v3.20', 'v3.21', 'v3.22', 'edge',
] as const;
const REPOSITORIES = ['main', 'community'] as const;

const DEFAULT_BASE = 'https://secdb.alpinelinux.org/';
const SOURCE: DataSource = { id: 'alpine-secdb', name: 'Alpine Security Database', url: 'https://secdb.alpinelinux.org/' };

const documentSchema = z.object({
  distroversion: z.string().optional(),
  reponame: z.string().optional(),
  packages: z.array(z.unknown()),
});
const packageSchema = z.object({
  pkg: z.object({
    name: z.string().min(1),
    secfixes: z.record(z.string(), z.array(z.string()).nullable()).nullish(),
  }),
});

/** Ids in one secfixes line: usually one CVE, sometimes several, or an XSA/GHSA id, with occasional notes. */
function idsIn(line: string): string[] {
  return line.split(/[\s,;()]+/).filter((t) => /^[A-Z][A-Z0-9]+-[A-Za-z0-9][A-Za-z0-9:._-]*$/.test(t));
}

function parseSecdb(documentKey: string, bytes: Uint8Array): FeedParseResult {
  const m = /^(v\d+\.\d+|edge)\/(main|community)$/.exec(documentKey);
  if (!m) return documentFailure(`alpine-secdb: unknown document "${documentKey}"`);
  const [, branch, repo] = m;
  const file = `${branch}/${repo}.json`;
  const json = parseJsonDocument(bytes);
  if (!json.ok) return documentFailure(`${file}: ${json.message}`);
  const doc = documentSchema.safeParse(json.value);
  if (!doc.success) return documentFailure(`${file}: not an Alpine secdb document: ${describeIssues(doc.error.issues)}`);
  // A mirror that put one branch's file in another's place would attach fixes to the wrong release.
  if (doc.data.distroversion !== undefined && doc.data.distroversion !== branch) return documentFailure(`${file}: distroversion is "${doc.data.distroversion}", expected "${branch}"`);
  if (doc.data.reponame !== undefined && doc.data.reponame !== repo) return documentFailure(`${file}: reponame is "${doc.data.reponame}", expected "${repo}"`);
  const namespace = `alpine:${branch === 'edge' ? 'edge' : branch.slice(1)}`;
  const result: FeedParseResult = { vulnerabilities: [], affected: [], errors: [], skipped: 0 };
  const vulns = new Map<string, VulnerabilityRecord>();
  doc.data.packages.forEach((raw, i) => {
    const parsed = packageSchema.safeParse(raw);
    if (!parsed.success) {
      const name = (raw as { pkg?: { name?: unknown } } | null)?.pkg?.name;
      result.errors.push({ document: documentKey, entry: typeof name === 'string' ? name : `packages[${i}]`, message: describeIssues(parsed.error.issues) });
      return;
    }
    const { name, secfixes } = parsed.data.pkg;
    const seen = new Set<string>();
    for (const [version, lines] of Object.entries(secfixes ?? {})) {
      if (!/^\S+$/.test(version)) {
        result.errors.push({ document: documentKey, entry: name, message: `secfixes: "${version}" is not a version` });
        continue;
      }
      for (const line of lines ?? []) {
        const ids = idsIn(line);
        if (ids.length === 0) {
          result.errors.push({ document: documentKey, entry: `${name}@${version}`, message: `secfixes: "${line}" names no vulnerability id` });
          continue;
        }
        for (const id of ids) {
          // The same id under two versions: the first (lowest, as Alpine lists them) fix is the one that counts.
          if (seen.has(id)) continue;
          seen.add(id);
          const row: AffectedPackage = version === '0'
            ? { vulnerabilityId: id, namespace, package: name, status: 'not-affected', source: SOURCE.id }
            : { vulnerabilityId: id, namespace, package: name, status: 'fixed', fixedVersion: version, source: SOURCE.id };
          result.affected.push(row);
          if (!vulns.has(id)) vulns.set(id, { id, aliases: [], cvss: [], references: id.startsWith('CVE-') ? [`https://security.alpinelinux.org/vuln/${id}`] : [] });
        }
      }
    }
  });
  result.vulnerabilities = [...vulns.values()];
  return result;
}

/** Alpine secdb. */
export const alpineSecdb = {
  id: 'alpine-secdb',
  name: 'Alpine Security Database',
  homepage: 'https://secdb.alpinelinux.org/',
  defaultBase: DEFAULT_BASE,
  documents(base = DEFAULT_BASE): FeedDocument[] {
    return ALPINE_BRANCHES.flatMap((branch) =>
      REPOSITORIES.map((repo) => {
        const path = `${branch}/${repo}.json`;
        return { key: `${branch}/${repo}`, path, location: joinLocation(base, path), format: 'json' as const, source: SOURCE };
      }),
    );
  },
  parse: parseSecdb,
} satisfies Feed;
