import { describeContainer, inContainer, show, type Check, type CheckResult } from '../check.js';
import type { K8sObject } from '../../model/resource.js';
import { POD_KINDS } from '../pod-view.js';
import { arr, isRecord, rec } from './lib/cross-resource.js';
import { imageOf, parseImageRef } from './lib/images.js';

/**
 * `helm init` labels Tiller's Deployment, pods and Service with app=helm, name=tiller. Read from the raw
 * map (both values are words, so no scalar needs its string form): this runs on every workload.
 */
function hasTillerLabels(labels: unknown): boolean {
  return isRecord(labels) && Object.hasOwn(labels, 'app') && labels.app === 'helm' && Object.hasOwn(labels, 'name') && labels.name === 'tiller';
}

/** A Service named like Tiller's (`tiller-deploy`) or carrying or selecting the Tiller labels. */
function isTillerService(object: K8sObject): boolean {
  const name = typeof object.metadata.name === 'string' ? object.metadata.name : '';
  return name.toLowerCase().startsWith('tiller') || hasTillerLabels(object.metadata.labels) || hasTillerLabels(rec(object.spec).selector);
}

/** Tiller's gRPC port. */
const TILLER_PORT = 44134;

export const tillerDeployed = {
  id: 'PAL-110',
  slug: 'tiller-deployed',
  title: 'Tiller (Helm v2) is deployed',
  description:
    'Tiller, the server side of Helm v2, runs with broad (usually cluster-admin) rights and by default serves an ' +
    'unauthenticated gRPC API inside the cluster: any pod that reaches port 44134 can install arbitrary charts. Helm v2 ' +
    'has been unsupported since 2020.',
  remediation: 'Migrate releases to Helm v3 (`helm 2to3`), then delete the Tiller Deployment, Service and service account.',
  severity: 'high',
  category: 'configuration',
  kinds: [...POD_KINDS, 'Service'],
  equivalents: {
    checkov: ['CKV_K8S_34', 'CKV_K8S_44'],
    trivy: ['KSV102'],
  },
  // Services are judged only when they are Tiller's: any other Service says nothing about Tiller
  // (Checkov counts them as unknown, not passed). Every pod-bearing resource is judged.
  appliesTo: ({ object }) => object.kind !== 'Service' || isTillerService(object),
  evaluate({ object, pod }) {
    if (object.kind === 'Service') {
      const name = typeof object.metadata.name === 'string' ? object.metadata.name : '';
      const tillerPort = arr(rec(object.spec).ports).some((p) => {
        const port = rec(p);
        return port.name === 'tiller' || port.port === TILLER_PORT || port.targetPort === 'tiller';
      });
      return [{ path: ['metadata', 'name'], message: `Service ${show(name)} exposes Tiller${tillerPort ? ` on port ${TILLER_PORT}` : ''}` }];
    }
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      const image = imageOf(c.container);
      if (image === undefined) continue;
      const repo = parseImageRef(image).repository;
      if (repo.slice(repo.lastIndexOf('/') + 1).startsWith('tiller')) {
        out.push(inContainer(c, ['image'], `${describeContainer(c)} runs Tiller image ${show(image)}`));
      }
    }
    if (out.length === 0 && (hasTillerLabels(object.metadata.labels) || hasTillerLabels(pod!.metadata.labels))) {
      out.push({ path: ['metadata', 'labels'], message: 'workload carries the Tiller labels app=helm, name=tiller' });
    }
    return out;
  },
} satisfies Check;
