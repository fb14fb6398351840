import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { PackageURL } from 'packageurl-js';
import type { ImageInventory } from '../model/image-report.js';
import type { Package } from '../model/package.js';

/** What the SBOM renderers need besides the inventory. */
export interface SbomRenderOptions {
  toolVersion: string;
  /** ISO time written as the document's creation time. */
  generatedAt: string;
}

/**
 * A UUID (version 5 layout) derived from the document's content, so that the same image scanned at the
 * same time gives the same serial number and namespace, and different ones never collide.
 */
export function contentUuid(parts: ReadonlyArray<string>): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** The inventory's identity, for `contentUuid`. */
export function inventoryKey(inv: ImageInventory, generatedAt: string): string[] {
  return [inv.target.name, inv.target.digest ?? '', inv.target.imageId ?? '', generatedAt, ...inv.packages.map((p) => `${p.purl}|${p.filePath ?? ''}`)];
}

/**
 * An OCI purl for the image when its digest is known (`pkg:oci/app@sha256:...?repository_url=reg/ns/app`),
 * as the purl specification names container images.
 */
export function imagePurl(inv: ImageInventory): string | undefined {
  const t = inv.target;
  if (t.kind !== 'registry' || !t.digest) return undefined;
  const repo = t.name.replace(/@sha256:[0-9a-f]+$/, '').replace(/:[^/:]+$/, '');
  const name = repo.split('/').pop()!.toLowerCase();
  const q: Record<string, string> = { repository_url: repo };
  if (t.platform) q.arch = t.platform.split('/')[1] ?? t.platform;
  return new PackageURL('oci', undefined, name, t.digest, q, undefined).toString();
}

/** OS packages (dpkg, apk, rpm) sit under the OS in the SBOM tree; language packages under the image. */
export function isOsPackage(p: Package): boolean {
  return p.scheme === 'deb' || p.scheme === 'apk' || p.scheme === 'rpm';
}

const require = createRequire(import.meta.url);
const parseSpdxExpression = require('spdx-expression-parse') as (s: string) => unknown;

/** True when `s` is a valid SPDX license expression (a single id is one). */
export function isSpdxExpression(s: string): boolean {
  try {
    parseSpdxExpression(s);
    return true;
  } catch {
    return false;
  }
}
