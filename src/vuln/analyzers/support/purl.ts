import { PackageURL } from 'packageurl-js';

/** Purl qualifiers; empty and undefined values are left out. */
export type Qualifiers = Record<string, string | undefined>;

/**
 * Builds a package URL with the `packageurl-js` reference implementation, which does the percent-encoding
 * and the per-type normalisation of the purl specification.
 */
export function purl(type: string, namespace: string | undefined, name: string, version: string | undefined, qualifiers: Qualifiers = {}): string {
  const q: Record<string, string> = {};
  for (const [k, v] of Object.entries(qualifiers)) if (v !== undefined && v !== '') q[k] = v;
  return new PackageURL(type, namespace || undefined, name, version || undefined, Object.keys(q).length ? q : undefined, undefined).toString();
}

/** A Go module purl: the last path element is the name, the rest the namespace (`pkg:golang/github.com/a/b@v1.0.0`). */
export function goPurl(modulePath: string, version: string): string {
  const i = modulePath.lastIndexOf('/');
  return i < 0 ? purl('golang', undefined, modulePath, version) : purl('golang', modulePath.slice(0, i), modulePath.slice(i + 1), version);
}
