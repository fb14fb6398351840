import { LruMap } from '../threats/lru.js';

/** Limits of the login throttle. */
export interface LoginLimits {
  /** Failures of one username (from any address) before it is locked. */
  userFailures: number;
  /** Failures from one address (any usernames) before it is locked: password spraying. */
  addressFailures: number;
  /** How long failures are remembered; a success clears the username's. */
  windowMs: number;
  /** The first lock; each further failure while counted doubles it, up to `maxLockMs`. */
  lockMs: number;
  maxLockMs: number;
  /** Usernames and addresses remembered at most (least recently failing forgotten first). */
  maxKeys: number;
}

/** Defaults: 5 failures of a user or 20 from an address in 15 minutes lock it for 1 minute, doubling up to 15. */
export const DEFAULT_LOGIN_LIMITS: LoginLimits = { userFailures: 5, addressFailures: 20, windowMs: 15 * 60_000, lockMs: 60_000, maxLockMs: 15 * 60_000, maxKeys: 10_000 };

interface Failures {
  count: number;
  first: number;
  lockedUntil: number;
}

/**
 * Slows password guessing: failed logins are counted per username and per source address, and past a limit
 * further attempts are refused (429 with Retry-After) without checking the password, for a lock that doubles
 * with each further failure. Kept in this process's memory and bounded, so a flood of made-up usernames
 * cannot grow it; with several server processes each counts its own share, which still bounds guessing.
 */
export class LoginLimiter {
  private readonly keys: LruMap<string, Failures>;

  constructor(
    readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    this.keys = new LruMap(limits.maxKeys);
  }

  private static userKey(username: string): string {
    return `u:${username.toLowerCase()}`;
  }

  private static addressKey(address: string): string {
    return `a:${address}`;
  }

  /** Milliseconds until this username or address may try again; 0 when it may now. */
  retryAfterMs(username: string, address: string | undefined): number {
    const t = this.now();
    let wait = 0;
    for (const key of [LoginLimiter.userKey(username), ...(address ? [LoginLimiter.addressKey(address)] : [])]) {
      const f = this.keys.peek(key);
      if (f && f.lockedUntil > t) wait = Math.max(wait, f.lockedUntil - t);
    }
    return wait;
  }

  /** Counts a failed login; locks the username or address once past its limit. */
  failed(username: string, address: string | undefined): void {
    this.count(LoginLimiter.userKey(username), this.limits.userFailures);
    if (address) this.count(LoginLimiter.addressKey(address), this.limits.addressFailures);
  }

  /** A successful login clears the username's failures (the address keeps its own: a sprayer may guess one right). */
  succeeded(username: string): void {
    this.keys.delete(LoginLimiter.userKey(username));
  }

  private count(key: string, limit: number): void {
    const t = this.now();
    let f = this.keys.get(key);
    if (!f || t - f.first > this.limits.windowMs) f = { count: 0, first: t, lockedUntil: 0 };
    f.count++;
    if (f.count >= limit) {
      const lock = Math.min(this.limits.maxLockMs, this.limits.lockMs * 2 ** (f.count - limit));
      f.lockedUntil = t + lock;
      // Remembered for as long as the lock lasts, even past the window.
      f.first = Math.max(f.first, f.lockedUntil - this.limits.windowMs);
    }
    this.keys.set(key, f);
  }
}
