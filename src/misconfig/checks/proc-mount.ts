import { describeContainer, inContainer, setField, show, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { containerSecurityContext, hasContainers } from './lib/pod-security.js';

export const procMount = {
  id: 'PAL-017',
  slug: 'proc-mount',
  title: 'Container unmasks /proc',
  description:
    'Container runtimes mask and make read-only the sensitive parts of /proc (kcore, sysrq-trigger, timer lists, ' +
    '...). procMount: Unmasked turns that off and exposes kernel interfaces that help escape to the node. Pod ' +
    'Security Standards (baseline) require the Default proc mount.',
  remediation: 'Remove `securityContext.procMount` or set it to `Default`.',
  severity: 'medium',
  category: 'pod-security',
  kinds: POD_KINDS,
  equivalents: {
    polaris: ['procMount'],
    kubeLinter: ['unsafe-proc-mount'],
    trivy: ['KSV027'],
  },
  appliesTo: hasContainers,
  evaluate({ pod }) {
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      const v = containerSecurityContext(c).procMount;
      if (v === undefined || v === null || v === 'Default') continue;
      const path = [...c.path, 'securityContext', 'procMount'];
      out.push(inContainer(c, ['securityContext', 'procMount'], `${describeContainer(c)} sets procMount: ${show(v)}`, setField(path, 'Default', 'use the default /proc mount')));
    }
    return out;
  },
} satisfies Check;
