import { describeContainer, inContainer, show, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { arr, isRecord } from './lib/cross-resource.js';
import { imageOf, parseImageRef } from './lib/images.js';

const LABEL_KEYS = ['app', 'k8s-app', 'app.kubernetes.io/name'];

/** The label that names the dashboard (`app=kubernetes-dashboard`...), if any. */
function dashboardLabel(labels: unknown): string | undefined {
  if (!isRecord(labels)) return undefined;
  return LABEL_KEYS.find((k) => Object.hasOwn(labels, k) && labels[k] === 'kubernetes-dashboard');
}

/** The upstream images (`kubernetesui/dashboard`, `kubernetesui/metrics-scraper`) and the older `kubernetes-dashboard-amd64`. */
function isDashboardImage(image: string): boolean {
  const repo = parseImageRef(image).repository;
  return repo.includes('kubernetes-dashboard') || /(^|\/)kubernetesui\//.test(repo);
}

/** Flags that let anyone who reaches the UI in without a token, or over plain HTTP. */
const WEAK_FLAGS = /^--(enable-skip-login|enable-insecure-login)(=true)?$/;

export const kubernetesDashboardDeployed = {
  id: 'PAL-111',
  slug: 'kubernetes-dashboard-deployed',
  title: 'Kubernetes Dashboard is deployed',
  description:
    'The Kubernetes Dashboard is a web UI that acts on the cluster with the token it is given or with its own service ' +
    'account; exposed or over-privileged dashboards are a classic entry point for cluster takeover and cryptomining.',
  remediation:
    'Remove the dashboard and use kubectl or a managed console; if it must stay, keep it internal, require token login ' +
    '(no --enable-skip-login) and give its service account no rights beyond its own namespace.',
  severity: 'medium',
  category: 'configuration',
  kinds: POD_KINDS,
  equivalents: {
    checkov: ['CKV_K8S_33'],
  },
  evaluate({ object, pod }) {
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      const image = imageOf(c.container);
      if (image === undefined || !isDashboardImage(image)) continue;
      const args = [...arr(c.container.args), ...arr(c.container.command)];
      const weak = args.filter((a): a is string => typeof a === 'string' && WEAK_FLAGS.test(a));
      const extra = weak.length > 0 ? `, with ${weak.join(' ')}` : '';
      out.push(inContainer(c, ['image'], `${describeContainer(c)} runs Kubernetes Dashboard image ${show(image)}${extra}`));
    }
    if (out.length > 0) return out;
    // Read from the raw maps (the value looked for is a word, so no scalar needs its string form): this runs on every workload.
    let key = dashboardLabel(object.metadata.labels);
    if (key) return [{ path: ['metadata', 'labels', key], message: `workload is labelled ${key}=kubernetes-dashboard` }];
    key = dashboardLabel(pod!.metadata.labels);
    if (key) return [{ path: [...pod!.metadataPath, 'labels', key], message: `workload is labelled ${key}=kubernetes-dashboard` }];
    return out;
  },
} satisfies Check;
