import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from './index.js';

describe('migrations', () => {
  it('lists every numbered file once, in order, each with both dialects', () => {
    const files = readdirSync(new URL('.', import.meta.url)).filter((f) => /^\d{3}_.+\.ts$/.test(f) && !f.endsWith('.test.ts'));
    expect(MIGRATIONS.map((m) => `${String(m.id).padStart(3, '0')}_${m.name}.ts`)).toEqual(files.sort());
    MIGRATIONS.forEach((m, i) => {
      expect(m.id).toBe(i + 1);
      expect(m.sqlite.trim()).not.toBe('');
      expect(m.postgres.trim()).not.toBe('');
    });
  });
});
