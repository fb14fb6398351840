/** One step into a JSON value: a mapping key or a sequence index. */
export type Segment = string | number;
/** A field path inside a resource, as segments. */
export type FieldPath = readonly Segment[];

const SIMPLE_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/**
 * Renders a path the way kubectl and most policy tools print it:
 * `spec.template.spec.containers[1].securityContext.privileged`; keys with dots or slashes
 * (annotations, labels) are quoted: `metadata.annotations["app.kubernetes.io/name"]`.
 */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (SIMPLE_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Reads the value at `path`, or undefined when any step is missing. */
export function getIn(value: unknown, path: FieldPath): unknown {
  let cur: unknown = value;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}
