import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { corpusRoot, findRepoRoot } from './corpus.js';
import { planRules, runFalco, translationName, TRANSLATIONS_DIR } from './falco.js';
import { parseKnownDifferences } from './known-differences.js';
import { explainDisagreements, MIN_AGREEMENT_PCT, totalsOf } from './summary.js';

const here = dirname(fileURLToPath(import.meta.url));
const corpusDir = join(corpusRoot(findRepoRoot(here)), 'falco-k8saudit');
const hasCorpus = existsSync(join(corpusDir, 'expectations.json'));
const known = parseKnownDifferences(readFileSync(join(here, 'known-differences.yaml'), 'utf8'), 'known-differences.yaml');

describe('Falco rule files translation', () => {
  it('maps the k8saudit rulesets to the shipped rules under Falco defaults, and override files to translations', () => {
    expect(translationName('./rules/k8s_audit/engine_v4/allow_nginx_container.yaml')).toBe('engine_v4-allow_nginx_container.yaml');
    const plan = planRules(['BUILD_DIR/x/falco_rules.yaml', 'BUILD_DIR/k8saudit-rules-prefix/src/k8saudit-rules/k8s_audit_rules.yaml', './rules/k8s_audit/allow_namespace_foo.yaml']);
    expect(plan).toEqual({ shipped: true, overrides: [join(TRANSLATIONS_DIR, 'falco-defaults.yaml'), join(TRANSLATIONS_DIR, 'allow_namespace_foo.yaml')] });
    expect(planRules(['./rules/k8s_audit/single_rule_with_json_pointer.yaml'])).toMatchObject({ shipped: false });
    expect(planRules(['./rules/k8s_audit/k8s_audit_rules.yaml', './rules/k8s_audit/unknown.yaml'])).toEqual({ skip: 'no Palisade translation of the Falco rules file unknown.yaml' });
  });
});

describe.skipIf(!hasCorpus)('Falco k8s_audit regression cases', () => {
  it(`agree at ${MIN_AGREEMENT_PCT}% or more, every disagreement explained in known-differences.yaml`, () => {
    const results = runFalco({ corpusDir, checks: [] });
    expect(results.length).toBe(66);
    const totals = totalsOf(results, known);
    expect(totals.agreementPct).toBeGreaterThanOrEqual(MIN_AGREEMENT_PCT);
    expect(explainDisagreements(results, known).filter((d) => d.reason === undefined).map((d) => `${d.result.peerCheck}: expected ${d.result.expected}, got ${d.result.got}`)).toEqual([]);
    // The malformed event of fal_01_003 must come out as an input error, as Falco reports it.
    expect(results.find((r) => r.peerCheck === 'fal_01_003')).toMatchObject({ outcome: 'agree', got: 'no alert, input error reported' });
  });

  it('disagrees when a translation is wrong (the comparison has teeth)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-falco-'));
    cpSync(TRANSLATIONS_DIR, dir, { recursive: true });
    // Drop the privileged-image trust: the "trusted" cases now alert where Falco does not.
    writeFileSync(join(dir, 'trust_nginx_container.yaml'), 'lists:\n  k8s_audit_sensitive_mount_images: {append: [nginx]}\n  k8s_audit_hostnetwork_images: {append: [nginx]}\n');
    const results = runFalco({ corpusDir, checks: [] }, dir);
    const bad = results.filter((r) => r.outcome === 'disagree').map((r) => `${r.peerCheck}: ${r.got}`);
    expect(bad).toEqual(['compat_engine_v4_create_privileged_trusted_pod: PAL-RT-001 (Create Privileged Pod)=1', 'create_privileged_trusted_pod: PAL-RT-001 (Create Privileged Pod)=1']);
  });
});

describe.runIf(!hasCorpus)('Falco k8s_audit regression cases (corpus absent)', () => {
  it('are skipped', () => {
    console.warn(`falco-k8saudit corpus not found at ${corpusDir}; set PALISADE_CORPUS to run the Falco conformance cases`);
  });
});
