import { describeContainer, inContainer, show, type Check } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { imageOf, parseImageRef, registryEntryMatches } from './lib/images.js';

export const imageFromUntrustedRegistry = {
  id: 'PAL-033',
  slug: 'image-from-untrusted-registry',
  title: 'Image from a registry that is not trusted',
  description:
    'Images pulled from arbitrary registries bypass the scanning, signing and provenance controls a team ' +
    'applies to its own. The check compares every image with `parameters.trustedRegistries` (registry hosts, ' +
    'host/path prefixes, or `*.` host wildcards; an image that names no registry comes from `docker.io`). ' +
    'It does not run until that list is configured.',
  remediation:
    'Mirror or rebuild the image into a trusted registry and reference it there, or add the registry to ' +
    '`parameters.trustedRegistries` in palisade.yaml if it is trusted.',
  severity: 'high',
  category: 'images',
  kinds: POD_KINDS,
  parameters: ['trustedRegistries'],
  equivalents: {
    kubescape: ['C-0078'],
    defender: ['Container images should be deployed from trusted registries only'],
  },
  // An empty list means "not configured": reporting every image would only be noise.
  appliesTo: ({ pod, params }) =>
    params.trustedRegistries.length > 0 && pod !== undefined && pod.allContainers.some((c) => imageOf(c.container) !== undefined),
  evaluate({ pod, params }) {
    const out = [];
    for (const c of pod!.allContainers) {
      const image = imageOf(c.container);
      if (image === undefined) continue;
      const ref = parseImageRef(image);
      if (params.trustedRegistries.some((e) => registryEntryMatches(e, ref))) continue;
      const where = ref.explicitRegistry ? `registry ${show(ref.registry)}` : `registry "docker.io" (no registry named)`;
      out.push(inContainer(c, ['image'], `${describeContainer(c)} image ${show(image)} comes from ${where}, which is not in trustedRegistries`));
    }
    return out;
  },
} satisfies Check;
