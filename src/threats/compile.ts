import type { Environment } from '@marcbachmann/cel-js';
import { PalisadeError, type SourcePosition } from '../model/errors.js';
import type { Severity } from '../model/severity.js';
import { createRuleEnvironment, RULE_FUNCTIONS } from './cel.js';
import { compileCel, UnsupportedCel } from './cel-compile.js';
import { CONTEXT_VARIABLES } from './context.js';
import { ALL_DETECTORS, type Detector } from './detectors/index.js';
import { CEL_RESERVED, expand, ExpansionError, type ExpandScope } from './expand.js';
import { compileGuards, compileMemoKey, decideByKey, deriveGuards, deriveMatch, deriveMemoPaths, residualByKey, residualSignature, type Guard, type MatchSets, type PrefilterKey } from './match-index.js';
import { ruleDefSchema, ruleFileSchema, type ListDef, type MacroDef, type ResolvedOverride, type RuleDef } from './rule-schema.js';
import { compileTemplate, type CompiledTemplate } from './template.js';

/** A rule file as read by the caller: its parsed data and a way to find the line of a field. */
export interface RuleSource {
  file: string;
  data: unknown;
  /** Line of a field path in the file, when the caller kept positions. */
  locate?: (path: ReadonlyArray<string | number>) => number | undefined;
}

/**
 * A compiled, callable CEL expression. `interpreted` gives why it runs on the CEL interpreter rather than as
 * compiled JavaScript (an expression outside the compiled subset), for debugging.
 */
export type Predicate = ((ctx: Record<string, unknown>) => unknown) & { interpreted?: string };

/** A rule ready to run: its effective definition, compiled condition, exceptions and template. */
export interface CompiledRule {
  def: RuleDef;
  /** File that defines the rule (a rule file, or an override file for custom rules). */
  file: string;
  /** The condition after list and macro expansion. */
  expanded: string;
  test: Predicate;
  /** Cheap checks implied by the condition (see deriveGuards): when one fails, `test` would be false. */
  guard?: (ctx: Record<string, unknown>) => boolean;
  /** For a condition that reads only scalar fields: the key of those values, under which its result may be remembered. */
  memoKey?: (ctx: Record<string, unknown>) => string;
  /** The conjuncts `guard` checks, so the engine can drop those its prefilter already decided. */
  guards?: readonly Guard[];
  /** The scalar fields `memoKey` reads. */
  memoPaths?: ReadonlyArray<[string, string?]>;
  /** What the condition is for every event of a prefilter key, when those fields alone decide it (see decideByKey). */
  decide?: (key: PrefilterKey) => boolean | undefined;
  /** The condition with what the prefilter key decides taken out (see residualByKey), when that leaves less to do. */
  residual?: (key: PrefilterKey) => Predicate | undefined;
  exceptions: Array<{ name: string; test: Predicate; file: string }>;
  template: CompiledTemplate;
  match: MatchSets & { declared: boolean };
  /** Set for a stateful detector (code), whose `test` never holds: the engine asks the detector instead. */
  detector?: Detector;
}

/** A named list or macro with where its current value comes from. */
export interface NamedEntry<T> {
  value: T;
  description?: string;
  /** Files that defined or changed it, in order. */
  files: string[];
}

/** All rules, lists and macros after overrides, compiled once. */
export interface RuleSet {
  rules: CompiledRule[];
  lists: Map<string, NamedEntry<string[]>>;
  macros: Map<string, NamedEntry<string>>;
}

const VARIABLE_NAMES = new Set(Object.keys(CONTEXT_VARIABLES));
const FUNCTION_NAMES = new Set(Object.keys(RULE_FUNCTIONS).map((s) => s.slice(0, s.indexOf('('))));

function fail(message: string, pos: SourcePosition): never {
  throw new PalisadeError('E_THREAT_RULE', message, pos);
}

function position(file: string, locate: RuleSource['locate'], path: Array<string | number>): SourcePosition {
  const field = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
  return { file, line: locate?.(path), field: field || undefined };
}

function firstLine(e: unknown): string {
  return String((e as Error).message ?? e).split('\n')[0]!;
}

function checkName(kind: 'list' | 'macro', name: string, pos: SourcePosition): void {
  if (VARIABLE_NAMES.has(name)) fail(`${kind} "${name}" has the name of a context variable`, pos);
  if (FUNCTION_NAMES.has(name) || CEL_RESERVED.has(name)) fail(`${kind} "${name}" has the name of a CEL function or keyword`, pos);
}

interface Located<T> {
  def: T;
  file: string;
  locate?: RuleSource['locate'];
  path: Array<string | number>;
  detector?: Detector;
}

/** A detector as a rule definition, so ids, overrides and the catalogue treat both alike. */
function detectorDef(d: Detector): RuleDef {
  return {
    id: d.id,
    slug: d.slug,
    title: d.title,
    description: d.description,
    severity: d.severity,
    mitre: d.mitre,
    condition: `(stateful detector: src/threats/detectors/${d.slug}.ts)`,
    output: '(written by the detector)',
    nextSteps: d.nextSteps,
    enabled: d.enabled,
    tags: d.tags,
    exceptions: [],
    equivalents: d.equivalents,
    match: { ...(d.match.verbs ? { verbs: d.match.verbs } : {}), ...(d.match.resources ? { resources: d.match.resources } : {}) },
  };
}

/**
 * Validates rule files, applies overrides in order, expands lists and macros, and compiles every condition,
 * exception and output template once. Any problem throws a PalisadeError naming the file, the line when known,
 * and the rule, list or macro: a broken rule must never load silently.
 */
export function compileRuleSet(
  sources: readonly RuleSource[],
  overrides: readonly ResolvedOverride[] = [],
  env: Environment = createRuleEnvironment(),
  detectors: readonly Detector[] = ALL_DETECTORS,
): RuleSet {
  const lists = new Map<string, NamedEntry<string[]>>();
  const macros = new Map<string, NamedEntry<string>>();
  const rules: Array<Located<RuleDef>> = [];
  const macroDefs: Array<Located<MacroDef>> = [];

  for (const src of sources) {
    const parsed = ruleFileSchema.safeParse(src.data ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      const id = ruleIdAt(src.data, path);
      fail(`${id ? `rule ${id}: ` : ''}${issue.message}`, position(src.file, src.locate, path));
    }
    parsed.data.lists.forEach((l: ListDef, i) => {
      const pos = position(src.file, src.locate, ['lists', i, 'name']);
      checkName('list', l.name, pos);
      if (lists.has(l.name)) fail(`list "${l.name}" is defined twice (also in ${lists.get(l.name)!.files[0]})`, pos);
      lists.set(l.name, { value: l.items, description: l.description, files: [src.file] });
    });
    parsed.data.macros.forEach((m, i) => {
      const pos = position(src.file, src.locate, ['macros', i, 'name']);
      checkName('macro', m.name, pos);
      if (macros.has(m.name) || lists.has(m.name)) fail(`macro "${m.name}" is defined twice, or as a list too`, pos);
      macros.set(m.name, { value: m.condition, description: m.description, files: [src.file] });
      macroDefs.push({ def: m, file: src.file, locate: src.locate, path: ['macros', i] });
    });
    parsed.data.rules.forEach((r, i) => rules.push({ def: r, file: src.file, locate: src.locate, path: ['rules', i] }));
  }
  for (const [name] of macros) if (lists.has(name)) fail(`"${name}" is both a list and a macro`, { file: macros.get(name)!.files[0]! });

  const byKey = new Map<string, Located<RuleDef>>();
  const addRule = (r: Located<RuleDef>) => {
    for (const key of [r.def.id, r.def.slug]) {
      const other = byKey.get(key);
      if (other) fail(`rule ${r.def.id}: ${key === r.def.id ? 'id' : 'slug'} "${key}" is already used by ${other.def.id} (${other.file})`, position(r.file, r.locate, [...r.path, key === r.def.id ? 'id' : 'slug']));
      byKey.set(key, r);
    }
  };
  rules.forEach(addRule);
  for (const d of detectors) {
    const r: Located<RuleDef> = { def: detectorDef(d), file: `src/threats/detectors/${d.slug}.ts`, path: [], detector: d };
    rules.push(r);
    addRule(r);
  }

  for (const o of overrides) applyOverride(o, lists, macros, rules, byKey, addRule);

  const scope: ExpandScope = { lists: new Map([...lists].map(([k, v]) => [k, v.value])), macros: new Map([...macros].map(([k, v]) => [k, v.value])) };
  // Macros are checked on their own too, so a broken macro that no enabled rule uses is still reported.
  for (const m of macroDefs) {
    const current = macros.get(m.def.name)!;
    compileExpression(env, current.value, scope, `macro ${m.def.name}`, position(current.files.at(-1)!, current.files.length === 1 ? m.locate : undefined, [...m.path, 'condition']), false);
  }
  const roots = new Set(Object.keys(CONTEXT_VARIABLES));
  const compiled = rules.map((r): CompiledRule => {
    const at = (...p: Array<string | number>) => position(r.file, r.locate, [...r.path, ...p]);
    if (r.detector) {
      // Exceptions added by overrides still apply to a detector's findings.
      const exceptions = r.def.exceptions.map((x, i) => ({ name: x.name, file: r.file, test: compileExpression(env, x.condition, scope, `rule ${r.def.id} exception "${x.name}"`, at('exceptions', i, 'condition'), true).test }));
      const m = r.def.match ?? {};
      return { def: r.def, file: r.file, expanded: '', test: () => false, exceptions, template: compileTemplate('', roots), match: { verbs: m.verbs ? new Set(m.verbs) : undefined, resources: m.resources ? new Set(m.resources) : undefined, declared: true }, detector: r.detector };
    }
    const { test, expanded, ast, interpreted } = compileExpression(env, r.def.condition, scope, `rule ${r.def.id}`, at('condition'), true);
    const exceptions = r.def.exceptions.map((x, i) => ({
      name: x.name,
      file: r.file,
      test: compileExpression(env, x.condition, scope, `rule ${r.def.id} exception "${x.name}"`, at('exceptions', i, 'condition'), true).test,
    }));
    let template: CompiledTemplate;
    try {
      template = compileTemplate(r.def.output, roots);
    } catch (e) {
      fail(`rule ${r.def.id}: output template: ${firstLine(e)}`, at('output'));
    }
    const derived = deriveMatch(ast);
    const match = r.def.match
      ? { verbs: r.def.match.verbs ? new Set(r.def.match.verbs) : derived.verbs, resources: r.def.match.resources ? new Set(r.def.match.resources) : derived.resources, declared: true }
      : { ...derived, declared: false };
    const guards = deriveGuards(ast);
    const guard = compileGuards(guards);
    const memoPaths = deriveMemoPaths(ast, roots);
    const decide = (key: PrefilterKey) => decideByKey(ast, key);
    // Keys that leave the same residual share its compiled predicate (engines come and go; rules stay).
    const residuals = new Map<string, Predicate | undefined>();
    const residual =
      test.interpreted === undefined
        ? (key: PrefilterKey) => {
            const rest = residualByKey(ast, key);
            if (rest === ast) return undefined;
            const sig = residualSignature(rest);
            if (!residuals.has(sig)) residuals.set(sig, residualPredicate(rest, interpreted));
            return residuals.get(sig);
          }
        : undefined;
    return { def: r.def, file: r.file, expanded, test, ...(guard ? { guard, guards } : {}), ...(memoPaths ? { memoKey: compileMemoKey(memoPaths), memoPaths } : {}), decide, ...(residual ? { residual } : {}), exceptions, template, match };
  });
  return { rules: compiled, lists, macros };
}

/**
 * The compiled residual of a condition (see residualByKey), or undefined outside the compiled subset. Any
 * evaluation the compiled residual cannot decide, and any result that is not a bool, goes to the interpreter with
 * the whole expression, so results and errors are those of the condition itself.
 */
function residualPredicate(rest: unknown, interpreted: Predicate): Predicate | undefined {
  let compiled: Predicate;
  try {
    compiled = compileCel(rest, interpreted);
  } catch (e) {
    if (e instanceof UnsupportedCel) return undefined;
    throw e;
  }
  return (ctx) => {
    const v = compiled(ctx);
    return typeof v === 'boolean' ? v : interpreted(ctx);
  };
}

function compileExpression(env: Environment, src: string, scope: ExpandScope, what: string, pos: SourcePosition, mustBeBool: boolean): { test: Predicate; expanded: string; ast: unknown; interpreted: Predicate } {
  let expanded: string;
  try {
    expanded = expand(src, scope);
  } catch (e) {
    if (e instanceof ExpansionError) fail(`${what}: ${e.message}`, pos);
    throw e;
  }
  let compiled: Predicate & { ast?: unknown };
  try {
    compiled = env.parse(expanded) as Predicate & { ast?: unknown };
  } catch (e) {
    fail(`${what}: CEL syntax error: ${firstLine(e)}`, pos);
  }
  foldConstantLists(compiled.ast);
  const checked = env.check(expanded) as { valid: boolean; type?: unknown; error?: Error };
  if (!checked.valid) {
    const msg = firstLine(checked.error);
    const unknown = /Unknown variable: (\w+)/.exec(msg);
    fail(`${what}: ${unknown ? `"${unknown[1]}" is not a context variable, list or macro` : msg}`, pos);
  }
  if (mustBeBool && checked.type !== undefined && !['bool', 'dyn'].includes(String(checked.type))) fail(`${what}: the condition is a ${String(checked.type)}, not a bool`, pos);
  return { test: fastPredicate(compiled), expanded, ast: compiled.ast, interpreted: compiled };
}

/** The expression compiled to JavaScript (see compileCel), or the interpreter when it is outside the subset. */
function fastPredicate(interpreted: Predicate & { ast?: unknown }): Predicate {
  try {
    return compileCel(interpreted.ast, interpreted);
  } catch (e) {
    if (!(e instanceof UnsupportedCel)) throw e;
    const p: Predicate = (ctx) => interpreted(ctx);
    p.interpreted = e.message;
    return p;
  }
}

function ruleIdAt(data: unknown, path: ReadonlyArray<string | number>): string | undefined {
  if (path[0] !== 'rules' || typeof path[1] !== 'number') return undefined;
  const rules = (data as { rules?: unknown[] } | null)?.rules;
  const r = Array.isArray(rules) ? (rules[path[1]] as { id?: unknown } | undefined) : undefined;
  return typeof r?.id === 'string' ? r.id : undefined;
}

function applyOverride(
  o: ResolvedOverride,
  lists: Map<string, NamedEntry<string[]>>,
  macros: Map<string, NamedEntry<string>>,
  rules: Array<Located<RuleDef>>,
  byKey: Map<string, Located<RuleDef>>,
  addRule: (r: Located<RuleDef>) => void,
): void {
  const at = (...p: Array<string | number>) => position(o.file, o.locate, p);
  for (const [name, change] of Object.entries(o.lists)) {
    const existing = lists.get(name);
    if (!existing) {
      if (change.items === undefined) fail(`list "${name}" does not exist; a new list needs items (or file)`, at('lists', name));
      checkName('list', name, at('lists', name));
      if (macros.has(name)) fail(`"${name}" is a macro, not a list`, at('lists', name));
      lists.set(name, { value: [...change.items!, ...(change.append ?? [])], files: [o.file] });
      continue;
    }
    const items = change.items ?? existing.value;
    lists.set(name, { ...existing, value: [...items, ...(change.append ?? [])], files: [...existing.files, o.file] });
  }
  for (const [name, condition] of Object.entries(o.macros)) {
    if (lists.has(name)) fail(`"${name}" is a list, not a macro`, at('macros', name));
    const existing = macros.get(name);
    if (!existing) checkName('macro', name, at('macros', name));
    macros.set(name, { value: condition, description: existing?.description, files: [...(existing?.files ?? []), o.file] });
  }
  // Tags first, then single rules: the more specific setting wins within one file.
  const entries = Object.entries(o.rules).sort(([a], [b]) => Number(!a.startsWith('tag:')) - Number(!b.startsWith('tag:')));
  for (const [key, patch] of entries) {
    let targets: Array<Located<RuleDef>>;
    if (key.startsWith('tag:')) {
      const tag = key.slice(4);
      targets = rules.filter((r) => r.def.tags.includes(tag));
      if (targets.length === 0) fail(`no rule has the tag "${tag}"`, at('rules', key));
    } else {
      const r = byKey.get(key);
      if (!r) fail(`no rule has the id or slug "${key}" (see palisade rules list)`, at('rules', key));
      targets = [r];
    }
    for (const r of targets) {
      r.def = {
        ...r.def,
        ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
        ...(patch.severity !== undefined ? { severity: patch.severity as Severity } : {}),
        exceptions: [...r.def.exceptions, ...(patch.exceptions ?? [])],
      };
    }
  }
  o.customRules.forEach((raw, i) => {
    // Parsed again here: an override may be built in code, without the file schema's defaults.
    const parsed = ruleDefSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const id = typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : `customRules[${i}]`;
      fail(`rule ${id}: ${issue.message}`, at('customRules', i, ...issue.path.filter((p): p is string | number => typeof p !== 'symbol')));
    }
    const r: Located<RuleDef> = { def: parsed.data, file: o.file, locate: o.locate, path: ['customRules', i] };
    rules.push(r);
    addRule(r);
  });
}

interface AstNode {
  op: string;
  args: unknown;
  evaluate?: unknown;
}
const isAstNode = (v: unknown): v is AstNode => typeof v === 'object' && v !== null && typeof (v as AstNode).op === 'string' && 'args' in v;

/**
 * Lists and macros are expanded into literals, so a list of a hundred addresses would be rebuilt element by element
 * on every evaluation. A list literal whose elements are all literals evaluates to one array, built once here and
 * returned as is (CEL values are immutable; no function mutates its arguments), which also lets functions keep a
 * per-list index (ipInRanges). Type checking still sees the literal.
 */
export function foldConstantLists(node: unknown): void {
  if (Array.isArray(node)) {
    for (const n of node) foldConstantLists(n);
    return;
  }
  if (!isAstNode(node)) {
    if (typeof node === 'object' && node !== null) for (const v of Object.values(node)) foldConstantLists(v);
    return;
  }
  if (node.op === 'list' && Array.isArray(node.args) && node.args.length > 0 && node.args.every((a) => isAstNode(a) && a.op === 'value')) {
    const values = Object.freeze((node.args as AstNode[]).map((a) => a.args));
    // An own property shadows the node's evaluate method, which the evaluator calls for each node.
    Object.defineProperty(node, 'evaluate', { value: () => values, writable: true, configurable: true });
    return;
  }
  foldConstantLists(node.args);
}
