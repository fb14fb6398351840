import { FirstSeenMemory, type FirstSeenOptions } from '../first-seen.js';
import { eventTimeMs, isServiceAccount, serviceAccountOf, NO_FINDINGS, type Detector, type DetectorFinding, type DetectorState, type EventContext } from './detector.js';

/** Defaults: a day of learning per service account, 20,000 accounts of up to 50 clients, forgotten after 30 idle days. */
export const SA_NEW_USER_AGENT_LIMITS: FirstSeenOptions = { learningMs: 24 * 3_600_000, maxPrincipals: 20_000, maxKeysPerPrincipal: 50, forgetAfterMs: 30 * 24 * 3_600_000 };

/**
 * The client of a user agent without its version and platform: `kubectl/v1.30.1 (linux/amd64) kubernetes/6911225`
 * -> `kubectl`, `python-requests/2.31` -> `python-requests`. Upgrades change versions every few weeks; a new
 * client program is what matters.
 */
export function userAgentClient(ua: string): string {
  const s = ua.trim();
  const cut = s.search(/[/\s(]/);
  return (cut === -1 ? s : s.slice(0, cut)).toLowerCase();
}

/**
 * A service account's token is used by a client program (user agent) it was not used by during its learning
 * window. A pod's token used from `curl`, `python-requests` or `kubectl` instead of the workload's own client
 * is the usual trace of a token taken from inside the pod and used by hand.
 */
export const saNewUserAgent = {
  id: 'PAL-RT-065',
  slug: 'sa-new-user-agent',
  title: 'Service account used by a new client program',
  description:
    'A request authenticated as a service account came from a client program (the user agent without its ' +
    'version) that the account did not use during its learning window (the first 24 hours it was seen). ' +
    'Workloads talk to the API through one client; a token taken from a pod and used with kubectl, curl or a ' +
    'script shows up as a new user agent. Each new client is reported once per account, then learned.',
  severity: 'medium',
  mitre: { tactics: ['TA0006', 'TA0005'], techniques: ['T1528', 'T1550.001'] },
  nextSteps: [
    'Check whether the workload was changed to use another client library (a new release); if so, nothing to do.',
    'Otherwise look at the source address: a pod address means someone runs the client inside a pod (see exec alerts); an outside address means the token left the cluster.',
    'Rotate the token and review what the account did since (palisade audit scan --rule sa-new-operation).',
  ],
  enabled: true,
  tags: ['stateful', 'anomaly'],
  equivalents: {},
  match: {},
  skips: (k) => k.stage === 'RequestReceived',
  start(saved?: unknown): DetectorState {
    const memory = new FirstSeenMemory(SA_NEW_USER_AGENT_LIMITS, saved);
    const clients = new Map<string, string>();
    return {
      observe(ctx: EventContext): DetectorFinding[] {
        const username = (ctx.user as { username: string }).username;
        // Every authenticated request counts, refused ones too: trying a stolen token is worth knowing.
        if (!isServiceAccount(username) || ctx.stage === 'RequestReceived') return NO_FINDINGS;
        const ua = ctx.userAgent as string;
        const t = eventTimeMs(ctx);
        if (t === undefined) return NO_FINDINGS;
        let client = clients.get(ua);
        if (client === undefined) {
          client = ua === '' ? '<none>' : userAgentClient(ua);
          // A handful of agents recur; the cache starts over rather than grow with hostile input.
          if (clients.size >= 1000) clients.clear();
          clients.set(ua, client);
        }
        if (memory.observe(username, client, t) !== 'new') return NO_FINDINGS;
        const sa = serviceAccountOf(username)!;
        return [{ output: `service account ${sa.namespace}/${sa.name} used by new client "${client}" (user agent ${ua || '<none>'}) from ${(ctx.sourceIPs as string[])[0] ?? '<unknown>'}: ${ctx.verb as string} ${(ctx.target as { resource: string }).resource || (ctx.requestURI as string)}` }];
      },
      save: () => memory.save(),
    };
  },
} satisfies Detector;
