import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VERSION_SCHEMES } from '../../model/package.js';
import { SCHEMES, schemeFor } from './index.js';

/** Files of this folder that are not scheme modules. */
const SUPPORT = new Set(['index.ts', 'scheme.ts', 'range.ts']);

describe('version scheme registry', () => {
  const modules = readdirSync(import.meta.dirname)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !SUPPORT.has(f))
    .map((f) => f.slice(0, -3))
    .sort();

  it('lists every scheme module of the folder, and only those', () => {
    expect(Object.keys(SCHEMES).sort()).toEqual(modules);
  });
  it('has a module for every scheme id of the model', () => {
    expect(Object.keys(SCHEMES).sort()).toEqual([...VERSION_SCHEMES].sort());
  });
  it.each(modules)('%s: exports an object whose id is its file name', async (name) => {
    const mod = (await import(`./${name}.js`)) as Record<string, unknown>;
    expect(mod[name]).toBe(SCHEMES[name as keyof typeof SCHEMES]);
    expect(SCHEMES[name as keyof typeof SCHEMES].id).toBe(name);
    expect(schemeFor(name as keyof typeof SCHEMES)).toBe(SCHEMES[name as keyof typeof SCHEMES]);
  });
  it.each(modules)('%s: orders a plain release after its own pre-release and compares a version equal to itself', (name) => {
    const s = SCHEMES[name as keyof typeof SCHEMES];
    expect(s.valid('1.2.3')).toBe(true);
    expect(s.compare('1.2.3', '1.2.3')).toBe(0);
    expect(s.compare('1.2.3', '1.2.4')).toBeLessThan(0);
    expect(s.compare('1.10.0', '1.9.0')).toBeGreaterThan(0);
    expect(() => s.compare('', '\u0000garbage\uffff')).not.toThrow();
    expect(() => s.valid('')).not.toThrow();
  });
});
