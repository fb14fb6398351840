import { setField, show, type Check } from '../check.js';

export const jobRestartPolicyInvalid = {
  id: 'PAL-054',
  slug: 'job-restart-policy-invalid',
  title: 'Job pod template has no valid restartPolicy',
  description:
    'The pods of a Job or CronJob must set restartPolicy to OnFailure or Never. Left unset it defaults to Always, ' +
    'which the API server rejects for Jobs, so the CronJob never runs.',
  remediation: 'Set `restartPolicy: OnFailure` (retry in place) or `Never` (new pod per retry) in the pod template spec.',
  severity: 'medium',
  category: 'reliability',
  kinds: ['Job', 'CronJob'],
  equivalents: {
    kubeScore: ['cronjob-restartpolicy'],
  },
  appliesTo: ({ pod }) => pod !== undefined,
  evaluate({ pod }) {
    const v = pod!.spec.restartPolicy;
    if (v === 'OnFailure' || v === 'Never') return [];
    const path = [...pod!.specPath, 'restartPolicy'];
    return [{
      path,
      message: v === undefined || v === null ? 'pod template sets no restartPolicy (it defaults to Always, invalid for Jobs)' : `pod template restartPolicy ${show(v)} must be OnFailure or Never`,
      fix: setField(path, 'OnFailure', 'set restartPolicy to OnFailure'),
    }];
  },
} satisfies Check;
