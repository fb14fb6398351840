import { describeContainer, inContainer, setField, show, type Check } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { defaultPullPolicy, imageOf, parseImageRef } from './lib/images.js';

export const imagePullPolicyNotAlways = {
  id: 'PAL-032',
  slug: 'image-pull-policy-not-always',
  title: 'Image pull policy is not Always',
  description:
    'With `IfNotPresent` or `Never` a node reuses whatever image it has cached under that name: a pod can run a ' +
    'stale build of a moved tag, and can start a private image its own pull secret would not grant. ' +
    'The effective policy is judged: Kubernetes defaults an unset policy to `Always` only for `:latest` or ' +
    'untagged references, and to `IfNotPresent` for any other tag or a digest.',
  remediation: 'Set `imagePullPolicy: Always` on the container (pulls are cheap when the layers are cached).',
  severity: 'low',
  category: 'images',
  kinds: POD_KINDS,
  equivalents: {
    polaris: ['pullPolicyNotAlways'],
    kubeScore: ['container-image-pull-policy'],
    checkov: ['CKV_K8S_15'],
  },
  appliesTo: ({ pod }) => pod !== undefined && pod.allContainers.length > 0,
  evaluate({ pod }) {
    const out = [];
    for (const c of pod!.allContainers) {
      const policy = c.container.imagePullPolicy as unknown;
      const fix = setField([...c.path, 'imagePullPolicy'], 'Always', 'set imagePullPolicy to Always');
      if (policy === undefined || policy === null || policy === '') {
        const image = imageOf(c.container);
        // Without an image there is nothing to pull; the image checks report the missing image.
        if (image === undefined) continue;
        const effective = defaultPullPolicy(parseImageRef(image));
        if (effective === 'Always') continue;
        out.push(inContainer(c, ['imagePullPolicy'],
          `${describeContainer(c)} has no imagePullPolicy, so image ${show(image)} defaults to ${effective}`, fix));
      } else if (policy !== 'Always') {
        out.push(inContainer(c, ['imagePullPolicy'], `${describeContainer(c)} sets imagePullPolicy: ${show(policy)}`, fix));
      }
    }
    return out;
  },
} satisfies Check;
