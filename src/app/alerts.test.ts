import { describe, expect, it } from 'vitest';
import type { Alert } from '../model/audit.js';
import type { Suppression } from '../storage/audit/index.js';
import { parseDuration, parseExpiry, suppressionReport, suppressionState } from './alerts.js';
import { alertDedupeKey, suppressionMatches } from './audit-pipeline.js';

const alert = (e: Partial<Alert['entities']> = {}): Alert => ({
  ruleId: 'PAL-RT-010',
  slug: 'pod-exec-or-attach',
  title: 'Exec',
  severity: 'low',
  mitre: { tactics: ['TA0002'], techniques: [] },
  output: 'o',
  entities: { user: 'ci-runner', verb: 'create', namespace: 'shop', resource: 'pods', subresource: 'exec', sourceIP: '10.1.2.3', ...e },
  auditIds: [],
  count: 1,
  source: { file: 'f', format: 'kubernetes' },
  equivalents: {},
});
const sup = (s: Partial<Suppression>): Suppression => ({ id: 1, reason: 'r', owner: 'o', createdBy: 'c', createdAt: '2024-05-01T00:00:00.000Z', matchCount: 0, ...s });

describe('suppression rules', () => {
  it('match when every field they set matches: rule by id or slug, globs, resource/subresource, CIDR', () => {
    expect(suppressionMatches(sup({ rule: 'pal-rt-010' }), alert())).toBe(true);
    expect(suppressionMatches(sup({ rule: 'pod-exec-or-attach' }), alert())).toBe(true);
    expect(suppressionMatches(sup({ rule: 'PAL-RT-011' }), alert())).toBe(false);
    expect(suppressionMatches(sup({ user: 'ci-*', namespace: 'sh*' }), alert())).toBe(true);
    expect(suppressionMatches(sup({ user: 'ci-*', namespace: 'prod' }), alert())).toBe(false);
    expect(suppressionMatches(sup({ user: 'ci-.*' }), alert())).toBe(false);
    expect(suppressionMatches(sup({ resource: 'pods/exec' }), alert())).toBe(true);
    expect(suppressionMatches(sup({ resource: 'pods' }), alert())).toBe(true);
    expect(suppressionMatches(sup({ resource: 'pods/attach' }), alert())).toBe(false);
    expect(suppressionMatches(sup({ sourceIp: '10.0.0.0/8' }), alert())).toBe(true);
    expect(suppressionMatches(sup({ sourceIp: '10.1.2.3' }), alert())).toBe(true);
    expect(suppressionMatches(sup({ sourceIp: '192.168.0.0/16' }), alert())).toBe(false);
    expect(suppressionMatches(sup({ sourceIp: '10.0.0.0/8' }), alert({ sourceIP: undefined }))).toBe(false);
  });

  it('are expired past their expiry and stale when unmatched for the period', () => {
    const now = new Date('2024-06-15T00:00:00Z');
    expect(suppressionState(sup({ expiresAt: '2024-06-01T00:00:00.000Z' }), now)).toBe('expired');
    expect(suppressionState(sup({}), now)).toBe('stale');
    expect(suppressionState(sup({ lastMatchedAt: '2024-06-10T00:00:00.000Z' }), now)).toBe('active');
    expect(suppressionState(sup({ removedAt: '2024-06-10T00:00:00.000Z' }), now)).toBe('removed');
    const r = suppressionReport([sup({ id: 1, expiresAt: '2024-06-01T00:00:00.000Z' }), sup({ id: 2, rule: 'PAL-RT-010' }), sup({ id: 3, lastMatchedAt: '2024-06-14T00:00:00.000Z' })], now);
    expect(r.expired.map((s) => s.id)).toEqual([1]);
    expect(r.stale.map((s) => s.id)).toEqual([2]);
    expect(r.lines[1]).toMatch(/^suppression 2 \(rule=PAL-RT-010; owner o\) has matched nothing since it was added on 2024-05-01/);
  });

  it('parses durations and expiries', () => {
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('soon')).toBeUndefined();
    const now = new Date('2024-06-15T00:00:00Z');
    expect(parseExpiry('2d', now)).toBe('2024-06-17T00:00:00.000Z');
    expect(parseExpiry('2024-07-01', now)).toBe('2024-07-01T00:00:00.000Z');
    expect(() => parseExpiry('2024-01-01', now)).toThrow(/already past/);
  });
});

describe('alert dedupe key', () => {
  it('is equal for the same rule and entities, different otherwise', () => {
    expect(alertDedupeKey(alert())).toBe(alertDedupeKey(alert()));
    expect(alertDedupeKey(alert())).not.toBe(alertDedupeKey(alert({ user: 'other' })));
  });
});
