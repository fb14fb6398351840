import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { readOverride, readRuleSources } from '../../src/app/audit.js';
import { parseAuditText } from '../../src/inputs/audit/parse.js';
import { compileRuleSet, type RuleSet } from '../../src/threats/compile.js';
import { ThreatEngine } from '../../src/threats/engine.js';
import { readJson } from './corpus.js';
import type { CaseResult } from './model.js';
import { selected, type PeerRunOptions } from './palisade.js';

/** falco-k8saudit/expectations.json: one record per case of falco_k8s_audit_tests.yaml (Falco 0.34.1). */
const expectationsSchema = z.array(
  z.object({
    case: z.string(),
    trace_file: z.string(),
    detect: z.boolean(),
    detect_level: z.string().nullable(),
    detect_counts: z.record(z.string(), z.number().int()),
    rules_file: z.array(z.string()),
    other: z.record(z.string(), z.unknown()),
  }),
);

const here = dirname(fileURLToPath(import.meta.url));
/** Palisade translations of the Falco override files, and Falco's defaults as an override. */
export const TRANSLATIONS_DIR = join(here, 'falco');

/** Falco's syscall ruleset, loaded by every case but irrelevant to k8s_audit events. */
const SYSCALL_RULES = /(^|\/)falco_rules\.yaml$/;
/** Falco's k8saudit rulesets: the plugin's (current or at 0.34.1) and the engine-v4 copy in the test folder. */
const K8SAUDIT_RULESETS = /(^|\/)(k8s_audit_rules|engine_v4_k8s_audit_rules)\.yaml$/;

/** The translation file of a Falco override file: `engine_v4/x.yaml` -> `engine_v4-x.yaml`. */
export function translationName(falcoFile: string): string {
  const parts = falcoFile.split('/');
  const name = parts.at(-1)!;
  return parts.at(-2) === 'engine_v4' ? `engine_v4-${name}` : name;
}

/** How a case's Falco rule files map to Palisade: the shipped rules or not, plus override files, or why not. */
export function planRules(rulesFiles: readonly string[], dir = TRANSLATIONS_DIR): { shipped: boolean; overrides: string[] } | { skip: string } {
  const relevant = rulesFiles.filter((f) => !SYSCALL_RULES.test(f));
  const shipped = relevant.some((f) => K8SAUDIT_RULESETS.test(f));
  const overrides = shipped ? [join(dir, 'falco-defaults.yaml')] : [];
  for (const f of relevant.filter((r) => !K8SAUDIT_RULESETS.test(r))) {
    const t = join(dir, translationName(f));
    if (!existsSync(t)) return { skip: `no Palisade translation of the Falco rules file ${basename(f)}` };
    overrides.push(t);
  }
  return { shipped, overrides };
}

function describeCounts(counts: ReadonlyMap<string, number> | Record<string, number>): string {
  const entries = counts instanceof Map ? [...counts] : Object.entries(counts);
  const parts = entries.filter(([, n]) => n > 0).map(([k, n]) => `${k}=${n}`);
  return parts.length > 0 ? parts.sort().join(', ') : 'no alert';
}

/**
 * Replays Falco 0.34.1's k8s_audit regression cases: each trace file runs through Palisade's threat rules
 * with the case's Falco rule files translated (the shipped rules stand for Falco's k8saudit ruleset, under
 * Falco's default configuration; each override file has a Palisade translation in ./falco). Only rules with
 * `equivalents.falco` take part, as the case loaded only Falco rules. A case agrees when:
 * - detect: every rule named in detect_counts fired exactly that many times, counting the alerts of the
 *   Palisade rules that list the name;
 * - no detect: none of those rules fired at all (and, when Falco must report unparseable input, Palisade
 *   reported an input error).
 */
export function runFalco(opts: PeerRunOptions, translationsDir = TRANSLATIONS_DIR): CaseResult[] {
  const cases = readJson(join(opts.corpusDir, 'expectations.json'), expectationsSchema);
  const shippedSources = readRuleSources();
  const out: CaseResult[] = [];
  const sets = new Map<string, RuleSet>();
  for (const c of cases) {
    if (!selected(opts, c.case) && !Object.keys(c.detect_counts).some((n) => selected(opts, n))) continue;
    const files = [c.trace_file, ...c.rules_file.filter((f) => !SYSCALL_RULES.test(f)).map((f) => f.replace(/^\.\/rules\//, 'falco-0.34.1/test/rules/').replace(/^BUILD_DIR\/.*\//, 'plugins/plugins/k8saudit/rules/'))];
    const expected = c.detect ? describeCounts(c.detect_counts) : 'no alert';
    const base: Omit<CaseResult, 'outcome' | 'got' | 'palisadeChecks'> = {
      peer: 'falco-k8saudit', peerCheck: c.case, files, expected, source: `falco-0.34.1/test/falco_k8s_audit_tests.yaml ${c.case}`,
    };
    const plan = planRules(c.rules_file, translationsDir);
    if ('skip' in plan) {
      out.push({ ...base, palisadeChecks: [], outcome: 'skipped', got: '-', note: plan.skip });
      continue;
    }
    const key = `${plan.shipped}|${plan.overrides.join('|')}`;
    let set = sets.get(key);
    if (!set) {
      set = compileRuleSet(plan.shipped ? shippedSources : [], plan.overrides.map(readOverride));
      sets.set(key, set);
    }
    // Only the Falco-equivalent rules: the case loaded nothing but Falco's rules.
    const inScope: RuleSet = { ...set, rules: set.rules.filter((r) => (r.def.equivalents.falco ?? []).length > 0) };
    const names = Object.keys(c.detect_counts);
    const mapped = new Map(names.map((n) => [n, inScope.rules.filter((r) => r.def.equivalents.falco!.includes(n)).map((r) => r.def.id)]));
    const unmapped = names.filter((n) => mapped.get(n)!.length === 0);
    if (unmapped.length > 0) {
      out.push({ ...base, palisadeChecks: [], outcome: 'no-equivalent', got: '-', note: `no Palisade rule lists ${unmapped.join(', ')} in equivalents.falco` });
      continue;
    }
    const parsed = parseAuditText(readFileSync(join(opts.corpusDir, c.trace_file), 'utf8'), c.trace_file);
    const engine = new ThreatEngine(inScope);
    const alerts = parsed.events.flatMap((e) => engine.evaluate(e));
    const byRule = new Map<string, number>();
    for (const a of alerts) byRule.set(a.ruleId, (byRule.get(a.ruleId) ?? 0) + 1);
    const ruleIds = [...new Set([...mapped.values()].flat())];
    let agree: boolean;
    let got: string;
    if (c.detect) {
      const counts = new Map(names.map((n) => [n, mapped.get(n)!.reduce((s, id) => s + (byRule.get(id) ?? 0), 0)]));
      agree = alerts.length > 0 && names.every((n) => counts.get(n) === c.detect_counts[n]);
      got = describeCounts(counts);
    } else {
      const mustError = typeof c.other.stderr_contains === 'string';
      agree = alerts.length === 0 && (!mustError || parsed.errors.length > 0);
      got = alerts.length > 0 ? describeCounts(new Map([...byRule].map(([id, n]) => [`${id} (${inScope.rules.find((r) => r.def.id === id)!.def.equivalents.falco!.join(' / ')})`, n]))) : mustError ? `no alert, ${parsed.errors.length} input error(s)` : 'no alert';
      if (mustError && agree) got = 'no alert, input error reported';
      ruleIds.push(...byRule.keys());
    }
    const evalErrors = Object.entries(engine.stats.errors).map(([id, e]) => `${id}: ${e.message}`);
    out.push({
      ...base,
      palisadeChecks: [...new Set(ruleIds)],
      outcome: agree ? 'agree' : 'disagree',
      got,
      ...(evalErrors.length > 0 || parsed.errors.length > 0 ? { note: [...evalErrors, ...parsed.errors.map((e) => `${e.file}:${e.line ?? ''} ${e.message}`)].join('; ') } : {}),
    });
  }
  return out;
}
