import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { OsDriver } from '../driver.js';
import { DRIVERS } from './index.js';

const here = dirname(fileURLToPath(import.meta.url));

function isDriver(v: unknown): v is OsDriver {
  const d = v as OsDriver;
  return typeof v === 'object' && v !== null && typeof d.id === 'string' && Array.isArray(d.families) && typeof d.namespaces === 'function';
}

describe('OS driver registry', () => {
  const unitFiles = readdirSync(here).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'index.ts');

  it('lists exactly the drivers of the folder, each under its file name', async () => {
    const fromFolder: OsDriver[] = [];
    for (const file of unitFiles) {
      const units = Object.values((await import(/* @vite-ignore */ `./${file}`)) as Record<string, unknown>).filter(isDriver);
      expect(units, `${file} exports one driver`).toHaveLength(1);
      expect(units[0].id, `${file}: id equals the file name`).toBe(file.replace(/\.ts$/, ''));
      fromFolder.push(units[0]);
    }
    expect(new Set(DRIVERS)).toEqual(new Set(fromFolder));
    expect(DRIVERS).toHaveLength(fromFolder.length);
  });

  it('serves each OS family from one driver only', () => {
    const families = DRIVERS.flatMap((d) => d.families);
    expect(new Set(families).size).toBe(families.length);
    for (const d of DRIVERS) expect(['deb', 'apk', 'rpm']).toContain(d.scheme);
  });
});
