import { describe, expect, it } from 'vitest';
import type { AffectedPackage } from '../../model/advisory.js';
import { schemeFor } from '../versioning/index.js';
import { combine, comparable, evaluateRow } from './evaluate.js';

const deb = schemeFor('deb');
const semver = schemeFor('semver');
const rpm = schemeFor('rpm');

function row(over: Partial<AffectedPackage>): AffectedPackage {
  return { vulnerabilityId: 'CVE-1', namespace: 'n', package: 'p', status: 'fixed', source: 's', ...over };
}

describe('evaluateRow', () => {
  it('judges fixed versions, unfixed statuses and not-affected rows', () => {
    expect(evaluateRow(row({ fixedVersion: '1.2-1' }), '1.1-1', deb)).toMatchObject({ kind: 'vulnerable', status: 'fixed', fixedVersion: '1.2-1' });
    expect(evaluateRow(row({ fixedVersion: '1.2-1' }), '1.2-1', deb).kind).toBe('safe');
    expect(evaluateRow(row({ status: 'will-not-fix' }), '1.0', deb)).toMatchObject({ kind: 'vulnerable', status: 'will-not-fix' });
    expect(evaluateRow(row({ status: 'not-affected' }), '1.0', deb).kind).toBe('not-affected');
    expect(evaluateRow(row({ fixedVersion: 'not a version!' }), '1.0', deb).kind).toBe('unusable');
    expect(evaluateRow(row({ status: 'fixed' }), '1.0', deb).kind).toBe('unusable');
  });

  it('reads OSV ranges and explicit versions', () => {
    const r = row({ ranges: [{ introduced: '1.0.0', fixed: '1.4.2' }, { introduced: '2.0.0' }], versions: ['0.9.1'] });
    expect(evaluateRow(r, '0.9.0', semver).kind).toBe('safe');
    expect(evaluateRow(r, '0.9.1', semver)).toMatchObject({ kind: 'vulnerable', status: 'affected' });
    expect(evaluateRow(r, '1.3.0', semver)).toMatchObject({ kind: 'vulnerable', status: 'fixed', fixedVersion: '1.4.2' });
    expect(evaluateRow(r, '1.4.2', semver).kind).toBe('safe');
    expect(evaluateRow(r, '2.5.0', semver)).toMatchObject({ kind: 'vulnerable', status: 'affected' });
    expect(evaluateRow(row({ ranges: [{ introduced: '0', lastAffected: '3.0.0' }] }), '3.0.0', semver)).toMatchObject({ kind: 'vulnerable', status: 'affected' });
    expect(evaluateRow(row({ ranges: [{ introduced: '0', lastAffected: '3.0.0' }] }), '3.0.1', semver).kind).toBe('safe');
  });

  it('compares any non-empty RPM version, as rpm does, but refuses what other schemes refuse', () => {
    expect(comparable(rpm, '3.10.0-1127.19-1.el7')).toBe(true);
    expect(comparable(rpm, '')).toBe(false);
    expect(comparable(deb, 'not a version!')).toBe(false);
  });
});

describe('combine', () => {
  it('reports the newest fix not yet installed', () => {
    const v = combine([evaluateRow(row({ fixedVersion: '1.5' }), '1.0', deb), evaluateRow(row({ fixedVersion: '2.0' }), '1.0', deb), evaluateRow(row({ fixedVersion: '0.9' }), '1.0', deb)], deb, true);
    expect(v?.fixedVersion).toBe('2.0');
  });

  it('lets an installed fix clear an unfixed row of the same vulnerability', () => {
    expect(combine([evaluateRow(row({ status: 'will-not-fix' }), '1.0', deb), evaluateRow(row({ fixedVersion: '0.9' }), '1.0', deb)], deb, true)).toBeUndefined();
    expect(combine([evaluateRow(row({ status: 'affected' }), '1.0', deb), evaluateRow(row({ status: 'not-affected' }), '1.0', deb)], deb, true)).toBeUndefined();
  });

  it('prefers the vendor decision among unfixed rows, and drops them when the driver reports fixes only', () => {
    const verdicts = [evaluateRow(row({ status: 'affected' }), '1.0', deb), evaluateRow(row({ status: 'fix-deferred' }), '1.0', deb)];
    expect(combine(verdicts, deb, true)?.status).toBe('fix-deferred');
    expect(combine(verdicts, deb, false)).toBeUndefined();
  });
});
