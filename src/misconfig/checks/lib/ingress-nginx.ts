import type { K8sObject } from '../../../model/resource.js';

/** One ingress-nginx snippet annotation (any key containing `snippet`) with its string value, if it has one. */
export interface SnippetAnnotation {
  key: string;
  value: string | undefined;
  path: Array<string | number>;
}

/** Every snippet annotation of an object; tolerates malformed annotations. */
export function snippetAnnotations(object: K8sObject): SnippetAnnotation[] {
  const ann = object.metadata.annotations;
  if (ann === null || typeof ann !== 'object') return [];
  return Object.entries(ann as Record<string, unknown>)
    .filter(([key]) => key.toLowerCase().includes('snippet'))
    .map(([key, value]) => ({ key, value: typeof value === 'string' ? value : undefined, path: ['metadata', 'annotations', key] }));
}
