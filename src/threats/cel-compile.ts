import { CONTEXT_VARIABLES, contextReader, imageRepository } from './context.js';
import { ipInRanges } from './ip.js';
import { celJson, celStrings } from './cel.js';

/**
 * Compiles a checked CEL AST (as @marcbachmann/cel-js parses it) to plain JavaScript closures, for the subset the
 * rule conditions use. The compiled code only handles the values whose result it knows for sure (strings, ints,
 * doubles, booleans, null, JSON objects and arrays, present fields). Anything else it meets while evaluating (a
 * missing field, a value of an unexpected type, anything that would be a CEL error) makes it give up on that one
 * evaluation, and the caller evaluates the same expression with cel-js instead, so results and errors stay exactly
 * cel-js's. Where CEL absorbs errors (`&&`, `||`, `exists`, `all`), the compiled code absorbs a give-up the same
 * way: `x.missing == 1 && false` is false without asking cel-js.
 */

/** Thrown by compiled code when it cannot decide an evaluation itself. */
const BAIL: unique symbol = Symbol('bail');
/** The empty optional, inside compiled `.?` chains. */
const NONE: unique symbol = Symbol('none');

/** An expression outside the compiled subset: the whole expression stays with cel-js. */
export class UnsupportedCel extends Error {}

type Locals = unknown[];
type Fn = (ctx: Record<string, unknown>, l: Locals) => unknown;

interface Node {
  op: string;
  args: unknown;
}

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && typeof (v as Node).op === 'string' && 'args' in (v as object);
const hasOwn = Object.prototype.hasOwnProperty;

function isPlain(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const c = (v as object).constructor;
  return c === Object || c === undefined;
}

/** A value cel-js accepts as it is (its debugType knows it). */
function known(v: unknown): unknown {
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
      return v;
    case 'object':
      if (v === null || Array.isArray(v) || isPlain(v)) return v;
  }
  throw BAIL;
}

function field(o: unknown, key: string): unknown {
  if (!isPlain(o) || !hasOwn.call(o, key)) throw BAIL;
  const v = o[key];
  if (v === undefined) throw BAIL;
  return known(v);
}

type Kind = 0 | 1 | 2 | 3; // string, numeric, bool, null
function kind(v: unknown): Kind {
  switch (typeof v) {
    case 'string':
      return 0;
    case 'number':
    case 'bigint':
      return 1;
    case 'boolean':
      return 2;
    default:
      if (v === null) return 3;
      throw BAIL;
  }
}

function numEq(a: number | bigint, b: number | bigint): boolean {
  if (typeof a === typeof b) return a === b;
  const big = (typeof a === 'bigint' ? a : b) as bigint;
  const num = (typeof a === 'bigint' ? b : a) as number;
  if (big > 9007199254740991n || big < -9007199254740991n) throw BAIL;
  return Number(big) === num;
}

function eq(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  const ka = kind(a);
  const kb = kind(b);
  if (ka !== kb) return false;
  if (ka === 1) return numEq(a as number | bigint, b as number | bigint);
  return a === b;
}

function cmp(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const ta = typeof a;
  const tb = typeof b;
  if ((ta === 'number' || ta === 'bigint') && (tb === 'number' || tb === 'bigint')) {
    if (ta === tb) return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : (a as number) === (b as number) ? 0 : NaN;
    const big = (ta === 'bigint' ? a : b) as bigint;
    if (big > 9007199254740991n || big < -9007199254740991n) throw BAIL;
    const x = Number(a);
    const y = Number(b);
    return x < y ? -1 : x > y ? 1 : x === y ? 0 : NaN;
  }
  throw BAIL;
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
function add(a: unknown, b: unknown): unknown {
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === 0 ? b : b.length === 0 ? a : [...a, ...b];
  if (typeof a === 'bigint' && typeof b === 'bigint') {
    const r = a + b;
    if (r > INT64_MAX || r < INT64_MIN) throw BAIL;
    return r;
  }
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  throw BAIL;
}

function inList(v: unknown, list: unknown): boolean {
  if (Array.isArray(list)) {
    for (const x of list) if (eq(v, x)) return true;
    return false;
  }
  if (isPlain(list) && typeof v === 'string') return hasOwn.call(list, v);
  throw BAIL;
}

const str = (v: unknown): string => {
  if (typeof v !== 'string') throw BAIL;
  return v;
};
const list = (v: unknown): unknown[] => {
  if (!Array.isArray(v)) throw BAIL;
  return v;
};
const bool = (v: unknown): boolean => {
  if (typeof v !== 'boolean') throw BAIL;
  return v;
};

function size(v: unknown): bigint {
  if (typeof v === 'string') {
    let n = 0;
    for (const _ of v) n++;
    return BigInt(n);
  }
  if (Array.isArray(v)) return BigInt(v.length);
  if (isPlain(v)) return BigInt(Object.keys(v).length);
  throw BAIL;
}

function toStr(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'boolean':
    case 'bigint':
      return `${v}`;
    case 'number':
      return v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : `${v}`;
  }
  throw BAIL;
}

const regexps = new Map<string, RegExp | null>();
function matches(s: string, pattern: string): boolean {
  let re = regexps.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(pattern);
    } catch {
      re = null;
    }
    regexps.set(pattern, re);
  }
  if (re === null) throw BAIL;
  return re.test(s);
}

/** Runs `f`, turning a give-up into BAIL as a value (for the error-absorbing operators). */
function attempt(f: Fn, c: Record<string, unknown>, l: Locals): unknown {
  try {
    return f(c, l);
  } catch (e) {
    if (e === BAIL) return BAIL;
    throw e;
  }
}

const NO_ARGS: unknown[] = [];
/** The strings of a list; remembered for the constant lists of the rules, which are the same array every time. */
const stringsOf = new WeakMap<unknown[], string[]>();
function strs(v: unknown): string[] {
  const l = list(v);
  let out = stringsOf.get(l);
  if (!out) {
    out = celStrings(l);
    if (Object.isFrozen(l)) stringsOf.set(l, out);
  }
  return out;
}

type Impl = (args: unknown[]) => unknown;
const GLOBALS: Record<string, { arity: number; impl: Impl }> = {
  size: { arity: 1, impl: (a) => size(a[0]) },
  string: { arity: 1, impl: (a) => toStr(a[0]) },
  ipInRanges: { arity: 2, impl: (a) => ipInRanges(str(a[0]), list(a[1])) },
  containsAny: { arity: 2, impl: (a) => { const s = str(a[0]); return strs(a[1]).some((x) => s.includes(x)); } },
  startsWithAny: { arity: 2, impl: (a) => { const s = str(a[0]); return strs(a[1]).some((x) => s.startsWith(x)); } },
  endsWithAny: { arity: 2, impl: (a) => { const s = str(a[0]); return strs(a[1]).some((x) => s.endsWith(x)); } },
  imageRepository: { arity: 1, impl: (a) => imageRepository(str(a[0])) },
  toJson: { arity: 1, impl: (a) => celJson(a[0]) },
};
const METHODS: Record<string, { arity: number; impl: (r: unknown, a: unknown[]) => unknown }> = {
  startsWith: { arity: 1, impl: (r, a) => str(r).startsWith(str(a[0])) },
  endsWith: { arity: 1, impl: (r, a) => str(r).endsWith(str(a[0])) },
  contains: { arity: 1, impl: (r, a) => str(r).includes(str(a[0])) },
  lowerAscii: { arity: 0, impl: (r) => str(r).toLowerCase() },
  matches: { arity: 1, impl: (r, a) => matches(str(r), str(a[0])) },
  size: { arity: 0, impl: (r) => size(r) },
};

const VARIABLE_TYPES: Record<string, string> = CONTEXT_VARIABLES;

function variable(name: string): Fn {
  const read = contextReader(name);
  switch (VARIABLE_TYPES[name]) {
    case 'string':
      return (c) => str(read(c));
    case 'list':
      return (c) => list(read(c));
    case 'map':
      return (c) => {
        const v = read(c);
        if (!isPlain(v)) throw BAIL;
        return v;
      };
  }
  throw new UnsupportedCel(`variable ${name}`);
}

function iterItems(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isPlain(v)) return Object.keys(v);
  throw BAIL;
}

class Compiler {
  slots = 0;
  scope = new Map<string, number>();

  node(n: unknown): Fn {
    if (!isNode(n)) throw new UnsupportedCel('not a node');
    const a = n.args as unknown[];
    switch (n.op) {
      case 'value': {
        const v = n.args;
        if (v !== null && typeof v === 'object') throw new UnsupportedCel('literal type');
        return () => v;
      }
      case 'id': {
        const name = n.args as string;
        const slot = this.scope.get(name);
        if (slot !== undefined) return (_c, l) => l[slot];
        return variable(name);
      }
      case 'list': {
        if (a.every((x) => isNode(x) && x.op === 'value' && (x.args === null || typeof x.args !== 'object'))) {
          const values = Object.freeze(a.map((x) => (x as Node).args));
          return () => values;
        }
        const items = a.map((x) => this.node(x));
        return (c, l) => items.map((f) => f(c, l));
      }
      case 'map':
        if (a.length !== 0) throw new UnsupportedCel('map literal');
        return () => ({});
      case '.': {
        const left = this.node(a[0]);
        const key = a[1] as string;
        return (c, l) => field(left(c, l), key);
      }
      case '[]': {
        const left = this.node(a[0]);
        const index = this.node(a[1]);
        return (c, l) => {
          const o = left(c, l);
          const i = index(c, l);
          if (Array.isArray(o)) {
            if (typeof i !== 'bigint' || i < 0n || i >= BigInt(o.length)) throw BAIL;
            return known(o[Number(i)]);
          }
          if (typeof i !== 'string') throw BAIL;
          return field(o, i);
        };
      }
      case '!_': {
        const arg = this.node(n.args);
        return (c, l) => !bool(arg(c, l));
      }
      case '&&':
      case '||':
        return this.logical(n.op === '&&', this.node(a[0]), this.node(a[1]));
      case '?:': {
        const [cond, yes, no] = a.map((x) => this.node(x)) as [Fn, Fn, Fn];
        return (c, l) => (bool(cond(c, l)) ? yes(c, l) : no(c, l));
      }
      case '==':
      case '!=': {
        const [x, y] = a.map((v) => this.node(v)) as [Fn, Fn];
        return n.op === '==' ? (c, l) => eq(x(c, l), y(c, l)) : (c, l) => !eq(x(c, l), y(c, l));
      }
      case '<':
      case '<=':
      case '>':
      case '>=': {
        const [x, y] = a.map((v) => this.node(v)) as [Fn, Fn];
        switch (n.op) {
          case '<':
            return (c, l) => cmp(x(c, l), y(c, l)) < 0;
          case '<=':
            return (c, l) => cmp(x(c, l), y(c, l)) <= 0;
          case '>':
            return (c, l) => cmp(x(c, l), y(c, l)) > 0;
          default:
            return (c, l) => cmp(x(c, l), y(c, l)) >= 0;
        }
      }
      case '+': {
        const [x, y] = a.map((v) => this.node(v)) as [Fn, Fn];
        return (c, l) => add(x(c, l), y(c, l));
      }
      case 'in': {
        const [x, y] = a.map((v) => this.node(v)) as [Fn, Fn];
        const right = a[1];
        if (isNode(right) && right.op === 'list' && (right.args as unknown[]).every((e) => isNode(e) && e.op === 'value' && (e.args === null || typeof e.args !== 'object'))) {
          // A constant list: a string is in it when one of its strings is that string (other kinds never equal one).
          const strings = new Set((right.args as Node[]).map((e) => e.args).filter((v): v is string => typeof v === 'string'));
          const values = y({}, []);
          return (c, l) => {
            const v = x(c, l);
            return typeof v === 'string' ? strings.has(v) : inList(v, values);
          };
        }
        return (c, l) => inList(x(c, l), y(c, l));
      }
      case 'call':
        return this.call(a[0] as string, a[1] as unknown[]);
      case 'rcall':
        return this.rcall(a[0] as string, a[1], a[2] as unknown[]);
    }
    throw new UnsupportedCel(`operator ${n.op}`);
  }

  logical(and: boolean, left: Fn, right: Fn): Fn {
    // cel-js: a decided left side wins; otherwise a decided right side wins; otherwise both must be bools.
    const stop = !and;
    return (c, l) => {
      const x = attempt(left, c, l);
      if (x === stop) return stop;
      if (x === !stop) return bool(right(c, l));
      const y = attempt(right, c, l);
      if (y === stop) return stop;
      throw BAIL;
    };
  }

  call(name: string, args: unknown[]): Fn {
    if (name === 'has') return this.has(args);
    const g = GLOBALS[name];
    if (!g || g.arity !== args.length) throw new UnsupportedCel(`function ${name}`);
    const fs = args.map((x) => this.node(x));
    const impl = g.impl;
    if (fs.length === 1) {
      const [f] = fs as [Fn];
      return (c, l) => impl([f(c, l)]);
    }
    if (fs.length === 2) {
      const [f, h] = fs as [Fn, Fn];
      return (c, l) => impl([f(c, l), h(c, l)]);
    }
    return (c, l) => impl(fs.map((f) => f(c, l)));
  }

  has(args: unknown[]): Fn {
    if (args.length !== 1) throw new UnsupportedCel('has');
    const keys: string[] = [];
    let n = args[0];
    while (isNode(n) && n.op === '.') {
      keys.unshift((n.args as unknown[])[1] as string);
      n = (n.args as unknown[])[0];
    }
    if (!isNode(n) || n.op !== 'id' || keys.length === 0) throw new UnsupportedCel('has argument');
    const base = this.node(n);
    return (c, l) => {
      let o = base(c, l);
      for (let i = 0; i < keys.length; i++) {
        if (!isPlain(o)) throw BAIL;
        const v = hasOwn.call(o, keys[i]!) ? o[keys[i]!] : undefined;
        if (v === undefined) {
          if (i < keys.length - 1) throw BAIL;
          return false;
        }
        o = v;
      }
      return true;
    };
  }

  /** `x.?a.?b` as a value or NONE; the base before the first `.?` is an ordinary expression. */
  optional(n: unknown): Fn {
    if (!isNode(n) || n.op !== '.?') throw new UnsupportedCel('optional value');
    const a = n.args as unknown[];
    const key = a[1] as string;
    const leftNode = a[0];
    const left = isNode(leftNode) && leftNode.op === '.?' ? this.optional(leftNode) : this.node(leftNode);
    return (c, l) => {
      const o = left(c, l);
      if (o === NONE || o === null) return NONE;
      if (!isPlain(o)) throw BAIL;
      const v = hasOwn.call(o, key) ? o[key] : undefined;
      return v === undefined ? NONE : known(v);
    };
  }

  rcall(name: string, receiver: unknown, args: unknown[]): Fn {
    if (name === 'orValue') {
      if (args.length !== 1) throw new UnsupportedCel('orValue');
      const opt = this.optional(receiver);
      const dflt = this.node(args[0]);
      return (c, l) => {
        const v = opt(c, l);
        return v === NONE ? dflt(c, l) : v;
      };
    }
    if (['exists', 'all', 'exists_one', 'map', 'filter'].includes(name)) return this.macro(name, receiver, args);
    const m = METHODS[name];
    if (!m || m.arity !== args.length) throw new UnsupportedCel(`method ${name}`);
    const recv = this.node(receiver);
    const fs = args.map((x) => this.node(x));
    const impl = m.impl;
    if (fs.length === 0) return (c, l) => impl(recv(c, l), NO_ARGS);
    if (fs.length === 1) {
      const [f] = fs as [Fn];
      return (c, l) => {
        const r = recv(c, l);
        return impl(r, [f(c, l)]);
      };
    }
    return (c, l) => {
      const r = recv(c, l);
      return impl(r, fs.map((f) => f(c, l)));
    };
  }

  macro(name: string, receiver: unknown, args: unknown[]): Fn {
    if (args.length !== 2) throw new UnsupportedCel(`${name} with ${args.length} arguments`);
    const v = args[0];
    if (!isNode(v) || v.op !== 'id') throw new UnsupportedCel('macro variable');
    const range = this.node(receiver);
    const slot = this.slots++;
    const saved = this.scope.get(v.args as string);
    this.scope.set(v.args as string, slot);
    const body = this.node(args[1]);
    if (saved === undefined) this.scope.delete(v.args as string);
    else this.scope.set(v.args as string, saved);
    switch (name) {
      case 'exists':
      case 'all': {
        const want = name === 'exists';
        return (c, l) => {
          const items = iterItems(range(c, l));
          let failed = false;
          for (const item of items) {
            l[slot] = known(item);
            const r = attempt(body, c, l);
            if (r === want) return want;
            if (r !== !want) failed = true;
          }
          if (failed) throw BAIL;
          return !want;
        };
      }
      case 'exists_one':
        return (c, l) => {
          let n = 0;
          for (const item of iterItems(range(c, l))) {
            l[slot] = known(item);
            if (bool(body(c, l))) n++;
          }
          return n === 1;
        };
      case 'map':
        return (c, l) =>
          iterItems(range(c, l)).map((item) => {
            l[slot] = known(item);
            return body(c, l);
          });
      default:
        return (c, l) =>
          iterItems(range(c, l)).filter((item) => {
            l[slot] = known(item);
            return bool(body(c, l));
          });
    }
  }
}

/**
 * Compiles a checked CEL AST to a predicate that gives cel-js's result, calling `fallback` (the cel-js evaluation of
 * the same expression) for any evaluation the compiled code cannot decide. Throws UnsupportedCel when the
 * expression uses anything outside the compiled subset.
 */
export function compileCel<T extends (ctx: Record<string, unknown>) => unknown>(ast: unknown, fallback: T): T {
  const compiler = new Compiler();
  const fn = compiler.node(ast);
  const slots = compiler.slots;
  const run = (ctx: Record<string, unknown>): unknown => {
    try {
      return fn(ctx, slots > 0 ? new Array<unknown>(slots) : []);
    } catch (e) {
      if (e === BAIL) return fallback(ctx);
      throw e;
    }
  };
  return run as T;
}
