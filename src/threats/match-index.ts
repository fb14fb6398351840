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
  return (ctx) => {
    for (const g of guards) {
      const v = g.field === undefined ? ctx[g.root] : (ctx[g.root] as Record<string, unknown>)[g.field];
      if (!g.values.has(v as string)) return false;
    }
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
