/**
 * Names Palisade writes into SBOMs and reads back from them, so that an SBOM it produced scans exactly like
 * the image it describes: CycloneDX property names (component `properties`) and the SPDX annotation prefix.
 */
export const SBOM_PROPERTY = {
  /** Source package (Debian source, source RPM, Alpine origin) that advisories are written against. */
  sourceName: 'palisade:package:source-name',
  sourceVersion: 'palisade:package:source-version',
  /** RHEL module stream (`nodejs:18`). */
  module: 'palisade:package:module',
  /** File the package was found in (`/var/lib/dpkg/status`). */
  filePath: 'palisade:package:file-path',
  /** Compressed digest, uncompressed digest and position of the image layer that added the package. */
  layerDigest: 'palisade:package:layer-digest',
  layerDiffId: 'palisade:package:layer-diff-id',
  layerIndex: 'palisade:package:layer-index',
  /** Image-level facts on the image component. */
  imageDigest: 'palisade:image:digest',
  imageId: 'palisade:image:id',
  imagePlatform: 'palisade:image:platform',
  imageKind: 'palisade:image:kind',
  /** Set on a vulnerability that an ignore entry suppressed, with the entry's reason. */
  ignored: 'palisade:vulnerability:ignored',
} as const;

/** SPDX keeps the same facts as package annotations whose comment is `<property name>=<value>`. */
export const SPDX_ANNOTATION_PREFIX = 'palisade:';
