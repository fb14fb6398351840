import { setField, show, type Check } from '../check.js';
import { POD_KINDS } from '../pod-view.js';

const INSTANCE = 'app.kubernetes.io/instance';

export const instanceLabelMismatch = {
  id: 'PAL-050',
  slug: 'instance-label-mismatch',
  title: 'app.kubernetes.io/instance label does not match the name',
  description:
    'The recommended label `app.kubernetes.io/instance` identifies one instance of an application; when it ' +
    'differs from metadata.name, dashboards, cost reports and policies that group by it attribute the workload ' +
    'to the wrong instance. Resources without the label are not checked.',
  remediation: `Set the \`${INSTANCE}\` label to the resource's metadata.name, or remove it if it does not identify the instance.`,
  severity: 'info',
  category: 'configuration',
  kinds: POD_KINDS,
  equivalents: {
    polaris: ['metadataAndInstanceMismatched'],
  },
  appliesTo: ({ object }) => {
    const labels = object.metadata.labels;
    return labels !== null && typeof labels === 'object' && Object.hasOwn(labels, INSTANCE);
  },
  evaluate({ object }) {
    const value = (object.metadata.labels as Record<string, unknown>)[INSTANCE];
    const name = object.metadata.name;
    if (typeof name !== 'string' || value === name) return [];
    const path = ['metadata', 'labels', INSTANCE];
    return [{
      path,
      message: `label ${INSTANCE} is ${show(value)} but metadata.name is ${show(name)}`,
      fix: setField(path, name, `set ${INSTANCE} to ${show(name)}`),
    }];
  },
} satisfies Check;
