import { contextReader } from './context.js';

/**
 * Which verbs and resources can a condition match? Derived from the CEL syntax tree so that rules need not
 * declare it: a conjunction narrows, a disjunction widens, and anything else is "any". The analysis is sound
 * (it may answer "any" for a rule that is narrower, never a set that misses an event the rule would match),
 * because a rule is only evaluated for events whose verb and resource fall in its sets.
 */

interface Node {
  op: string;
  args: unknown;
}

/** Verbs and resources a rule can match; `undefined` means any. */
export interface MatchSets {
  verbs?: ReadonlySet<string>;
  resources?: ReadonlySet<string>;
}

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && 'op' in v;
}

/** `verb`, or `objectRef.resource` / `target.resource`. */
function fieldOf(n: unknown): 'verbs' | 'resources' | undefined {
  if (!isNode(n)) return undefined;
  if (n.op === 'id' && n.args === 'verb') return 'verbs';
  if (n.op === '.' && Array.isArray(n.args) && n.args[1] === 'resource') {
    const base = n.args[0];
    if (isNode(base) && base.op === 'id' && (base.args === 'objectRef' || base.args === 'target')) return 'resources';
  }
  return undefined;
}

function literalsOf(n: unknown): string[] | undefined {
  if (!isNode(n)) return undefined;
  if (n.op === 'value' && typeof n.args === 'string') return [n.args];
  if (n.op === 'list' && Array.isArray(n.args)) {
    const out: string[] = [];
    for (const a of n.args) {
      if (!isNode(a) || a.op !== 'value' || typeof a.args !== 'string') return undefined;
      out.push(a.args);
    }
    return out;
  }
  return undefined;
}

function combine(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined, how: 'and' | 'or'): ReadonlySet<string> | undefined {
  if (how === 'and') {
    if (!a) return b;
    if (!b) return a;
    return new Set([...a].filter((x) => b.has(x)));
  }
  if (!a || !b) return undefined;
  return new Set([...a, ...b]);
}

/** Derives the verb and resource sets of a parsed CEL condition (cel-js AST). */
export function deriveMatch(ast: unknown): MatchSets {
  if (!isNode(ast)) return {};
  const args = Array.isArray(ast.args) ? ast.args : [];
  switch (ast.op) {
    case '&&':
    case '||': {
      const how = ast.op === '&&' ? 'and' : 'or';
      const l = deriveMatch(args[0]);
      const r = deriveMatch(args[1]);
      return { verbs: combine(l.verbs, r.verbs, how), resources: combine(l.resources, r.resources, how) };
    }
    case '==': {
      const [a, b] = args;
      const field = fieldOf(a) ?? fieldOf(b);
      const lits = fieldOf(a) ? literalsOf(b) : literalsOf(a);
      if (field && lits && lits.length === 1) return { [field]: new Set(lits) };
      return {};
    }
    case 'in': {
      const field = fieldOf(args[0]);
      const lits = literalsOf(args[1]);
      if (field && lits) return { [field]: new Set(lits) };
      return {};
    }
    default:
      return {};
  }
}

/**
 * Context fields that always hold a string (context.ts defaults them), so comparing them with a string literal
 * in JavaScript gives exactly CEL's answer.
 */
const STRING_FIELDS: Record<string, ReadonlySet<string> | true> = {
  verb: true,
  stage: true,
  level: true,
  auditID: true,
  requestURI: true,
  userAgent: true,
  decision: true,
  objectRef: new Set(['resource', 'subresource', 'namespace', 'name', 'apiGroup', 'apiVersion', 'uid', 'resourceVersion']),
  target: new Set(['resource', 'subresource', 'namespace', 'name', 'apiGroup', 'apiVersion', 'ref']),
  user: new Set(['username', 'uid']),
  impersonatedUser: new Set(['username', 'uid']),
};

/** A conjunct of a condition that a plain lookup decides: `field` must be one of `values`. */
export interface Guard {
  root: string;
  field?: string;
  values: ReadonlySet<string>;
}

function guardField(n: unknown): { root: string; field?: string } | undefined {
  if (!isNode(n)) return undefined;
  if (n.op === 'id' && typeof n.args === 'string' && STRING_FIELDS[n.args] === true) return { root: n.args };
  if (n.op === '.' && Array.isArray(n.args) && typeof n.args[1] === 'string') {
    const base = n.args[0];
    if (isNode(base) && base.op === 'id' && typeof base.args === 'string') {
      const fields = STRING_FIELDS[base.args];
      if (fields !== undefined && fields !== true && fields.has(n.args[1])) return { root: base.args, field: n.args[1] };
    }
  }
  return undefined;
}

/**
 * The conjuncts of a condition of the form `field == "literal"` or `field in ["a", "b"]` on always-string fields,
 * found through `&&` only. When one of them is false the whole condition is false, without error, whatever the
 * other conjuncts would do (CEL's `&&` absorbs errors when either side is false), so the engine may check them
 * first with a property read and skip the CEL evaluation.
 */
export function deriveGuards(ast: unknown): Guard[] {
  if (!isNode(ast)) return [];
  const args = Array.isArray(ast.args) ? ast.args : [];
  if (ast.op === '&&') return [...deriveGuards(args[0]), ...deriveGuards(args[1])];
  if (ast.op === '==') {
    const [a, b] = args;
    const f = guardField(a) ?? guardField(b);
    const lits = guardField(a) ? literalsOf(b) : literalsOf(a);
    if (f && lits && lits.length === 1 && isNode(guardField(a) ? b : a) && (guardField(a) ? (b as Node).op : (a as Node).op) === 'value') return [{ ...f, values: new Set(lits) }];
    return [];
  }
  if (ast.op === 'in') {
    const f = guardField(args[0]);
    const lits = literalsOf(args[1]);
    if (f && lits) return [{ ...f, values: new Set(lits) }];
  }
  return [];
}

/** A function that is false when any guard fails (then the condition is false too). */
export function compileGuards(guards: readonly Guard[]): ((ctx: Record<string, unknown>) => boolean) | undefined {
  if (guards.length === 0) return undefined;
  const checks = guards.map((g): ((ctx: Record<string, unknown>) => boolean) => {
    const read = contextReader(g.root);
    const { field, values } = g;
    return field === undefined ? (ctx) => values.has(read(ctx) as string) : (ctx) => values.has((read(ctx) as Record<string, unknown>)[field] as string);
  });
  if (checks.length === 1) return checks[0];
  return (ctx) => {
    for (let i = 0; i < checks.length; i++) if (!checks[i]!(ctx)) return false;
    return true;
  };
}

/** Fields whose value is always a string, a number or a list of strings in the context (see context.ts). */
const MEMO_FIELDS: Record<string, ReadonlySet<string> | true> = {
  ...STRING_FIELDS,
  sourceIPs: true,
  responseStatus: new Set(['code', 'reason', 'status', 'message']),
  user: new Set(['username', 'uid', 'groups']),
  impersonatedUser: new Set(['username', 'uid', 'groups']),
};

/**
 * The scalar inputs of a condition (`verb`, `user.username`, `sourceIPs`...), when it reads nothing else, so that
 * its result (or its error) is a function of those values alone and can be remembered for events that repeat them
 * (most traffic repeats the same few users, agents and addresses). `undefined` when the condition reads an object
 * as a whole or any other field. Comprehension variables are not context variables and are ignored.
 */
export function deriveMemoPaths(ast: unknown, roots: ReadonlySet<string>): Array<[string, string?]> | undefined {
  const paths = new Map<string, [string, string?]>();
  let ok = true;
  const visit = (n: unknown): void => {
    if (!ok) return;
    if (Array.isArray(n)) return n.forEach(visit);
    if (!isNode(n)) return;
    if (n.op === 'id' && typeof n.args === 'string') {
      if (!roots.has(n.args)) return;
      if (MEMO_FIELDS[n.args] === true) paths.set(n.args, [n.args]);
      else ok = false;
      return;
    }
    if (n.op === '.' && Array.isArray(n.args)) {
      const [base, field] = n.args as [unknown, unknown];
      if (isNode(base) && base.op === 'id' && typeof base.args === 'string' && roots.has(base.args)) {
        const fields = MEMO_FIELDS[base.args];
        if (fields !== undefined && fields !== true && typeof field === 'string' && fields.has(field)) paths.set(`${base.args}.${field}`, [base.args, field]);
        else ok = false;
        return;
      }
    }
    visit(n.args);
  };
  visit(ast);
  return ok && paths.size > 0 ? [...paths.values()] : undefined;
}

/** The memo key of an event for the paths of deriveMemoPaths. */
export function compileMemoKey(paths: ReadonlyArray<[string, string?]>): (ctx: Record<string, unknown>) => string {
  return (ctx) => {
    let key = '';
    for (const [root, field] of paths) {
      const v = field === undefined ? ctx[root] : (ctx[root] as Record<string, unknown>)[field];
      key += `${Array.isArray(v) ? v.join('\u0001') : String(v)}\u0000`;
    }
    return key;
  };
}

/**
 * The event fields the engine's prefilter keys on: read straight from the event, before any evaluation context
 * exists, and never missing in the context: the strings `verb`, `stage`, `objectRef.resource|subresource` (and the
 * same two of `target`, which copies them) and the number `responseStatus.code`.
 */
export interface PrefilterKey {
  verb: string;
  stage: string;
  resource: string;
  subresource: string;
  /** `responseStatus.code` (0 when absent, as in the context). */
  code: number;
}

/** True when the node reads `responseStatus.code`. */
function isCode(n: unknown): boolean {
  if (!isNode(n) || n.op !== '.' || !Array.isArray(n.args) || n.args[1] !== 'code') return false;
  const base = n.args[0];
  return isNode(base) && base.op === 'id' && base.args === 'responseStatus';
}

/** An integer literal (cel-js gives ints as bigints, doubles as numbers) as a number, when it is one exactly. */
function intLiteral(n: unknown): number | undefined {
  if (!isNode(n) || n.op !== 'value') return undefined;
  const v = n.args;
  if (typeof v === 'bigint') return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** `responseStatus.code <op> literal` (either side) for the key's code, or undefined when the node is not that. */
function decideCode(op: string, a: unknown, b: unknown, code: number): boolean | undefined {
  let lit: number | undefined;
  let o = op;
  if (isCode(a)) lit = intLiteral(b);
  else if (isCode(b)) {
    lit = intLiteral(a);
    // Mirror the comparison so that the code is on the left.
    o = op === '<' ? '>' : op === '>' ? '<' : op === '<=' ? '>=' : op === '>=' ? '<=' : op;
  }
  if (lit === undefined) return undefined;
  switch (o) {
    case '==':
      return code === lit;
    case '!=':
      return code !== lit;
    case '<':
      return code < lit;
    case '<=':
      return code <= lit;
    case '>':
      return code > lit;
    case '>=':
      return code >= lit;
  }
  return undefined;
}

/** The value of a prefilter field that a node reads, or undefined when the node is not such a field. */
function keyField(n: unknown, k: PrefilterKey): string | undefined {
  if (!isNode(n)) return undefined;
  if (n.op === 'id') return n.args === 'verb' ? k.verb : n.args === 'stage' ? k.stage : undefined;
  if (n.op === '.' && Array.isArray(n.args)) {
    const base = n.args[0];
    if (!isNode(base) || base.op !== 'id' || (base.args !== 'objectRef' && base.args !== 'target')) return undefined;
    return n.args[1] === 'resource' ? k.resource : n.args[1] === 'subresource' ? k.subresource : undefined;
  }
  return undefined;
}

/** True when the path is a prefilter field (its value is fixed for all events of one prefilter key). */
export function isPrefilterPath(root: string, field?: string): boolean {
  if (field === undefined) return root === 'verb' || root === 'stage';
  if (root === 'responseStatus') return field === 'code';
  return (root === 'objectRef' || root === 'target') && (field === 'resource' || field === 'subresource');
}

/**
 * What a condition is for every event with the given prefilter fields, as far as those fields alone decide it:
 * `false` or `true` when it evaluates to that without error whatever the rest of the event holds, `undefined` when
 * the rest matters. Only comparisons of a prefilter field with literals (strings; integers for the status code) are
 * decided, and `&&`, `||`, `!`
 * combine them the way CEL does (a false side makes `&&` false even when the other side would be an error), so a
 * rule whose condition is `false` here can be skipped for those events without changing any result or error count.
 */
export function decideByKey(ast: unknown, k: PrefilterKey): boolean | undefined {
  if (!isNode(ast)) return undefined;
  const args = Array.isArray(ast.args) ? ast.args : [];
  switch (ast.op) {
    case '&&': {
      const l = decideByKey(args[0], k);
      if (l === false) return false;
      const r = decideByKey(args[1], k);
      if (r === false) return false;
      return l === true && r === true ? true : undefined;
    }
    case '||': {
      const l = decideByKey(args[0], k);
      if (l === true) return true;
      const r = decideByKey(args[1], k);
      if (r === true) return true;
      return l === false && r === false ? false : undefined;
    }
    case '!_': {
      const v = decideByKey(ast.args, k);
      return v === undefined ? undefined : !v;
    }
    case '<':
    case '<=':
    case '>':
    case '>=':
      return decideCode(ast.op, args[0], args[1], k.code);
    case '==':
    case '!=': {
      const [a, b] = args;
      const byCode = decideCode(ast.op, a, b, k.code);
      if (byCode !== undefined) return byCode;
      const fa = keyField(a, k);
      const fb = keyField(b, k);
      const field = fa ?? fb;
      const lit = fa !== undefined ? b : a;
      if (field === undefined || !isNode(lit) || lit.op !== 'value' || typeof lit.args !== 'string') return undefined;
      return (field === lit.args) === (ast.op === '==');
    }
    case 'in': {
      const field = keyField(args[0], k);
      const list = args[1];
      if (field === undefined || !isNode(list) || list.op !== 'list' || !Array.isArray(list.args)) return undefined;
      // A string equals only a string literal; literals of other kinds are simply never equal (no error).
      for (const e of list.args) if (!isNode(e) || e.op !== 'value' || (e.args !== null && typeof e.args === 'object')) return undefined;
      return (list.args as Node[]).some((e) => e.args === field);
    }
    default:
      return undefined;
  }
}

/**
 * The memo key of an event for the paths of deriveMemoPaths that the prefilter key does not fix, or `undefined`
 * when the values cannot be keyed without ambiguity (then the condition is simply evaluated). A single string value
 * is its own key, without building a new string.
 */
export function compileResidualMemoKey(paths: ReadonlyArray<[string, string?]>): (ctx: Record<string, unknown>) => string | undefined {
  const rest = paths.filter(([root, field]) => !isPrefilterPath(root, field));
  if (rest.length === 0) return () => '';
  const readers = rest.map(([root, field]): ((ctx: Record<string, unknown>) => unknown) => {
    const r = contextReader(root);
    return field === undefined ? r : (ctx) => (r(ctx) as Record<string, unknown>)[field];
  });
  if (readers.length === 1) {
    const read = readers[0]!;
    return (ctx) => {
      const v = read(ctx);
      if (typeof v === 'string') return v;
      if (Array.isArray(v)) return v.length === 1 && typeof v[0] === 'string' ? (v[0] as string) : undefined;
      return typeof v === 'number' ? String(v) : undefined;
    };
  }
  return (ctx) => {
    let key = '';
    for (let p = 0; p < readers.length; p++) {
      const v = readers[p]!(ctx);
      if (typeof v === 'string') {
        if (v.includes('\u0000')) return undefined;
        key += v;
      } else if (typeof v === 'number') key += String(v);
      else if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const x = v[i] as unknown;
          if (typeof x !== 'string' || x.includes('\u0000') || x.includes('\u0001')) return undefined;
          key += i === 0 ? x : `\u0001${x}`;
        }
        key += `\u0001${v.length}`;
      } else return undefined;
      key += '\u0000';
    }
    return key;
  };
}

/**
 * The condition with the parts the prefilter key decides taken out: `A && B` where A is true for the key becomes B,
 * `A || B` where A is false becomes B (and so on down the tree), the value CEL gives being the same: `true && B` is
 * B, its errors included. The same node when nothing is decided. A result that is not a bool must still be judged
 * by the whole expression (`true && 1` is an error, `1` is not), which the caller does.
 */
export function residualByKey(ast: unknown, k: PrefilterKey): unknown {
  if (!isNode(ast) || (ast.op !== '&&' && ast.op !== '||') || !Array.isArray(ast.args)) return ast;
  const [a, b] = ast.args as [unknown, unknown];
  const neutral = ast.op === '&&';
  if (decideByKey(a, k) === neutral) return residualByKey(b, k);
  if (decideByKey(b, k) === neutral) return residualByKey(a, k);
  const ra = residualByKey(a, k);
  const rb = residualByKey(b, k);
  if (ra === a && rb === b) return ast;
  const made = { op: ast.op, args: [ra, rb] };
  madeNodes.add(made);
  return made;
}

/** Nodes residualByKey built (the others are nodes of the condition itself). */
const madeNodes = new WeakSet<object>();
const nodeIds = new WeakMap<object, number>();
let nextNodeId = 0;

/**
 * A text that is the same for two residuals of one condition exactly when they are the same expression, so that
 * keys leaving the same residual share one compiled predicate.
 */
export function residualSignature(n: unknown): string {
  if (typeof n !== 'object' || n === null) return String(n);
  if (madeNodes.has(n)) {
    const m = n as Node;
    return `(${m.op} ${(m.args as unknown[]).map(residualSignature).join(' ')})`;
  }
  let id = nodeIds.get(n);
  if (id === undefined) nodeIds.set(n, (id = nextNodeId++));
  return `#${id}`;
}
