import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import jsYaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { parseFastYaml, UNSUPPORTED } from './fast-yaml.js';
import { plainScalar, splitDocuments } from './parse.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CORPUS = join(root, '..', 'shared', 'corpus');

/** js-yaml's answer with its default schema: the value, or the error. */
function reference(text: string): { value: unknown } | { error: string } {
  try {
    return { value: jsYaml.load(text) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Equal values, with keys in the same order at every level. */
function same(a: unknown, b: unknown): boolean {
  if (!isDeepStrictEqual(a, b)) return false;
  if (a === null || typeof a !== 'object' || a instanceof Date) return true;
  if (Array.isArray(a)) return a.every((x, i) => same(x, (b as unknown[])[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The fast path either leaves the document to js-yaml or builds exactly what js-yaml builds. */
function check(text: string): 'fast' | 'fallback' {
  const fast = parseFastYaml(text, plainScalar, 100);
  if (fast === UNSUPPORTED) return 'fallback';
  const ref = reference(text);
  expect(ref, `js-yaml rejects what the fast path accepted:\n${text}`).toHaveProperty('value');
  expect(same(fast, (ref as { value: unknown }).value), `different value for:\n${text}\nfast: ${JSON.stringify(fast)}\njs-yaml: ${JSON.stringify((ref as { value: unknown }).value)}`).toBe(true);
  return 'fast';
}

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) yamlFiles(p, out);
    else if (/\.ya?ml$/.test(e)) out.push(p);
  }
  return out;
}

describe('parseFastYaml', () => {
  it('builds what js-yaml builds for manifest-shaped YAML', () => {
    const cases = [
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n    app: web\n',
      // kubectl's sequences at their key's indent, and indented ones
      'spec:\n  containers:\n  - name: a\n    image: a:1\n    args:\n    - --x\n    - "--y"\n  - name: b\n',
      'spec:\n  containers:\n    -   name: a\n        ports:\n          - containerPort: 80\n            protocol: TCP\n',
      // typed scalars, in values and in keys
      'a: 1\nb: -2\nc: 0x1F\nd: 1.5\ne: .inf\nf: true\ng: False\nh: ~\ni: null\nj: 2024-01-02\nk: 2024-01-02T03:04:05Z\nl: 08\nm: 1e3\n',
      '1: one\ntrue: yes\nnull: x\n2024-01-02: date\n0x10: hex\n',
      // quotes, comments, empty collections
      "a: 'it''s'\nb: \"x: y # z\"   # comment\nc: []\nd: {}\ne: # nothing\nf:\n# between\ng: h#i\n",
      'a: [get, list, "watch", \'x\', 1, true]\nb: [ ]\nc: ["*"]\n',
      // literal block scalars and their chomping
      'a: |\n  line 1\n\n  line 3\n\nb: |-\n  x\n    y\nc: |+\n  k\n\n\nd: 1\n',
      'data:\n  conf: |\n    # not a comment\n    key = value\n  other: x\n',
      '- |\n  a\n- b\n- \n- - c\n',
      'a:\n  - x\n  -\n    b: 1\n',
    ];
    for (const c of cases) check(c);
    // The common shapes take the fast path.
    expect(cases.slice(0, 4).map(check)).toEqual(['fast', 'fast', 'fast', 'fast']);
    expect(check(cases[7]!)).toBe('fast');
  });

  it('gives repeated values their own typing: texts with equal hashes, trailing spaces and comments, dates', () => {
    // "Aa" and "BB" hash alike; each repeat must still get its own text's value.
    const text = 'a: Aa\nb: BB\nc: Aa   \nd: BB # c\ne: 2024-01-02\nf: 2024-01-02\ng: 10\nh: "10"\ni: 10\n';
    for (let round = 0; round < 2; round++) {
      expect(check(text)).toBe('fast');
      const v = parseFastYaml(text, plainScalar, 100) as Record<string, unknown>;
      expect([v.a, v.b, v.c, v.d, v.g, v.h, v.i]).toEqual(['Aa', 'BB', 'Aa', 'BB', 10, '10', 10]);
      // Dates are objects: every repeat is a date of its own.
      expect(v.e).toBeInstanceOf(Date);
      expect(v.e).not.toBe(v.f);
      expect(v.e).toEqual(v.f);
    }
  });

  it('leaves everything else to js-yaml, errors included', () => {
    const cases = [
      'a: &x 1\nb: *x\n', 'a: !!str 1\n', 'a: {b: 1}\n', 'a: [b, [c]]\n', 'a: >\n  folded\n', 'a: "esc\\n"\n',
      'a: b\n  c\n', 'a: 1\na: 2\n', '<<: {b: 1}\n', '__proto__: x\n', 'a:\tb\n', 'a: 1\r\nb: 2\r\n', 'a: |2\n  x\n',
      'a: b: c\n', 'a:b\n', '- a\nb: c\n', 'a:\n  - x\n   - y\n', '? a\n: b\n', 'a: - b\n', 'a: [b,]\n', 'a: "unterminated\n',
      '# only a comment\n', 'just a scalar\n', 'a: 1\n  b: 2\n', 'key : value\n', '%YAML 1.2\n---\na: 1\n',
    ];
    for (const c of cases) expect(check(c), c).toBe('fallback');
  });

  it('agrees with js-yaml on random manifest-like documents', () => {
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pick = <T>(xs: readonly T[]) => xs[rnd(xs.length)]!;
    const keys = ['name', 'image', 'a b', 'x:y', 'true', '1', 'null', '~', '08', '1.0', 'k#v', "'q'", '"d q"', 'app.kubernetes.io/name', '-k', 'é'];
    const scalars = ['web', '1', '-1', '0.5', '.5', '1e3', '.nan', 'true', 'yes', 'NULL', '~', '2024-01-02', '2024-1-2 3:04:05', "'s''q'", '"dq"', '"a\\tb"', 'a #c', 'a#b', 'http://x:80/y', '[a, b]', '[]', '{}', '[a, [b]]', '{a: 1}', '*x', '&y z', '!!int 3', '- x', ': x', 'a: b', '%x', '`x`', '"x" y', "'x'   # c", '0o17', '+.inf', '12:30'];
    const lines = (depth: number, indent: string, n: number): string[] => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        const r = rnd(10);
        const key = pick(keys);
        if (r < 5 || depth > 3) out.push(`${indent}${key}: ${pick(scalars)}`);
        else if (r === 5) out.push(`${indent}${key}:`, ...lines(depth + 1, `${indent}  `, 1 + rnd(3)));
        else if (r === 6) {
          out.push(`${indent}${key}:`);
          const inner = pick([indent, `${indent}  `]);
          for (let j = 0; j <= rnd(3); j++) out.push(rnd(2) ? `${inner}- ${pick(scalars)}` : `${inner}- ${pick(keys)}: ${pick(scalars)}`);
        } else if (r === 7) {
          out.push(`${indent}${key}: ${pick(['|', '|-', '|+', '|2', '>'])}`);
          for (let j = 0; j <= rnd(3); j++) out.push(pick([`${indent}  text ${j}`, '', `${indent}    more`, `${indent}  # hash`, `${indent} `]));
        } else if (r === 8) out.push(pick([`${indent}# comment`, '', `${indent}  # deeper comment`]));
        else out.push(`${indent}${key}: ${pick(scalars)}`, pick([`${indent}  continued`, `${indent}${key}: dup`, `${indent} odd: 1`, `${indent}ok: 1`]));
      }
      return out;
    };
    let fast = 0;
    for (let d = 0; d < 3000; d++) if (check(`${lines(0, '', 1 + rnd(6)).join('\n')}\n`) === 'fast') fast++;
    // The generator is meant to hit both paths.
    expect(fast).toBeGreaterThan(300);
    expect(fast).toBeLessThan(2900);
  });

  it('agrees with js-yaml on every document of the fixtures, the examples and the third-party corpus', () => {
    const dirs = [join(root, 'src', 'misconfig', 'checks', '__fixtures__'), join(root, 'examples')];
    const withCorpus = existsSync(CORPUS);
    if (withCorpus) dirs.push(CORPUS);
    else console.log(`fast-yaml: ${CORPUS} absent; third-party manifests not compared`);
    let fast = 0;
    for (const dir of dirs) {
      for (const file of yamlFiles(dir)) for (const doc of splitDocuments(readFileSync(file, 'utf8'))) if (check(doc.text) === 'fast') fast++;
    }
    // The fast path must carry most of these documents: the project's own hold about 390, the corpus adds hundreds.
    expect(fast).toBeGreaterThan(withCorpus ? 500 : 300);
  });
});
