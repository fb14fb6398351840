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
