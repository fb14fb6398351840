import type { DetectedVulnerability } from '../model/advisory.js';
import type { AppliedIgnore, IgnoredVulnerability, IgnoreIssue } from '../model/image-report.js';

/** An ignore entry with where it is written (`.palisadeignore.yaml:12`). */
export type IgnoreRule = AppliedIgnore;

/** What `applyIgnores` decided. */
export interface IgnoreOutcome {
  /** Vulnerabilities still reported. */
  kept: DetectedVulnerability[];
  /** Vulnerabilities an entry suppressed, with the entry. */
  ignored: IgnoredVulnerability[];
  /** Entries that expired or matched nothing. */
  issues: IgnoreIssue[];
}

/** An expiry date is inclusive: `2026-12-31` applies until the end of that day (UTC). */
export function isExpired(expires: string | undefined, now: Date): boolean {
  if (!expires) return false;
  const t = Date.parse(expires.length === 10 ? `${expires}T23:59:59Z` : expires);
  return !Number.isNaN(t) && t < now.getTime();
}

/**
 * Whether an entry's `package` names the vulnerable package: its name, its source package name,
 * `name@version`, or a purl, which matches with or without version and qualifiers
 * (`pkg:npm/lodash` matches `pkg:npm/lodash@4.17.20`).
 */
export function packageMatches(selector: string, v: DetectedVulnerability): boolean {
  const p = v.package;
  if (selector.startsWith('pkg:')) {
    return p.purl === selector || ['@', '?', '#'].some((sep) => p.purl.startsWith(selector + sep));
  }
  return p.name === selector || p.sourceName === selector || `${p.name}@${v.installedVersion}` === selector;
}

/** Whether an entry's `id` names the vulnerability or one of its aliases (case does not matter). */
export function idMatches(id: string, v: DetectedVulnerability): boolean {
  const want = id.toUpperCase();
  return v.id.toUpperCase() === want || v.aliases.some((a) => a.toUpperCase() === want);
}

/**
 * Applies ignore entries: a vulnerability matched by a live entry moves to `ignored` (kept with the entry,
 * never dropped). An expired entry no longer applies, and is reported; so is a live entry that matched
 * nothing, which is either stale (the package was upgraded) or mistyped. The first matching entry wins.
 */
export function applyIgnores(vulns: ReadonlyArray<DetectedVulnerability>, rules: ReadonlyArray<IgnoreRule>, now: Date): IgnoreOutcome {
  const live = rules.filter((r) => !isExpired(r.expires, now));
  const used = new Set<IgnoreRule>();
  const kept: DetectedVulnerability[] = [];
  const ignored: IgnoredVulnerability[] = [];
  for (const v of vulns) {
    const rule = live.find((r) => idMatches(r.id, v) && (r.package === undefined || packageMatches(r.package, v)));
    if (!rule) {
      kept.push(v);
      continue;
    }
    used.add(rule);
    const ignore: AppliedIgnore = { id: rule.id, reason: rule.reason, source: rule.source };
    if (rule.package !== undefined) ignore.package = rule.package;
    if (rule.expires !== undefined) ignore.expires = rule.expires;
    ignored.push({ ...v, ignore });
  }
  const issues: IgnoreIssue[] = [];
  for (const r of rules) {
    const what = `${r.id}${r.package ? ` in ${r.package}` : ''}`;
    const base = { id: r.id, reason: r.reason, source: r.source, ...(r.package !== undefined ? { package: r.package } : {}), ...(r.expires !== undefined ? { expires: r.expires } : {}) };
    if (isExpired(r.expires, now)) {
      const matches = vulns.filter((v) => idMatches(r.id, v) && (r.package === undefined || packageMatches(r.package, v))).length;
      issues.push({ kind: 'expired', ...base, message: `${r.source}: ignore entry for ${what} expired on ${r.expires}; ${matches === 0 ? 'it matches nothing any more either' : `its ${matches} match${matches === 1 ? ' is' : 'es are'} reported again`}` });
    } else if (!used.has(r)) {
      issues.push({ kind: 'unmatched', ...base, message: `${r.source}: ignore entry for ${what} matched no vulnerability: remove it, or fix its id or package` });
    }
  }
  return { kept, ignored, issues };
}
