/**
 * SBOMs as scan input: CycloneDX JSON (1.4 to 1.6) and SPDX JSON (2.2, 2.3) read into the OS and packages
 * that the image analyzers would have given.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { PalisadeError } from '../../model/errors.js';
import { readCycloneDx } from './cyclonedx.js';
import { readSpdx } from './spdx.js';
import type { SbomDocument } from './types.js';

export { CYCLONEDX_VERSIONS } from './cyclonedx.js';
export { SPDX_VERSIONS } from './spdx.js';
export { packageFromPurl } from './purl.js';
export type { SbomDocument } from './types.js';

/** Largest SBOM file read (a full distribution image with language packages is a few MiB). */
export const MAX_SBOM_BYTES = 256 * 1024 ** 2;

/** Reads an already-parsed JSON document as CycloneDX or SPDX, by its `bomFormat` or `spdxVersion` field. */
export function parseSbom(doc: unknown, file: string): SbomDocument {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new PalisadeError('E_SBOM_FORMAT', 'an SBOM is a JSON object; this is not', { file });
  }
  const o = doc as Record<string, unknown>;
  if (o.bomFormat !== undefined) {
    if (o.bomFormat !== 'CycloneDX') throw new PalisadeError('E_SBOM_FORMAT', `bomFormat "${String(o.bomFormat)}" is not CycloneDX`, { file, field: 'bomFormat' });
    return readCycloneDx(doc, file);
  }
  if (o.spdxVersion !== undefined) return readSpdx(doc, file);
  throw new PalisadeError('E_SBOM_FORMAT', 'not a CycloneDX or SPDX JSON document (it has neither bomFormat nor spdxVersion)', { file });
}

/** Reads an SBOM file (CycloneDX or SPDX JSON). Errors are `E_SBOM_FORMAT` or `E_READ`, naming the file and field. */
export async function readSbomFile(file: string): Promise<SbomDocument> {
  const s = await stat(file).catch((e: NodeJS.ErrnoException) => {
    throw new PalisadeError('E_READ', `cannot read: ${e.code ?? e.message}`, { file });
  });
  if (s.size > MAX_SBOM_BYTES) throw new PalisadeError('E_SBOM_FORMAT', `${s.size} bytes, over the ${MAX_SBOM_BYTES}-byte limit for an SBOM`, { file });
  const text = await readFile(file, 'utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new PalisadeError('E_SBOM_FORMAT', `not valid JSON: ${(e as Error).message}`, { file });
  }
  return parseSbom(doc, file);
}

/**
 * True when a file looks like a JSON document (its first non-blank byte is `{`), which no image archive
 * does: the test that sends a path to the SBOM reader rather than to the image opener.
 */
export async function looksLikeJsonFile(file: string): Promise<boolean> {
  const s = await stat(file).catch(() => undefined);
  if (!s?.isFile()) return false;
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(512);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    let text = buf.subarray(0, bytesRead).toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return text.trimStart().startsWith('{');
  } finally {
    await fh.close();
  }
}
