import type { ImageScanTarget } from '../../model/advisory.js';
import type { OsInfo, Package } from '../../model/package.js';
import type { Collected } from './collect.js';
import { formatPath } from '../../model/path.js';

/** An SBOM read as scan input: the same OS and packages an image analysis gives. */
export interface SbomDocument {
  format: 'cyclonedx' | 'spdx';
  /** `1.6` for CycloneDX, `SPDX-2.3` for SPDX. */
  specVersion: string;
  file: string;
  /** Name of what the SBOM describes (the image component, the SPDX DESCRIBES target). */
  describes?: string;
  target: ImageScanTarget;
  os?: OsInfo;
  packages: Package[];
  /** Entries that were skipped and why; the rest of the document was still read. */
  warnings: string[];
}

/** A zod issue path as a field name (`components[3].purl`). */
export function fieldOf(path: ReadonlyArray<PropertyKey>): string | undefined {
  const segs = path.filter((p): p is string | number => typeof p !== 'symbol');
  return segs.length ? formatPath(segs) : undefined;
}

/** What an SBOM says about the image it describes (properties Palisade writes, or a peer's equivalents). */
export interface SbomImageFacts {
  digest?: string;
  imageId?: string;
  platform?: string;
}

/** The scan input of an SBOM of either format: its target, OS, packages and every warning. */
export function sbomDocument(
  head: Pick<SbomDocument, 'format' | 'specVersion' | 'file' | 'describes'>,
  image: SbomImageFacts,
  collected: Collected,
  warnings: readonly string[],
): SbomDocument {
  const { digest, imageId, platform } = image;
  return {
    ...head,
    target: {
      name: head.file,
      kind: 'sbom',
      ...(digest ? { digest } : {}),
      ...(imageId ? { imageId } : {}),
      ...(platform ? { platform } : {}),
      ...(collected.os ? { os: collected.os } : {}),
    },
    os: collected.os,
    packages: collected.packages,
    warnings: [...warnings, ...collected.warnings],
  };
}
