/**
 * Textual expansion of list and macro names inside CEL text, the way Falco expands its own: a list name
 * becomes a list literal, a macro name becomes its (expanded) condition in parentheses. String literals,
 * member names (`.name`) and function names are left alone.
 */

/** Reserved words and CEL's own names, which lists and macros may not shadow. */
export const CEL_RESERVED = new Set([
  'true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while',
  'has', 'size', 'int', 'uint', 'double', 'string', 'bytes', 'bool', 'list', 'map', 'type', 'dyn', 'duration', 'timestamp', 'matches', 'cel', 'optional', 'null_type',
]);

export interface Token {
  kind: 'ident' | 'string' | 'other';
  text: string;
  start: number;
}

/** Splits CEL text into identifiers, string literals (with their quotes and prefixes) and everything else. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let other = '';
  let otherStart = 0;
  const flush = () => {
    if (other !== '') out.push({ kind: 'other', text: other, start: otherStart });
    other = '';
  };
  while (i < src.length) {
    const c = src[i]!;
    const prefix = /^[rRbB]{1,2}(?=['"])/.exec(src.slice(i, i + 3));
    if (c === '"' || c === "'" || prefix) {
      flush();
      const start = i;
      const raw = prefix ? /r/i.test(prefix[0]) : false;
      if (prefix) i += prefix[0].length;
      const q = src[i]!;
      const triple = src.startsWith(q.repeat(3), i);
      const close = triple ? q.repeat(3) : q;
      i += close.length;
      while (i < src.length && !src.startsWith(close, i)) i += !raw && src[i] === '\\' ? 2 : 1;
      i = Math.min(src.length, i + close.length);
      out.push({ kind: 'string', text: src.slice(start, i), start });
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      flush();
      const start = i;
      while (i < src.length && /[A-Za-z0-9_]/.test(src[i]!)) i++;
      out.push({ kind: 'ident', text: src.slice(start, i), start });
      continue;
    }
    if (other === '') otherStart = i;
    other += c;
    i++;
  }
  flush();
  return out;
}

/** The identifier tokens that name something of the expression's scope (not members, not function names). */
export function freeIdentifiers(tokens: readonly Token[]): Array<{ index: number; name: string }> {
  const out: Array<{ index: number; name: string }> = [];
  tokens.forEach((t, index) => {
    if (t.kind !== 'ident') return;
    const prev = tokens[index - 1];
    if (prev && prev.kind === 'other' && /\.\??\s*$/.test(prev.text)) return;
    const next = tokens[index + 1];
    if (next && next.kind === 'other' && /^\s*\(/.test(next.text)) return;
    out.push({ index, name: t.text });
  });
  return out;
}

/** Names bound by comprehensions (`x.exists(c, ...)`) and cel.bind: they must not reuse a list or macro name. */
export function boundVariables(src: string): string[] {
  const out: string[] = [];
  for (const m of src.matchAll(/\.\s*(?:all|exists|exists_one|map|filter|bind)\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,(?:\s*([A-Za-z_][A-Za-z0-9_]*)\s*,)?/g)) {
    out.push(m[1]!);
  }
  return out;
}

/** A CEL list literal of strings (JSON string escapes are valid CEL escapes). */
export function listLiteral(items: readonly string[]): string {
  return `[${items.map((s) => JSON.stringify(s)).join(', ')}]`;
}

export interface ExpandScope {
  lists: ReadonlyMap<string, readonly string[]>;
  macros: ReadonlyMap<string, string>;
}

/** Thrown for a macro cycle or a shadowed name; the caller adds the rule and file. */
export class ExpansionError extends Error {}

/** Expands every list and macro name of `src`; `stack` detects macro cycles. */
export function expand(src: string, scope: ExpandScope, stack: readonly string[] = []): string {
  for (const v of boundVariables(src)) {
    if (scope.lists.has(v) || scope.macros.has(v)) throw new ExpansionError(`comprehension variable "${v}" has the name of a ${scope.lists.has(v) ? 'list' : 'macro'}; rename the variable`);
  }
  const tokens = tokenize(src);
  const replaced = new Map<number, string>();
  for (const { index, name } of freeIdentifiers(tokens)) {
    const items = scope.lists.get(name);
    if (items) {
      replaced.set(index, listLiteral(items));
      continue;
    }
    const macro = scope.macros.get(name);
    if (macro !== undefined) {
      if (stack.includes(name)) throw new ExpansionError(`macro cycle: ${[...stack, name].join(' -> ')}`);
      replaced.set(index, `(${expand(macro, scope, [...stack, name])})`);
    }
  }
  return tokens.map((t, i) => replaced.get(i) ?? t.text).join('');
}
