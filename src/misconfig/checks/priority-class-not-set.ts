import { show, type Check } from '../check.js';
import { POD_KINDS } from '../pod-view.js';

export const priorityClassNotSet = {
  id: 'PAL-044',
  slug: 'priority-class-not-set',
  title: 'Pod has no priority class',
  description:
    'Without a priorityClassName pods get the cluster default priority (usually 0): under resource pressure the ' +
    'scheduler cannot tell critical services from batch work, and may preempt or leave pending the wrong ones.',
  remediation: 'Set `priorityClassName` in the pod spec to one of the cluster\'s PriorityClasses that matches the workload\'s importance.',
  severity: 'info',
  category: 'reliability',
  kinds: POD_KINDS,
  equivalents: {
    polaris: ['priorityClassNotSet'],
  },
  appliesTo: ({ pod }) => pod !== undefined,
  evaluate({ pod }) {
    const v = pod!.spec.priorityClassName;
    if (typeof v === 'string' && v.trim() !== '') return [];
    return [{ path: [...pod!.specPath, 'priorityClassName'], message: `pod spec sets no priorityClassName (${show(v)})` }];
  },
} satisfies Check;
