import { describe, expect, it } from 'vitest';
import { SCHEMES, inRange } from './index.js';

describe('inRange (OSV semantics)', () => {
  const { semver, deb, apk, pep440, maven, rpm, go } = SCHEMES;

  it('includes introduced and excludes fixed', () => {
    const r = { introduced: '1.0.0', fixed: '1.2.0' };
    expect(inRange(semver, '0.9.9', r)).toBe(false);
    expect(inRange(semver, '1.0.0', r)).toBe(true);
    expect(inRange(semver, '1.1.9', r)).toBe(true);
    expect(inRange(semver, '1.2.0-rc.1', r)).toBe(true);
    expect(inRange(semver, '1.2.0', r)).toBe(false);
    expect(inRange(semver, '2.0.0', r)).toBe(false);
  });
  it('includes last_affected', () => {
    const r = { introduced: '1.0.0', lastAffected: '1.2.0' };
    expect(inRange(semver, '1.2.0', r)).toBe(true);
    expect(inRange(semver, '1.2.1', r)).toBe(false);
    expect(inRange(semver, '0.9.0', r)).toBe(false);
  });
  it('reads introduced "0" and a missing introduced as "since the first version"', () => {
    expect(inRange(semver, '0.0.0-0', { introduced: '0', fixed: '1.0.0' })).toBe(true);
    expect(inRange(deb, '0~', { introduced: '0', fixed: '1.0-1' })).toBe(true);
    expect(inRange(pep440, '0.0.dev0', { introduced: '0', fixed: '1.0' })).toBe(true);
    expect(inRange(semver, '0.5.0', { fixed: '1.0.0' })).toBe(true);
    expect(inRange(semver, '1.0.0', { fixed: '1.0.0' })).toBe(false);
  });
  it('with no upper bound covers every later version', () => {
    expect(inRange(semver, '99.0.0', { introduced: '1.0.0' })).toBe(true);
    expect(inRange(semver, '0.1.0', { introduced: '1.0.0' })).toBe(false);
    expect(inRange(semver, '0.1.0', {})).toBe(true);
  });
  it('uses the scheme it is given', () => {
    // 1.0~rc1 precedes 1.0 for dpkg; 1.0-rc1 follows 1.0 for dpkg but precedes it for Maven and PEP 440.
    expect(inRange(deb, '1.0~rc1-1', { introduced: '0', fixed: '1.0-1' })).toBe(true);
    expect(inRange(deb, '1:0.9-1', { introduced: '0', fixed: '1.0-1' })).toBe(false);
    expect(inRange(maven, '1.0-rc1', { introduced: '0', fixed: '1.0' })).toBe(true);
    expect(inRange(pep440, '1.0rc1', { introduced: '0', fixed: '1.0' })).toBe(true);
    expect(inRange(apk, '1.0_rc1-r0', { introduced: '0', fixed: '1.0-r0' })).toBe(true);
    expect(inRange(apk, '1.0-r0', { introduced: '0', fixed: '1.0-r0' })).toBe(false);
    expect(inRange(rpm, '1:1.1.1k-7.el8_6', { fixed: '1:1.1.1k-9.el8_7' })).toBe(true);
    expect(inRange(go, 'v0.0.0-20220315160706-3147a52a75dd', { introduced: '0', fixed: '0.17.0' })).toBe(true);
  });
});
