/** One paragraph of a Debian control file or an email-style header block. */
export interface Stanza {
  /** Field name -> value; names as written (`Package`), continuation lines joined with `\n`. */
  fields: Map<string, string>;
  /** 1-based line of the first field. */
  line: number;
}

/**
 * Splits an RFC 822 style file (dpkg `status`, Python `METADATA`) into paragraphs separated by blank lines.
 * Continuation lines start with a space or tab. A field that appears twice keeps its values joined by `\n`
 * (Python metadata repeats `Classifier:`). Lines without a colon are ignored.
 */
export function parseStanzas(text: string, opts: { firstOnly?: boolean } = {}): Stanza[] {
  const out: Stanza[] = [];
  let cur: Stanza | undefined;
  let last: string | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') {
      if (cur) {
        out.push(cur);
        cur = undefined;
        last = undefined;
        if (opts.firstOnly) return out;
      }
      continue;
    }
    if ((line[0] === ' ' || line[0] === '\t') && cur && last) {
      cur.fields.set(last, `${cur.fields.get(last)}\n${line.trim()}`);
      continue;
    }
    const c = line.indexOf(':');
    if (c <= 0) continue;
    const name = line.slice(0, c).trim();
    const value = line.slice(c + 1).trim();
    if (!cur) cur = { fields: new Map(), line: i + 1 };
    const prev = cur.fields.get(name);
    cur.fields.set(name, prev === undefined ? value : `${prev}\n${value}`);
    last = name;
  }
  if (cur) out.push(cur);
  return out;
}

/** Reads `KEY=value` and `KEY="value"` lines (os-release, lsb-release). */
export function parseKeyValues(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let v = line.slice(eq + 1).trim();
    if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) {
      v = v.slice(1, -1).replace(/\\(["'`$\\])/g, '$1');
    }
    out.set(line.slice(0, eq).trim(), v);
  }
  return out;
}

/** The last path element (`/a/b/c.txt` -> `c.txt`). */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The folder of a path (`/a/b/c.txt` -> `/a/b`, `/c` -> ``). */
export function dirName(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '' : path.slice(0, i);
}
