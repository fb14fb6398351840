import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Feed } from './feed.js';
import { feedById, FEEDS } from './index.js';

/** Files of this folder that are not feed units. */
const NOT_UNITS = new Set(['feed.ts', 'index.ts']);

function isFeed(v: unknown): v is Feed {
  const f = v as Feed;
  return typeof v === 'object' && v !== null && typeof f.id === 'string' && typeof f.documents === 'function' && typeof f.parse === 'function';
}

describe('feed registry', () => {
  const unitFiles = readdirSync(import.meta.dirname).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !NOT_UNITS.has(f));

  it('lists exactly the feeds of the folder, each under its file name', async () => {
    const fromFolder: Feed[] = [];
    for (const file of unitFiles) {
      const mod = (await import(/* @vite-ignore */ `./${file}`)) as Record<string, unknown>;
      const units = Object.values(mod).filter(isFeed);
      expect(units, `${file} exports one feed`).toHaveLength(1);
      expect(units[0].id, `${file}: id equals the file name`).toBe(file.replace(/\.ts$/, ''));
      fromFolder.push(units[0]);
    }
    expect(new Set(FEEDS)).toEqual(new Set(fromFolder));
    expect(FEEDS).toHaveLength(fromFolder.length);
    for (const f of FEEDS) expect(feedById(f.id)).toBe(f);
  });

  it('has valid feeds: kebab-case ids, https homepages and bases, unique document keys and paths', () => {
    expect(new Set(FEEDS.map((f) => f.id)).size).toBe(FEEDS.length);
    for (const f of FEEDS) {
      expect(f.id).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
      expect(f.name.length, `${f.id} name`).toBeGreaterThan(2);
      expect(f.homepage).toMatch(/^https:\/\//);
      expect(f.defaultBase).toMatch(/^https:\/\/.*\/$/);
      const docs = f.documents();
      expect(docs.length, `${f.id} has documents`).toBeGreaterThan(0);
      expect(new Set(docs.map((d) => d.key)).size, `${f.id} document keys are unique`).toBe(docs.length);
      expect(new Set(docs.map((d) => d.path)).size, `${f.id} document paths are unique`).toBe(docs.length);
      for (const d of docs) {
        expect(d.location.startsWith(f.defaultBase), `${f.id}/${d.key} under the default base`).toBe(true);
        expect(d.path).not.toMatch(/^\/|\.\.|\\/);
        expect(d.source.id === f.id || d.source.id.startsWith(`${f.id}:`), `${f.id}/${d.key} source id`).toBe(true);
        expect(() => new URL(d.location)).not.toThrow();
      }
    }
  });

  it('parses nothing into nothing without throwing', () => {
    for (const f of FEEDS) {
      for (const d of f.documents()) {
        const r = f.parse(d.key, new Uint8Array());
        expect(r.documentError, `${f.id}/${d.key}`).toBeTruthy();
        expect(r.vulnerabilities).toEqual([]);
      }
      expect(f.parse('no-such-document', new TextEncoder().encode('{}')).documentError).toMatch(/unknown document/);
    }
  });
});
