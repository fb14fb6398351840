import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DRIVERS } from './drivers/index.js';
import { eolRelease, isPast, parseEolTable, releaseOfCodename } from './eol.js';

const FILE = join(import.meta.dirname, '../../../content/vuln/eol.yaml');

describe('content/vuln/eol.yaml', () => {
  const table = parseEolTable(parse(readFileSync(FILE, 'utf8')), FILE);

  it('validates, and names only families some driver consults', () => {
    const consulted = new Set<string>();
    for (const d of DRIVERS) for (const f of d.families) {
      const e = d.eolFamily?.({ family: f, version: '1' });
      if (e) consulted.add(e);
    }
    for (const family of Object.keys(table.families)) expect(consulted, family).toContain(family);
  });

  it('answers releases, codenames and dates', () => {
    expect(eolRelease(table, 'debian', '9')?.codename).toBe('stretch');
    expect(releaseOfCodename(table, 'debian', 'Bookworm')).toBe('12');
    expect(isPast(eolRelease(table, 'ubuntu', '19.04')?.eol, new Date('2024-04-01'))).toBe(true);
    expect(isPast(eolRelease(table, 'ubuntu', '20.04')?.eol, new Date('2024-04-01'))).toBe(false);
    // The last supported day is still supported.
    expect(isPast('2024-04-01', new Date('2024-04-01T23:00:00Z'))).toBe(false);
    expect(isPast(undefined, new Date())).toBe(false);
  });
});

describe('parseEolTable', () => {
  it('refuses bad dates and repeated releases, naming the file', () => {
    expect(() => parseEolTable({ families: { x: { source: 'https://x.test', releases: [{ release: '1', eol: '2024/01/01' }] } } }, 'f.yaml')).toThrow(/f\.yaml: families\.x\.releases\.0\.eol/);
    expect(() => parseEolTable({ families: { x: { source: 'https://x.test', releases: [{ release: '1' }, { release: '1' }] } } }, 'f.yaml')).toThrow(/release 1 listed twice/);
    expect(() => parseEolTable({ families: { x: { source: 'not a url', releases: [] } } }, 'f.yaml')).toThrow(/source/);
  });
});
