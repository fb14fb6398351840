import { FirstSeenMemory, type FirstSeenOptions } from '../first-seen.js';
import { eventTimeMs, isOnceAllowed, isServiceAccount, onceAllowed, serviceAccountOf, NO_FINDINGS, type Detector, type DetectorFinding, type DetectorState, type EventContext } from './detector.js';

/** Defaults: a day of learning per service account, 20,000 accounts of up to 500 operations, forgotten after 30 idle days. */
export const SA_NEW_OPERATION_LIMITS: FirstSeenOptions = { learningMs: 24 * 3_600_000, maxPrincipals: 20_000, maxKeysPerPrincipal: 500, forgetAfterMs: 30 * 24 * 3_600_000 };

/** `verb group/resource/subresource`, the operation a service account performs. */
function operationOf(ctx: EventContext): string | undefined {
  const ref = ctx.objectRef as { resource: string; subresource: string; apiGroup: string };
  if (ref.resource === '') return undefined;
  return `${ctx.verb as string} ${ref.apiGroup || 'core'}/${ref.resource}${ref.subresource ? `/${ref.subresource}` : ''}`;
}

/**
 * A service account performs an operation (verb on a resource and subresource) it never performed during its
 * learning window. Workloads are repetitive: a controller lists and watches the same few resources all day, so a
 * new operation (a web app's account listing secrets, creating pods or exec-ing) is a strong sign its token is
 * being used by someone else. Learning is per account, from its first event, on event time; the memory is bounded
 * and saved between runs.
 */
export const saNewOperation = {
  id: 'PAL-RT-064',
  slug: 'sa-new-operation',
  title: 'Service account performed an operation it never performed before',
  description:
    'A service account was allowed an operation (verb, resource and subresource) that it did not perform during ' +
    'its learning window (the first 24 hours it was seen). Service accounts of workloads and controllers repeat ' +
    'the same operations; a new one often means a stolen token is being tried against the API. Each new ' +
    'operation is reported once, then learned.',
  severity: 'medium',
  mitre: { tactics: ['TA0007', 'TA0004'], techniques: ['T1078.004', 'T1613'] },
  nextSteps: [
    'Check whether a deployment changed what the workload does (a new release, an operator upgrade); if so, nothing to do.',
    'Otherwise find the pods running as this account and look for exec sessions, new images or unexpected outbound connections.',
    'Rotate the account token (delete its pods or secrets) and narrow its Role if it allows more than it needs.',
  ],
  enabled: true,
  tags: ['stateful', 'anomaly'],
  equivalents: { defender: ['K8S_ServiceAccountRareOperation'] },
  match: {},
  skips: (k) => !onceAllowed(k.stage, k.code, k.verb),
  start(saved?: unknown): DetectorState {
    const memory = new FirstSeenMemory(SA_NEW_OPERATION_LIMITS, saved);
    return {
      observe(ctx: EventContext): DetectorFinding[] {
        const username = (ctx.user as { username: string }).username;
        if (!isServiceAccount(username) || !isOnceAllowed(ctx)) return NO_FINDINGS;
        const op = operationOf(ctx);
        const t = eventTimeMs(ctx);
        if (op === undefined || t === undefined) return NO_FINDINGS;
        if (memory.observe(username, op, t) !== 'new') return NO_FINDINGS;
        const sa = serviceAccountOf(username)!;
        const target = (ctx.target as { ref: string }).ref;
        return [{ output: `service account ${sa.namespace}/${sa.name} performed ${op}${target ? ` on ${target}` : ''} for the first time (from ${(ctx.sourceIPs as string[])[0] ?? '<unknown>'}, ${(ctx.userAgent as string) || '<no user agent>'})` }];
      },
      save: () => memory.save(),
    };
  },
} satisfies Detector;
