import { describe, expect, it } from 'vitest';
import { LoginLimiter } from './login-limiter.js';

function limiter() {
  let t = 1_000_000;
  const l = new LoginLimiter({ userFailures: 3, addressFailures: 5, windowMs: 60_000, lockMs: 1_000, maxLockMs: 8_000, maxKeys: 100 }, () => t);
  return { l, advance: (ms: number) => (t += ms) };
}

describe('LoginLimiter', () => {
  it('locks a username after its limit of failures, doubling the lock with each further failure up to the cap', () => {
    const { l, advance } = limiter();
    l.failed('alice', '10.0.0.1');
    l.failed('alice', '10.0.0.2');
    expect(l.retryAfterMs('alice', '10.0.0.3')).toBe(0);
    l.failed('alice', '10.0.0.3');
    expect(l.retryAfterMs('alice', '10.0.0.9')).toBe(1_000);
    expect(l.retryAfterMs('ALICE', undefined)).toBe(1_000);
    expect(l.retryAfterMs('bob', '10.0.0.9')).toBe(0);
    advance(1_000);
    expect(l.retryAfterMs('alice', undefined)).toBe(0);
    l.failed('alice', undefined);
    expect(l.retryAfterMs('alice', undefined)).toBe(2_000);
    for (let i = 0; i < 5; i++) l.failed('alice', undefined);
    expect(l.retryAfterMs('alice', undefined)).toBe(8_000);
  });

  it('locks an address that fails for many usernames, and a success clears only the username', () => {
    const { l } = limiter();
    for (const u of ['a', 'b', 'c', 'd']) l.failed(u, '192.0.2.7');
    expect(l.retryAfterMs('e', '192.0.2.7')).toBe(0);
    l.failed('e', '192.0.2.7');
    expect(l.retryAfterMs('f', '192.0.2.7')).toBe(1_000);
    expect(l.retryAfterMs('f', '192.0.2.8')).toBe(0);
    l.failed('g', undefined);
    l.failed('g', undefined);
    l.succeeded('g');
    l.failed('g', undefined);
    expect(l.retryAfterMs('g', undefined)).toBe(0);
  });

  it('forgets failures older than the window', () => {
    const { l, advance } = limiter();
    l.failed('carol', undefined);
    l.failed('carol', undefined);
    advance(61_000);
    l.failed('carol', undefined);
    expect(l.retryAfterMs('carol', undefined)).toBe(0);
  });
});
