import { RateCounter, type RateOptions } from '../rate.js';
import { eventTimeMs, isoTime, NO_FINDINGS, type Detector, type DetectorFinding, type DetectorState, type EventContext } from './detector.js';

/** Defaults: 20 refused requests from one address within a minute; 50,000 addresses remembered. */
export const AUTH_FAILURE_BURST_LIMITS: RateOptions = { windowMs: 60_000, threshold: 20, maxKeys: 50_000 };

/**
 * Many requests from one source address refused with 401 (no valid credentials) or 403 (not allowed) within a
 * short window: someone is guessing tokens, trying a stolen one, or probing what a token may do.
 */
export const authFailureBurst = {
  id: 'PAL-RT-066',
  slug: 'auth-failure-burst',
  title: 'Burst of refused requests from one source address',
  description:
    'At least 20 requests from one source address were refused with 401 Unauthorized or 403 Forbidden within ' +
    'one minute. Brute-forcing tokens, replaying a revoked token, and enumerating the permissions of a stolen ' +
    'one (kubectl auth can-i --list, kube-hunter, peirates) all look like this. One alert per burst; the address ' +
    'reports again after a quiet minute.',
  severity: 'medium',
  mitre: { tactics: ['TA0006', 'TA0007'], techniques: ['T1110', 'T1613'] },
  nextSteps: [
    'Identify the address: a pod address points at a compromised workload, an outside address at an exposed API server.',
    'Look at the usernames of the refused requests: one identity probing its permissions, or many guesses.',
    'Block the address at the API server firewall or load balancer if it is not yours.',
  ],
  enabled: true,
  tags: ['stateful', 'rate'],
  equivalents: {},
  match: {},
  skips: (k) => (k.code !== 401 && k.code !== 403) || k.stage !== 'ResponseComplete',
  start(saved?: unknown): DetectorState {
    const counter = new RateCounter(AUTH_FAILURE_BURST_LIMITS, saved);
    return {
      observe(ctx: EventContext): DetectorFinding[] {
        const code = (ctx.responseStatus as { code: number }).code;
        if ((code !== 401 && code !== 403) || ctx.stage !== 'ResponseComplete') return NO_FINDINGS;
        const ip = (ctx.sourceIPs as string[])[0];
        const t = eventTimeMs(ctx);
        if (ip === undefined || t === undefined) return NO_FINDINGS;
        const burst = counter.add(ip, t);
        if (!burst) return NO_FINDINGS;
        const user = (ctx.user as { username: string }).username || '<anonymous>';
        return [{ output: `${burst.count} requests from ${ip} refused with 401/403 since ${isoTime(burst.since)} (last: ${user} ${ctx.verb as string} ${(ctx.target as { resource: string }).resource || (ctx.requestURI as string)}, ${code})` }];
      },
      save: () => counter.save(),
    };
  },
} satisfies Detector;
