import { describeContainer, inContainer, show, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { hasDigest, parseImageRef } from './lib/images.js';

export const imageLatestTag = {
  id: 'PAL-030',
  slug: 'image-latest-tag',
  title: 'Image uses the latest tag or no tag',
  description:
    'An image without a tag means `:latest`, and `latest` (like any tag) moves: two nodes can run different code ' +
    'under one manifest, a restart can pick up an untested build, and a rollback cannot go back. ' +
    'A reference pinned by digest is immutable and passes.',
  remediation: 'Reference an explicit version tag (`nginx:1.27.3`), or better a digest (`nginx@sha256:...`).',
  severity: 'medium',
  category: 'images',
  kinds: POD_KINDS,
  equivalents: {
    polaris: ['tagNotSpecified'],
    kubeScore: ['container-image-tag'],
    checkov: ['CKV_K8S_14'],
    kubeLinter: ['latest-tag'],
    trivy: ['KSV013'],
  },
  appliesTo: ({ pod }) => pod !== undefined && pod.allContainers.length > 0,
  evaluate({ pod }) {
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      const image = c.container.image as unknown;
      if (typeof image !== 'string' || image.trim() === '') {
        out.push(inContainer(c, ['image'], `${describeContainer(c)} has no image (${show(image)})`));
        continue;
      }
      const ref = parseImageRef(image);
      if (hasDigest(ref)) continue;
      if (ref.tag === undefined || ref.tag === '') {
        out.push(inContainer(c, ['image'], `${describeContainer(c)} image ${show(image)} has no tag, so it means :latest`));
      } else if (ref.tag === 'latest') {
        out.push(inContainer(c, ['image'], `${describeContainer(c)} image ${show(image)} uses the latest tag`));
      }
    }
    return out;
  },
} satisfies Check;
