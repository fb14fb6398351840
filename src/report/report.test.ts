import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import AjvDraft04 from 'ajv-draft-04';

// The package is CommonJS; under NodeNext its class is the default export's `default`.
const Ajv4 = ((AjvDraft04 as unknown as { default?: unknown }).default ?? AjvDraft04) as unknown as typeof AjvDraft04.default;
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { scanManifests } from '../app/scan.js';
import { configSchema } from '../model/config.js';
import type { ScanReport } from '../model/report.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderSarif } from './sarif.js';
import { renderTable } from './table.js';
import { renderYaml } from './yaml.js';

const require = createRequire(import.meta.url);
let report: ScanReport;

beforeAll(async () => {
  report = await scanManifests({ paths: ['examples'], config: configSchema.parse({}), now: new Date('2026-06-01T00:00:00Z'), includeApplied: true });
});

describe('report formats', () => {
  it('has findings, exemptions and an input error to render', () => {
    expect(report.findings.length).toBeGreaterThan(0);
    expect(report.errors.length).toBeGreaterThan(0);
  });

  it('sarif is valid SARIF 2.1.0 with file and line regions for every result', () => {
    const schema = JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'));
    const ajv = new Ajv4({ allErrors: true, strict: false, validateFormats: false, unicodeRegExp: false });
    const validate = ajv.compile(schema);
    const sarif = JSON.parse(renderSarif(report));
    const ok = validate(sarif);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    const run = sarif.runs[0];
    expect(run.results.length).toBe(report.findings.length + report.exempted.length);
    for (const r of run.results) {
      expect(r.locations[0].physicalLocation.region.startLine).toBeGreaterThan(0);
      expect(run.tool.driver.rules[r.ruleIndex].id).toBe(r.ruleId);
    }
    // Exempted findings are kept as suppressed results, never dropped.
    expect(run.results.filter((r: { suppressions?: unknown[] }) => r.suppressions).length).toBe(report.exempted.length);
  });

  it('sarif rejects a broken document (the validator is real)', () => {
    const schema = JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'));
    const validate = new Ajv4({ strict: false, validateFormats: false, unicodeRegExp: false }).compile(schema);
    const sarif = JSON.parse(renderSarif(report));
    sarif.runs[0].results[0].level = 'fatal';
    expect(validate(sarif)).toBe(false);
  });

  it('json and yaml carry the same versioned document', () => {
    const j = JSON.parse(renderJson(report));
    const y = parseYaml(renderYaml(report));
    expect(j.schema).toBe('palisade.dev/scan-report/v1');
    expect(y).toEqual(j);
    expect(j.score.value).toBe(report.score.value);
    expect(j.findings[0]).toHaveProperty('location.line');
    expect(j.findings[0]).toHaveProperty('remediation');
  });

  it('junit has one suite per applied check and a failure per failing resource', () => {
    const xml = renderJunit(report);
    expect(xml.startsWith('<?xml')).toBe(true);
    const failing = new Set(report.findings.map((f) => `${f.checkId}|${f.resourceId}`));
    expect((xml.match(/<failure /g) ?? []).length).toBe(failing.size);
    expect((xml.match(/<skipped /g) ?? []).length).toBe(new Set(report.exempted.map((f) => `${f.checkId}|${f.resourceId}`)).size);
    expect(xml).toContain('name="input errors"');
    expect(xml).toContain(`<property name="score" value="${report.score.value}"/>`);
    // Balanced and escaped: no raw ampersands or angle brackets inside attribute values.
    expect((xml.match(/<testsuite /g) ?? []).length).toBe((xml.match(/<\/testsuite>/g) ?? []).length);
    expect(xml).not.toMatch(/="[^"]*<[^"]*"/);
  });

  it('table groups by file and resource, and is plain when colour is off', () => {
    const t = renderTable(report, { color: false });
    expect(t).not.toContain('\u001b[');
    expect(t).toContain('Score');
    expect(t).toContain('Input errors');
    const colored = renderTable(report, { color: true });
    expect(colored).toContain('\u001b[');
  });
});
