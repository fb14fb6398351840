/**
 * The dashboard's page list (web/src/pages/index.ts) against its folder: every page file is listed, and no two
 * pages claim the same route. Read as text: the dashboard is compiled for the browser, not for these tests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = join(import.meta.dirname, '..', '..', 'web', 'src', 'pages');
const index = readFileSync(join(DIR, 'index.ts'), 'utf8');
const files = readdirSync(DIR).filter((f) => /\.tsx?$/.test(f) && f !== 'index.ts' && !f.includes('.test.'));
/** `export const alertsPage: PageDef = { path: '/alerts', ...` (or `path: LIST` with `const LIST = '/alerts'`) -> name and path. */
const defs = files.flatMap((f) => {
  const text = readFileSync(join(DIR, f), 'utf8');
  return [...text.matchAll(/export const (\w+): PageDef = \{\s*path: ('[^']+'|\w+)/g)].map((m) => {
    const ref = m[2]!;
    const path = ref.startsWith("'") ? ref.slice(1, -1) : (new RegExp(`const ${ref} = '([^']+)'`).exec(text)?.[1] ?? ref);
    return { file: f, name: m[1]!, path };
  });
});
const listed = new Set(/export const PAGES: PageDef\[\] = \[([\s\S]*?)\];/.exec(index)?.[1]?.match(/\w+/g) ?? []);

describe('dashboard pages', () => {
  it('lists every page file in PAGES, each page it defines included', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      expect(index, `${f} is not imported by pages/index.ts`).toContain(`'./${f.replace(/\.tsx?$/, '.js')}'`);
      const own = defs.filter((d) => d.file === f);
      expect(own.length, `${f} defines no page (export const x: PageDef = { path: ... })`).toBeGreaterThan(0);
      for (const d of own) expect(listed.has(d.name), `${d.name} (${f}) is missing from PAGES`).toBe(true);
    }
  });

  it('gives every page its own route', () => {
    const paths = defs.map((d) => d.path);
    expect(new Set(paths).size).toBe(paths.length);
    expect(paths).toContain('/');
  });
});
