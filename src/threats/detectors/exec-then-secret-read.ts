import { z } from 'zod';
import { LruMap } from '../lru.js';
import { eventTimeMs, isOnceAllowed, isoTime, serviceAccountOf, NO_FINDINGS, type Detector, type DetectorFinding, type DetectorState, type EventContext } from './detector.js';

/** Defaults: secret reads within 10 minutes of the exec; 10,000 open sessions and 100,000 pods remembered. */
export const EXEC_THEN_SECRET_READ_LIMITS = { windowMs: 10 * 60_000, maxSessions: 10_000, maxPods: 100_000 };

/** The token's pod, as bound service-account tokens (Kubernetes 1.21+) record it in the user's extra fields. */
const POD_NAME_EXTRA = 'authentication.kubernetes.io/pod-name';

interface Session {
  t: number;
  user: string;
  subresource: string;
  /** `ns/account` of the pod when known from its create request, else "". */
  account: string;
}

/** Open sessions remembered per account at most (older ones are still found through bound tokens). */
const MAX_SESSIONS_PER_ACCOUNT = 100;

const savedSchema = z.object({
  v: z.literal(1),
  sessions: z.array(z.tuple([z.string(), z.number(), z.string(), z.string(), z.string()])),
  pods: z.array(z.tuple([z.string(), z.string()])),
});

/**
 * Someone opens a shell in a pod (exec or attach), and within minutes the pod's own service account reads
 * secrets: the token mounted in the pod is being used from the shell. The pod of a token is known from the
 * bound token's `authentication.kubernetes.io/pod-name` extra field; for older tokens, from the
 * `serviceAccountName` of the pod's create request seen earlier.
 */
export const execThenSecretRead = {
  id: 'PAL-RT-068',
  slug: 'exec-then-secret-read',
  title: 'Secrets read with a pod\'s token after an exec into the pod',
  description:
    'An exec or attach session was opened into a pod, and within 10 minutes the service account of that pod ' +
    '(matched by the pod name in its bound token, or by the pod\'s serviceAccountName) read, listed or watched ' +
    'Secrets. Interactive access followed by credential reads with the pod\'s identity is how a foothold in one ' +
    'pod becomes access to the rest of the cluster. Reported once per exec session.',
  severity: 'high',
  mitre: { tactics: ['TA0006', 'TA0002'], techniques: ['T1552.007', 'T1609', 'T1528'] },
  nextSteps: [
    'Ask the person who opened the session (the exec alert names them) what they ran; look at the shell history in the pod if it still runs.',
    'Rotate the Secrets read and the service account token (delete the pod), and narrow the account\'s Role.',
    'Restrict pods/exec to break-glass roles.',
  ],
  enabled: true,
  tags: ['stateful', 'sequence'],
  equivalents: {},
  // delete: a deleted pod's account is forgotten (the memory follows the cluster, not the log).
  match: { verbs: ['create', 'delete', 'get', 'list', 'watch'], resources: ['pods', 'secrets'] },
  start(saved?: unknown): DetectorState {
    const { windowMs, maxSessions, maxPods } = EXEC_THEN_SECRET_READ_LIMITS;
    /** Open exec/attach sessions by `ns/pod`. */
    const sessions = new LruMap<string, Session>(maxSessions);
    /** Service account of a pod (`ns/pod` -> account name), from pod create requests. */
    const podAccounts = new LruMap<string, string>(maxPods);
    /** Pods with a session per `ns/account` (may hold ended sessions; checked against `sessions`). */
    const accountPods = new LruMap<string, string[]>(maxSessions);
    const open = (pod: string, s: Session) => {
      sessions.set(pod, s);
      if (s.account === '') return;
      const pods = (accountPods.get(s.account) ?? []).filter((p) => p !== pod && sessions.has(p));
      pods.push(pod);
      accountPods.set(s.account, pods.slice(-MAX_SESSIONS_PER_ACCOUNT));
    };
    const parsed = savedSchema.safeParse(saved);
    if (parsed.success) {
      for (const [pod, sa] of parsed.data.pods) podAccounts.set(pod, sa);
      for (const [pod, t, user, subresource, account] of parsed.data.sessions) open(pod, { t, user, subresource, account });
    }
    return {
      observe(ctx: EventContext): DetectorFinding[] {
        const t = eventTimeMs(ctx);
        if (t === undefined) return NO_FINDINGS;
        sessions.sweep((s) => t - s.t > windowMs);
        const target = ctx.target as { resource: string; subresource: string; namespace: string; name: string };
        if (target.resource === 'pods') {
          if ((target.subresource === 'exec' || target.subresource === 'attach') && isOnceAllowed(ctx)) {
            const pod = `${target.namespace}/${target.name}`;
            const sa = podAccounts.peek(pod);
            open(pod, { t, user: (ctx.user as { username: string }).username, subresource: target.subresource, account: sa === undefined ? '' : `${target.namespace}/${sa}` });
          } else if (ctx.verb === 'create' && target.subresource === '' && target.name !== '') {
            const spec = ctx.podSpec as { serviceAccountName?: unknown; serviceAccount?: unknown };
            const sa = typeof spec.serviceAccountName === 'string' ? spec.serviceAccountName : typeof spec.serviceAccount === 'string' ? spec.serviceAccount : 'default';
            podAccounts.set(`${target.namespace}/${target.name}`, sa);
          } else if (ctx.verb === 'delete' && target.subresource === '') {
            podAccounts.delete(`${target.namespace}/${target.name}`);
          }
          return NO_FINDINGS;
        }
        if (target.resource !== 'secrets' || !isOnceAllowed(ctx)) return NO_FINDINGS;
        const user = ctx.user as { username: string; extra: Record<string, unknown> };
        const sa = serviceAccountOf(user.username);
        if (!sa) return NO_FINDINGS;
        const podNames = user.extra[POD_NAME_EXTRA];
        let pods: string[];
        if (Array.isArray(podNames) && podNames.length > 0) pods = podNames.filter((p): p is string => typeof p === 'string').map((p) => `${sa.namespace}/${p}`);
        else pods = (accountPods.peek(`${sa.namespace}/${sa.name}`) ?? []).filter((pod) => sessions.peek(pod)?.account === `${sa.namespace}/${sa.name}`);
        const out: DetectorFinding[] = [];
        for (const pod of pods) {
          const s = sessions.peek(pod);
          if (!s || t < s.t) continue;
          sessions.delete(pod);
          const what = target.name ? `secret ${target.namespace}/${target.name}` : `secrets in ${target.namespace || 'all namespaces'}`;
          out.push({ output: `${s.user || '<unknown>'} opened ${s.subresource} into pod ${pod} at ${isoTime(s.t)}; ${Math.round((t - s.t) / 1000)}s later its service account ${sa.namespace}/${sa.name} ran ${ctx.verb as string} on ${what} from ${(ctx.sourceIPs as string[])[0] ?? '<unknown>'}` });
        }
        return out;
      },
      save: () => ({ v: 1, sessions: [...sessions.entries()].map(([pod, s]) => [pod, s.t, s.user, s.subresource, s.account]), pods: [...podAccounts.entries()] }) satisfies z.infer<typeof savedSchema>,
    };
  },
} satisfies Detector;
