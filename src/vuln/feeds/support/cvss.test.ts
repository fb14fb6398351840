import { describe, expect, it } from 'vitest';
import { scoreCvss, severityOfScore } from './cvss.js';

describe('CVSS scoring', () => {
  // Reference scores as NVD and FIRST publish them for these vectors.
  it.each([
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', '3.1', 9.8, 'critical'],
    ['CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H', '3.0', 6.5, 'medium'],
    ['AV:N/AC:L/Au:N/C:P/I:P/A:P', '2.0', 7.5, 'high'],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', '4.0', 9.3, 'critical'],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', '3.1', 7.8, 'high'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', '3.1', 0, undefined],
  ])('%s scores %s %s', (vector, version, score, severity) => {
    const r = scoreCvss(` ${vector} `, 'nvd');
    expect(r).toEqual({ ok: true, value: { version, vector, score, source: 'nvd' } });
    if (r.ok) expect(severityOfScore(r.value)).toBe(severity);
  });
  it.each(['CVSS:3.1/AV:N/AC:L', 'CVSS:4.0/AV:N/AC:L/AT:N', 'not a vector', '', 'CVSS:9.9/AV:N'])('refuses %j', (vector) => {
    expect(scoreCvss(vector, 'nvd').ok).toBe(false);
  });
});
