import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../inputs/manifests/parse.js';
import { evaluate } from '../engine.js';
import { resolveParameters } from '../parameters.js';
import { parametersSchema } from '../../model/config.js';
import { parse as parseYaml } from 'yaml';
import { ALL_CHECKS } from './index.js';
import { CATEGORIES, PEER_TOOLS } from '../../model/check-info.js';
import { SEVERITIES } from '../../model/severity.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixturesDir = join(here, '__fixtures__');

describe('check registry', () => {
  const files = readdirSync(here).filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.endsWith('.test.ts'));

  it('lists every check file exactly once, with its slug equal to the file name', () => {
    const slugs = ALL_CHECKS.map((c) => c.slug).sort();
    expect(slugs).toEqual(files.map((f) => f.replace(/\.ts$/, '')).sort());
  });

  it('uses unique, well-formed ids', () => {
    const ids = ALL_CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^PAL-\d{3}$/);
  });

  it('gives every check complete catalogue data', () => {
    for (const c of ALL_CHECKS) {
      expect(c.slug, c.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(c.title.length, c.id).toBeGreaterThan(5);
      expect(c.description.length, c.id).toBeGreaterThan(30);
      expect(c.remediation.length, c.id).toBeGreaterThan(10);
      expect(SEVERITIES, c.id).toContain(c.severity);
      expect(CATEGORIES, c.id).toContain(c.category);
      expect(c.kinds.length, c.id).toBeGreaterThan(0);
      for (const tool of Object.keys(c.equivalents)) expect(PEER_TOOLS, c.id).toContain(tool);
    }
  });

  it('has pass and fail fixtures for every check', () => {
    for (const c of ALL_CHECKS) {
      const dir = join(fixturesDir, c.slug);
      expect(existsSync(dir), `${c.slug} has no __fixtures__ folder`).toBe(true);
      const names = readdirSync(dir);
      expect(names.some((n) => n.startsWith('pass.')), `${c.slug} has no pass fixture`).toBe(true);
      expect(names.some((n) => n.startsWith('fail.')), `${c.slug} has no fail fixture`).toBe(true);
    }
  });
});

describe('check fixtures', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  for (const check of ALL_CHECKS) {
    const dir = join(fixturesDir, check.slug);
    if (!existsSync(dir)) continue;
    // Optional `params.yaml`: the palisade.yaml `parameters` the fixtures of this folder run with.
    const paramsFile = join(dir, 'params.yaml');
    const params = existsSync(paramsFile) ? resolveParameters(parametersSchema.parse(parseYaml(readFileSync(paramsFile, 'utf8')))) : undefined;
    for (const name of readdirSync(dir).filter((n) => /\.(ya?ml|json)$/.test(n) && n !== 'params.yaml')) {
      const expectFail = name.startsWith('fail.');
      it(`${check.slug}: ${name}`, () => {
        const path = join(dir, name);
        const parsed = parseManifestText(path, readFileSync(path, 'utf8'));
        expect(parsed.errors).toEqual([]);
        const result = evaluate(parsed.resources, { checks: [check], now, annotationExemptions: 'off', params });
        expect(result.errors).toEqual([]);
        const outcome = result.outcomes.get(check.id)!;
        expect(outcome.appliedCount, 'the check must apply to at least one resource in the fixture').toBeGreaterThan(0);
        if (expectFail) {
          expect(result.findings.length).toBeGreaterThan(0);
          for (const f of result.findings) {
            expect(f.message).not.toBe('');
            // Every finding points at a real line of the fixture.
            expect(f.location.line).toBeGreaterThan(0);
            expect(f.location.file).toBe(path);
          }
        } else {
          expect(result.findings.map((f) => f.message)).toEqual([]);
        }
      });
    }
  }
});
