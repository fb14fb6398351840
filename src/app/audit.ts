import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { readAuditSources } from '../inputs/audit/index.js';
import { atLeast, severityRank, type Severity } from '../model/severity.js';
import type { Alert } from '../model/audit.js';
import { PalisadeError, type InputError } from '../model/errors.js';
import { compileRuleSet, type CompiledRule, type RuleSet, type RuleSource } from '../threats/compile.js';
import { dedupeAlerts } from '../threats/dedupe.js';
import { ThreatEngine, type EngineStats } from '../threats/engine.js';
import { isIpOrCidr } from '../threats/ip.js';
import { overrideFileSchema, type ResolvedOverride } from '../threats/rule-schema.js';
import { CONTENT_DIR } from './content.js';
import { zodIssueMessage } from './yaml-errors.js';

/** Where the shipped threat rules live. */
export const THREAT_RULES_DIR = join(CONTENT_DIR, 'threat-rules');

/** Lists whose name ends with this hold addresses and CIDR ranges, and are validated as such. */
const RANGE_LIST_SUFFIX = '_ranges';


function readYaml(file: string): { data: unknown; locate: (p: ReadonlyArray<string | number>) => number | undefined } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PalisadeError('E_THREAT_RULE', `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file });
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new PalisadeError('E_THREAT_RULE', `invalid YAML: ${e.message.split('\n')[0]}`, { file, line: e.linePos?.[0]?.line });
  }
  return { data: doc.toJS() as unknown, locate: (p) => zodIssueMessage(doc, counter, [...p]).line };
}

/** Reads every rule file of a folder (sorted by name), keeping line positions for messages. */
export function readRuleSources(dir = THREAT_RULES_DIR): RuleSource[] {
  if (!existsSync(dir)) throw new PalisadeError('E_THREAT_RULE', 'threat rules folder not found', { file: dir });
  return readdirSync(dir)
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()
    .map((n) => {
      const file = join(dir, n);
      return { file, ...readYaml(file) };
    });
}

/** Reads a list file: one entry per line, `#` starts a comment, blank lines ignored. */
function readListFile(file: string, listName: string, from: string): string[] {
  if (!existsSync(file)) throw new PalisadeError('E_THREAT_RULE', `list ${listName}: file not found: ${file}`, { file: from });
  const out: string[] = [];
  readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .forEach((raw, i) => {
      const entry = raw.replace(/#.*$/, '').trim();
      if (entry === '') return;
      if (listName.endsWith(RANGE_LIST_SUFFIX) && !isIpOrCidr(entry)) {
        throw new PalisadeError('E_THREAT_RULE', `list ${listName}: "${entry}" is not an IP address or CIDR range`, { file, line: i + 1 });
      }
      out.push(entry);
    });
  return out;
}

/**
 * Reads and validates an override file, reading the list files it names (relative to it). Errors name the file,
 * line and field.
 */
export function readOverride(file: string): ResolvedOverride {
  const { data, locate } = readYaml(file);
  const parsed = overrideFileSchema.safeParse(data ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    throw new PalisadeError('E_THREAT_RULE', issue.message, { file, line: locate(path), field: path.join('.') || undefined });
  }
  const o = parsed.data;
  const lists: ResolvedOverride['lists'] = {};
  for (const [name, change] of Object.entries(o.lists)) {
    const items = change.file !== undefined ? readListFile(resolve(dirname(file), change.file), name, file) : change.items;
    if (name.endsWith(RANGE_LIST_SUFFIX)) {
      for (const [key, entries] of [['items', change.items], ['append', change.append]] as const) {
        (entries ?? []).forEach((entry, i) => {
          if (!isIpOrCidr(entry)) throw new PalisadeError('E_THREAT_RULE', `list ${name}: "${entry}" is not an IP address or CIDR range`, { file, line: locate(['lists', name, key, i]), field: `lists.${name}.${key}[${i}]` });
        });
      }
    }
    lists[name] = { ...(items !== undefined ? { items } : {}), ...(change.append !== undefined ? { append: change.append } : {}) };
  }
  const macros = Object.fromEntries(Object.entries(o.macros).map(([k, v]) => [k, typeof v === 'string' ? v : v.condition]));
  return { file, locate, lists, macros, rules: o.rules, customRules: o.customRules };
}

let cached: RuleSet | undefined;

/** Options of rule loading. */
export interface LoadRulesOptions {
  /** Override files, applied in order (later files win). */
  overrides?: readonly string[];
  /** Another rules folder (tests, a fork of the shipped rules). */
  rulesDir?: string;
}

/** Loads, overrides and compiles the threat rules. The shipped set without overrides is compiled once per process. */
export function loadThreatRules(opts: LoadRulesOptions = {}): RuleSet {
  const plain = (opts.overrides ?? []).length === 0 && opts.rulesDir === undefined;
  if (plain && cached) return cached;
  const set = compileRuleSet(readRuleSources(opts.rulesDir), (opts.overrides ?? []).map(readOverride));
  if (plain) cached = set;
  return set;
}

/** What `rules list` and `rules show` print for one rule. */
export interface ThreatRuleInfo {
  id: string;
  slug: string;
  title: string;
  description: string;
  severity: Severity;
  enabled: boolean;
  tags: string[];
  mitre: { tactics: string[]; techniques: string[] };
  condition: string;
  output: string;
  nextSteps: string[];
  exceptions: Array<{ name: string; condition: string }>;
  /** Verbs and resources the rule is evaluated for (`*` = any), declared or derived from the condition. */
  match: { verbs: string[]; resources: string[]; declared: boolean };
  equivalents: Record<string, string[]>;
  file: string;
}

/** The catalogue view of a compiled rule. */
export function ruleInfo(r: CompiledRule): ThreatRuleInfo {
  return {
    id: r.def.id,
    slug: r.def.slug,
    title: r.def.title,
    description: r.def.description,
    severity: r.def.severity,
    enabled: r.def.enabled,
    tags: r.def.tags,
    mitre: r.def.mitre,
    condition: r.def.condition,
    output: r.def.output,
    nextSteps: r.def.nextSteps,
    exceptions: r.def.exceptions.map((x) => ({ name: x.name, condition: x.condition })),
    match: { verbs: r.match.verbs ? [...r.match.verbs].sort() : ['*'], resources: r.match.resources ? [...r.match.resources].sort() : ['*'], declared: r.match.declared },
    equivalents: Object.fromEntries(Object.entries(r.def.equivalents).filter(([, v]) => Array.isArray(v) && v.length > 0)) as Record<string, string[]>,
    file: r.file,
  };
}

/** Finds rules by id, slug, or an equivalent's name (Falco rule name, Defender alert type), case-insensitively. */
export function findThreatRules(set: RuleSet, key: string): CompiledRule[] {
  const k = key.toLowerCase();
  const exact = set.rules.filter((r) => r.def.id.toLowerCase() === k || r.def.slug === k);
  if (exact.length > 0) return exact;
  return set.rules.filter((r) => Object.values(r.def.equivalents).some((ids) => (ids ?? []).some((id) => id.toLowerCase() === k)));
}

/** Options of an audit scan. */
export interface AuditScanOptions extends LoadRulesOptions {
  /** Merge alerts of the same rule and entities within this many milliseconds (0: keep every alert). */
  dedupeWindowMs?: number;
  stdin?: NodeJS.ReadableStream;
  /** Only these rules (ids or slugs), when given. */
  only?: readonly string[];
}

/** What an audit scan found. */
export interface AuditScanResult {
  alerts: Alert[];
  errors: InputError[];
  /** Records of the log streams that were not audit events. */
  skipped: number;
  stats: EngineStats;
  rules: { total: number; enabled: number };
}

/**
 * Reads audit logs (files, folders, `-`), runs the threat rules over every event as it is read, and returns the
 * alerts sorted by time (deduplicated within the window when asked). Bad input is reported, never fatal.
 */
export async function scanAudit(paths: readonly string[], opts: AuditScanOptions = {}): Promise<AuditScanResult> {
  let set = loadThreatRules(opts);
  if (opts.only && opts.only.length > 0) {
    const wanted = new Set(opts.only.map((s) => s.toLowerCase()));
    const unknown = [...wanted].filter((w) => !set.rules.some((r) => r.def.id.toLowerCase() === w || r.def.slug === w));
    if (unknown.length > 0) throw new PalisadeError('E_USAGE', `no rule has the id or slug ${unknown.map((u) => `"${u}"`).join(', ')} (see palisade rules list)`);
    set = { ...set, rules: set.rules.map((r) => ({ ...r, def: { ...r.def, enabled: wanted.has(r.def.id.toLowerCase()) || wanted.has(r.def.slug) } })) };
  }
  const engine = new ThreatEngine(set);
  const alerts: Alert[] = [];
  const errors: InputError[] = [];
  let skipped = 0;
  await readAuditSources(paths, { event: (e) => alerts.push(...engine.evaluate(e)), error: (e) => errors.push(e), skipped: (n) => (skipped += n) }, opts.stdin);
  const sorted = alerts.map((a, i) => ({ a, i, t: a.time ? Date.parse(a.time) : Number.NaN })).sort((x, y) => (Number.isNaN(x.t) || Number.isNaN(y.t) ? x.i - y.i : x.t - y.t || x.i - y.i)).map((x) => x.a);
  return {
    alerts: opts.dedupeWindowMs && opts.dedupeWindowMs > 0 ? dedupeAlerts(sorted, opts.dedupeWindowMs) : sorted,
    errors,
    skipped,
    stats: engine.stats,
    rules: { total: set.rules.length, enabled: set.rules.filter((r) => r.def.enabled).length },
  };
}

/** True when any alert is at or above the threshold. */
export function alertsAtOrAbove(alerts: readonly Alert[], threshold: Severity): boolean {
  return alerts.some((a) => atLeast(a.severity, threshold));
}

/** Alerts most severe first, then by time. */
export function bySeverity(alerts: readonly Alert[]): Alert[] {
  return [...alerts].sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
}
