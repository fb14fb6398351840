import { setField, show, type Check } from '../check.js';

export const cronjobStartingDeadlineMissing = {
  id: 'PAL-053',
  slug: 'cronjob-starting-deadline-missing',
  title: 'CronJob has no starting deadline',
  description:
    'Without startingDeadlineSeconds the controller counts every missed schedule since the last run; after more ' +
    'than 100 misses (a controller outage, a long suspension) it stops scheduling the CronJob altogether, and ' +
    'late runs start at arbitrary times.',
  remediation: 'Set `spec.startingDeadlineSeconds` to how late a run may still usefully start (at least 10 seconds).',
  severity: 'low',
  category: 'reliability',
  kinds: ['CronJob'],
  equivalents: {
    kubeScore: ['cronjob-has-deadline'],
  },
  evaluate({ object }) {
    const v = (object.spec as { startingDeadlineSeconds?: unknown } | undefined)?.startingDeadlineSeconds;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return [];
    const path = ['spec', 'startingDeadlineSeconds'];
    return [{
      path,
      message: v === undefined || v === null ? 'CronJob sets no spec.startingDeadlineSeconds' : `CronJob spec.startingDeadlineSeconds ${show(v)} is not a number of seconds`,
      fix: setField(path, 300, 'set startingDeadlineSeconds to 300 (adjust to the schedule)'),
    }];
  },
} satisfies Check;
