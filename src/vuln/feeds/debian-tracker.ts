import { z } from 'zod';
import type { AffectedPackage, AffectedStatus, DataSource, VulnerabilityRecord } from '../../model/advisory.js';
import { describeIssues, documentFailure, joinLocation, parseJsonDocument, type Feed, type FeedDocument, type FeedParseResult } from './feed.js';
import { severityFromWord } from './support/severity.js';

/**
 * The Debian security tracker's JSON export: `{ <source package>: { <CVE id>: { description, releases: {
 * <codename>: { status, fixed_version, urgency, nodsa, nodsa_reason } } } } }`. It is the authority for
 * Debian: it knows unfixed issues and the ones Debian decided not to fix, which DSAs alone do not.
 *
 * Quirks, as the tracker writes them down:
 * - `fixed_version: "0"` on a resolved issue: the package in that release never had the bug -> `not-affected`.
 * - `status: open` with `nodsa_reason: ignored` -> `will-not-fix`; `postponed` -> `fix-deferred` (fixed in a later
 *   point release, no DSA); `urgency: end-of-life` -> `end-of-life` (the package is out of security support).
 * - `status: undetermined` -> `under-investigation`.
 * - `sid` (unstable, no release number) and codenames not listed below are left out.
 * - `TEMP-…` ids are left out: they are placeholders for issues without a CVE yet, renamed when one is
 *   assigned, so a finding, an ignore rule or a ticket that named one would silently lose its subject.
 */

/** Debian codename -> release number, as namespaces (`debian:12`) and os-release use them. */
export const DEBIAN_RELEASES: Record<string, string> = {
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
};

const DEFAULT_BASE = 'https://security-tracker.debian.org/tracker/data/';
const SOURCE: DataSource = { id: 'debian-tracker', name: 'Debian Security Tracker', url: 'https://security-tracker.debian.org/tracker/' };

const releaseSchema = z.object({
  status: z.enum(['resolved', 'open', 'undetermined']),
  fixed_version: z.string().min(1).optional(),
  urgency: z.string().optional(),
  nodsa: z.string().optional(),
  nodsa_reason: z.string().optional(),
  repositories: z.record(z.string(), z.string()).optional(),
});
const issueSchema = z.object({
  description: z.string().optional(),
  scope: z.string().optional(),
  debianbug: z.number().optional(),
  releases: z.record(z.string(), releaseSchema),
});
const documentSchema = z.record(z.string(), z.record(z.string(), z.unknown()));

function statusOf(r: z.infer<typeof releaseSchema>): { status: AffectedStatus; fixedVersion?: string } | string {
  switch (r.status) {
    case 'resolved':
      if (r.fixed_version === undefined) return 'resolved without a fixed_version';
      return r.fixed_version === '0' ? { status: 'not-affected' } : { status: 'fixed', fixedVersion: r.fixed_version };
    case 'open':
      if (r.nodsa_reason === 'ignored') return { status: 'will-not-fix' };
      if (r.nodsa_reason === 'postponed') return { status: 'fix-deferred' };
      if (r.urgency === 'end-of-life') return { status: 'end-of-life' };
      return { status: 'affected' };
    default:
      return { status: 'under-investigation' };
  }
}

function parseTracker(documentKey: string, bytes: Uint8Array): FeedParseResult {
  if (documentKey !== 'tracker') return documentFailure(`debian-tracker: unknown document "${documentKey}"`);
  const json = parseJsonDocument(bytes);
  if (!json.ok) return documentFailure(`debian-tracker json: ${json.message}`);
  const top = documentSchema.safeParse(json.value);
  if (!top.success) return documentFailure(`debian-tracker json: not the tracker's {package: {CVE: ...}} map: ${describeIssues(top.error.issues)}`);
  const result: FeedParseResult = { vulnerabilities: [], affected: [], errors: [], skipped: 0 };
  const vulns = new Map<string, VulnerabilityRecord>();
  for (const [pkg, issues] of Object.entries(top.data)) {
    for (const [id, raw] of Object.entries(issues)) {
      const entry = `${pkg}/${id}`;
      if (id.startsWith('TEMP-')) {
        result.skipped++;
        continue;
      }
      if (!/^CVE-\d{4}-\d{4,}$/.test(id)) {
        result.errors.push({ document: documentKey, entry, message: `"${id}" is not a CVE id` });
        continue;
      }
      const parsed = issueSchema.safeParse(raw);
      if (!parsed.success) {
        result.errors.push({ document: documentKey, entry, message: describeIssues(parsed.error.issues) });
        continue;
      }
      const rows: AffectedPackage[] = [];
      let bad: string | undefined;
      for (const [codename, rel] of Object.entries(parsed.data.releases)) {
        const number = DEBIAN_RELEASES[codename];
        if (!number) continue;
        const s = statusOf(rel);
        if (typeof s === 'string') {
          bad = `releases.${codename}: ${s}`;
          break;
        }
        const severity = severityFromWord(rel.urgency);
        rows.push({
          vulnerabilityId: id,
          namespace: `debian:${number}`,
          package: pkg,
          status: s.status,
          ...(s.fixedVersion ? { fixedVersion: s.fixedVersion } : {}),
          ...(severity ? { severity } : {}),
          source: SOURCE.id,
        });
      }
      if (bad) {
        result.errors.push({ document: documentKey, entry, message: bad });
        continue;
      }
      if (rows.length === 0) {
        result.skipped++;
        continue;
      }
      result.affected.push(...rows);
      if (!vulns.has(id)) {
        const description = parsed.data.description?.trim();
        vulns.set(id, {
          id,
          aliases: [],
          ...(description ? { title: description } : {}),
          cvss: [],
          references: [`https://security-tracker.debian.org/tracker/${id}`],
        });
      }
    }
  }
  result.vulnerabilities = [...vulns.values()];
  return result;
}

/** The Debian security tracker. */
export const debianTracker = {
  id: 'debian-tracker',
  name: 'Debian Security Tracker',
  homepage: 'https://security-tracker.debian.org/tracker/',
  defaultBase: DEFAULT_BASE,
  documents(base = DEFAULT_BASE): FeedDocument[] {
    return [{ key: 'tracker', path: 'json', location: joinLocation(base, 'json'), format: 'json', source: SOURCE }];
  },
  parse: parseTracker,
} satisfies Feed;
