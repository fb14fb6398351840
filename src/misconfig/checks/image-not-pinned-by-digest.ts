import { describeContainer, inContainer, show, type Check } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { hasDigest, imageOf, parseImageRef } from './lib/images.js';

export const imageNotPinnedByDigest = {
  id: 'PAL-031',
  slug: 'image-not-pinned-by-digest',
  title: 'Image is not pinned by digest',
  description:
    'Tags are mutable: whoever can push to the repository can change what `app:1.4.2` runs, and the next pod ' +
    'start pulls it. A digest names exactly one image, so what was scanned and approved is what runs.',
  remediation:
    'Reference images by digest (`registry.example.com/app@sha256:...`, optionally keeping the tag for readers: ' +
    '`app:1.4.2@sha256:...`); let your CD tooling or a policy engine resolve tags to digests.',
  severity: 'low',
  category: 'images',
  kinds: POD_KINDS,
  equivalents: {
    checkov: ['CKV_K8S_43'],
  },
  appliesTo: ({ pod }) => pod !== undefined && pod.allContainers.some((c) => imageOf(c.container) !== undefined),
  evaluate({ pod }) {
    return pod!.allContainers
      .filter((c) => {
        const image = imageOf(c.container);
        return image !== undefined && !hasDigest(parseImageRef(image));
      })
      .map((c) => inContainer(c, ['image'], `${describeContainer(c)} image ${show(c.container.image)} is not pinned by digest`));
  },
} satisfies Check;
