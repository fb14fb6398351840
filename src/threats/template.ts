/**
 * Output templates: `{user.username} exec'd into {target.namespace}/{target.name}`. A placeholder is a path
 * into the rule context: dotted names, `[0]` indexes and `["key.with.dots"]` keys. A missing value renders as
 * `<none>`, a list as its items joined by ", ", an object as compact JSON. `{{` and `}}` are literal braces.
 */

type Segment = string | number;

export interface CompiledTemplate {
  source: string;
  /** The placeholders' paths, for validation and docs. */
  paths: Segment[][];
  render(ctx: Record<string, unknown>): string;
}

const MAX_VALUE_CHARS = 300;

/** Parses one placeholder path; throws with a message on a malformed one. */
export function parsePath(text: string): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  const s = text.trim();
  const ident = () => {
    const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(s.slice(i));
    if (!m) throw new Error(`expected a name at "${s.slice(i)}" in {${text}}`);
    out.push(m[0]);
    i += m[0].length;
  };
  ident();
  while (i < s.length) {
    if (s[i] === '.') {
      i++;
      ident();
    } else if (s[i] === '[') {
      const m = /^\[\s*(?:(\d+)|"([^"]*)"|'([^']*)')\s*\]/.exec(s.slice(i));
      if (!m) throw new Error(`malformed index at "${s.slice(i)}" in {${text}}`);
      out.push(m[1] !== undefined ? Number(m[1]) : (m[2] ?? m[3])!);
      i += m[0].length;
    } else throw new Error(`unexpected "${s[i]}" in {${text}}`);
  }
  return out;
}

function lookup(ctx: unknown, path: readonly Segment[]): unknown {
  let v: unknown = ctx;
  for (const seg of path) {
    if (v === null || v === undefined) return undefined;
    if (typeof seg === 'number') v = Array.isArray(v) ? v[seg] : undefined;
    else v = typeof v === 'object' ? (v as Record<string, unknown>)[seg] : undefined;
  }
  return v;
}

function show(v: unknown): string {
  if (v === undefined || v === null || v === '') return '<none>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return v.length === 0 ? '<none>' : v.map((x) => (typeof x === 'object' && x !== null ? JSON.stringify(x) : String(x))).join(', ');
  const s = JSON.stringify(v);
  return s.length > MAX_VALUE_CHARS ? `${s.slice(0, MAX_VALUE_CHARS)}...` : s;
}

/** Compiles a template; `roots` are the names a path may start with. Throws on an unknown root or bad syntax. */
export function compileTemplate(source: string, roots: ReadonlySet<string>): CompiledTemplate {
  const parts: Array<string | Segment[]> = [];
  let text = '';
  let i = 0;
  while (i < source.length) {
    if (source.startsWith('{{', i) || source.startsWith('}}', i)) {
      text += source[i];
      i += 2;
      continue;
    }
    if (source[i] === '{') {
      const end = source.indexOf('}', i);
      if (end === -1) throw new Error(`unclosed "{" at ${i + 1}`);
      const path = parsePath(source.slice(i + 1, end));
      if (!roots.has(path[0] as string)) throw new Error(`{${source.slice(i + 1, end)}}: "${String(path[0])}" is not a context variable (${[...roots].join(', ')})`);
      if (text !== '') parts.push(text);
      text = '';
      parts.push(path);
      i = end + 1;
      continue;
    }
    if (source[i] === '}') throw new Error(`unmatched "}" at ${i + 1} (write }} for a literal brace)`);
    text += source[i];
    i++;
  }
  if (text !== '') parts.push(text);
  const paths = parts.filter((p): p is Segment[] => Array.isArray(p));
  return {
    source,
    paths,
    render: (ctx) => {
      let out = '';
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i]!;
        out += typeof p === 'string' ? p : show(lookup(ctx, p));
      }
      return out;
    },
  };
}
