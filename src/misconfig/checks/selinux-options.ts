import { describeContainer, removeField, show, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { effectiveField, hasContainers, isRecord, originLabel } from './lib/pod-security.js';

/** Pod Security Standards (baseline): the SELinux types container runtimes use for containers. */
const ALLOWED_TYPES: ReadonlySet<string> = new Set(['container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);

export const selinuxOptions = {
  id: 'PAL-016',
  slug: 'selinux-options',
  title: 'Custom SELinux user, role or type',
  description:
    'SELinux confines containers through their process type (container_t). Setting a custom type, user or role can ' +
    'run the container in an unconfined or host domain (spc_t, unconfined_t) and lift that confinement. Pod ' +
    'Security Standards (baseline) allow only the container types and no user or role.',
  remediation:
    'Remove `seLinuxOptions.user` and `seLinuxOptions.role`, and leave `seLinuxOptions.type` unset or set it to ' +
    'container_t, container_init_t, container_kvm_t or container_engine_t. `level` (MCS categories) may stay.',
  severity: 'medium',
  category: 'pod-security',
  kinds: POD_KINDS,
  equivalents: {
    trivy: ['KSV025'],
  },
  appliesTo: hasContainers,
  evaluate({ pod }) {
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      // The container's seLinuxOptions replace the pod's as a whole (kubelet semantics), not field by field.
      const eff = effectiveField(pod!, c, 'seLinuxOptions');
      if (!isRecord(eff.value)) continue;
      const opts = eff.value;
      const who = `${describeContainer(c)} runs with SELinux`;
      const from = ` (set by ${originLabel(eff)})`;
      const type = opts.type;
      if (type !== undefined && type !== null && type !== '' && !(typeof type === 'string' && ALLOWED_TYPES.has(type))) {
        out.push({ path: [...eff.path, 'type'], container: c.name, message: `${who} type ${show(type)}${from}`, fix: removeField([...eff.path, 'type'], 'remove the custom SELinux type') });
      }
      for (const field of ['user', 'role'] as const) {
        const v = opts[field];
        if (v === undefined || v === null || v === '') continue;
        out.push({ path: [...eff.path, field], container: c.name, message: `${who} ${field} ${show(v)}${from}`, fix: removeField([...eff.path, field], `remove the SELinux ${field}`) });
      }
    }
    return out;
  },
} satisfies Check;
