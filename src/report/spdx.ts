import { createHash } from 'node:crypto';
import type { DetectedVulnerability } from '../model/advisory.js';
import type { ImageInventory } from '../model/image-report.js';
import type { Package } from '../model/package.js';
import { SBOM_PROPERTY } from '../model/sbom.js';
import { contentUuid, imagePurl, inventoryKey, isOsPackage, isSpdxExpression, type SbomRenderOptions } from './sbom-common.js';

/** Options of the SPDX renderer; vulnerabilities become `SECURITY` / `advisory` references of their packages. */
export interface SpdxOptions extends SbomRenderOptions {
  vulnerabilities?: DetectedVulnerability[];
}

interface SpdxExternalRef {
  referenceCategory: 'PACKAGE-MANAGER' | 'SECURITY' | 'OTHER' | 'PERSISTENT-ID';
  referenceType: string;
  referenceLocator: string;
  comment?: string;
}

interface SpdxAnnotation {
  annotationDate: string;
  annotationType: 'OTHER';
  annotator: string;
  comment: string;
}

/** One SPDX 2.3 package element (the fields Palisade writes). */
export interface SpdxPackageElement {
  SPDXID: string;
  name: string;
  versionInfo?: string;
  downloadLocation: 'NOASSERTION';
  filesAnalyzed: false;
  primaryPackagePurpose: 'CONTAINER' | 'OPERATING_SYSTEM' | 'LIBRARY' | 'SOURCE' | 'OTHER';
  licenseConcluded: 'NOASSERTION';
  licenseDeclared: string;
  copyrightText: 'NOASSERTION';
  description?: string;
  externalRefs?: SpdxExternalRef[];
  annotations?: SpdxAnnotation[];
}

/** An SPDX 2.3 JSON document as Palisade writes it. */
export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3';
  dataLicense: 'CC0-1.0';
  SPDXID: 'SPDXRef-DOCUMENT';
  name: string;
  documentNamespace: string;
  creationInfo: { created: string; creators: string[] };
  packages: SpdxPackageElement[];
  relationships: Array<{ spdxElementId: string; relationshipType: 'DESCRIBES' | 'CONTAINS' | 'GENERATED_FROM'; relatedSpdxElement: string }>;
  hasExtractedLicensingInfos?: Array<{ licenseId: string; name: string; extractedText: string }>;
}

/** An SPDX idstring: letters, digits, `.` and `-` only. */
function idPart(s: string): string {
  return s.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64) || 'x';
}

function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 12);
}

/**
 * `-o spdx` and `palisade sbom -o spdx`: an SPDX 2.3 JSON document. The document DESCRIBES the image
 * package; the image CONTAINS the OS package and the language packages, and the OS CONTAINS its packages.
 * Every package has its purl as a `PACKAGE-MANAGER` reference; a binary package built from a source
 * package of another name or version is GENERATED_FROM a `SOURCE` package. File path and layer are
 * annotations (`palisade:package:layer-digest=sha256:...`), read back by `palisade scan image <sbom>`.
 * Licenses that are not SPDX expressions become `LicenseRef-` ids with the text as extracted licensing info.
 */
export function buildSpdx(inv: ImageInventory, opts: SpdxOptions): SpdxDocument {
  const created = new Date(opts.generatedAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const annotator = `Tool: palisade-${opts.toolVersion}`;
  const note = (name: string, value: string | number | undefined): SpdxAnnotation[] =>
    value === undefined || value === '' ? [] : [{ annotationDate: created, annotationType: 'OTHER', annotator, comment: `${name}=${value}` }];
  const packages: SpdxPackageElement[] = [];
  const relationships: SpdxDocument['relationships'] = [];
  const extracted = new Map<string, { licenseId: string; name: string; extractedText: string }>();
  const usedIds = new Set<string>();
  const uniqueId = (base: string): string => {
    let id = base;
    for (let n = 2; usedIds.has(id); n++) id = `${base}-${n}`;
    usedIds.add(id);
    return id;
  };
  const licenseOf = (ls: string[] | undefined): string => {
    if (!ls || ls.length === 0) return 'NOASSERTION';
    const parts = ls.map((l) => {
      if (isSpdxExpression(l)) return ls.length > 1 && /\s/.test(l) ? `(${l})` : l;
      const licenseId = `LicenseRef-${idPart(l)}-${shortHash(l).slice(0, 6)}`;
      extracted.set(licenseId, { licenseId, name: l, extractedText: l });
      return licenseId;
    });
    return parts.join(' AND ');
  };

  const t = inv.target;
  const imageId = uniqueId('SPDXRef-Image');
  const ociPurl = imagePurl(inv);
  packages.push({
    SPDXID: imageId,
    name: t.name,
    versionInfo: t.digest,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    primaryPackagePurpose: t.kind === 'rootfs' ? 'OTHER' : 'CONTAINER',
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    ...(ociPurl ? { externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER' as const, referenceType: 'purl', referenceLocator: ociPurl }] } : {}),
    annotations: [
      ...note(SBOM_PROPERTY.imageKind, t.kind),
      ...note(SBOM_PROPERTY.imageDigest, t.digest),
      ...note(SBOM_PROPERTY.imageId, t.imageId),
      ...note(SBOM_PROPERTY.imagePlatform, t.platform),
    ],
  });
  relationships.push({ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: imageId });

  let osId: string | undefined;
  if (inv.os && inv.os.family !== 'unknown') {
    osId = uniqueId('SPDXRef-OperatingSystem');
    packages.push({
      SPDXID: osId,
      name: inv.os.family === 'distroless' ? 'debian' : inv.os.family,
      ...(inv.os.version ? { versionInfo: inv.os.version } : {}),
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose: 'OPERATING_SYSTEM',
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'NOASSERTION',
      copyrightText: 'NOASSERTION',
      ...(inv.os.prettyName ? { description: inv.os.prettyName } : {}),
    });
    relationships.push({ spdxElementId: imageId, relationshipType: 'CONTAINS', relatedSpdxElement: osId });
  }

  const advisories = new Map<string, SpdxExternalRef[]>();
  for (const v of opts.vulnerabilities ?? []) {
    const url = v.primaryUrl ?? v.references[0];
    if (!url) continue;
    const list = advisories.get(v.package.purl) ?? [];
    if (!list.some((r) => r.referenceLocator === url)) list.push({ referenceCategory: 'SECURITY', referenceType: 'advisory', referenceLocator: url, comment: v.id });
    advisories.set(v.package.purl, list);
  }

  const sources = new Map<string, string>();
  for (const p of inv.packages) {
    const id = uniqueId(`SPDXRef-Package-${idPart(`${p.ecosystem}-${p.name}`)}-${shortHash(`${p.purl}|${p.filePath ?? ''}`)}`);
    packages.push(packageElement(p, id, licenseOf(p.licenses), advisories.get(p.purl), note));
    relationships.push({ spdxElementId: osId && isOsPackage(p) ? osId : imageId, relationshipType: 'CONTAINS', relatedSpdxElement: id });
    // Only a source that differs from the binary says anything; the reader takes the binary as its own source otherwise.
    if (p.sourceName && (p.sourceName !== p.name || (p.sourceVersion ?? p.version) !== p.version)) {
      const key = `${p.ecosystem}|${p.sourceName}|${p.sourceVersion ?? ''}`;
      let srcId = sources.get(key);
      if (!srcId) {
        srcId = uniqueId(`SPDXRef-Source-${idPart(`${p.ecosystem}-${p.sourceName}`)}-${shortHash(key)}`);
        sources.set(key, srcId);
        packages.push({
          SPDXID: srcId,
          name: p.sourceName,
          ...(p.sourceVersion ? { versionInfo: p.sourceVersion } : {}),
          downloadLocation: 'NOASSERTION',
          filesAnalyzed: false,
          primaryPackagePurpose: 'SOURCE',
          licenseConcluded: 'NOASSERTION',
          licenseDeclared: 'NOASSERTION',
          copyrightText: 'NOASSERTION',
        });
      }
      relationships.push({ spdxElementId: id, relationshipType: 'GENERATED_FROM', relatedSpdxElement: srcId });
    }
  }

  const doc: SpdxDocument = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: t.name,
    documentNamespace: `https://palisade.dev/spdxdocs/${idPart(t.name)}-${contentUuid(['spdx', ...inventoryKey(inv, opts.generatedAt)])}`,
    creationInfo: { created, creators: [annotator] },
    packages,
    relationships,
  };
  if (extracted.size > 0) doc.hasExtractedLicensingInfos = [...extracted.values()];
  return doc;
}

function packageElement(
  p: Package,
  id: string,
  license: string,
  advisories: SpdxExternalRef[] | undefined,
  note: (name: string, value: string | number | undefined) => SpdxAnnotation[],
): SpdxPackageElement {
  const annotations = [
    ...note(SBOM_PROPERTY.filePath, p.filePath),
    ...note(SBOM_PROPERTY.module, p.module),
    ...note(SBOM_PROPERTY.layerDigest, p.layer?.digest),
    ...note(SBOM_PROPERTY.layerDiffId, p.layer?.diffId),
    ...note(SBOM_PROPERTY.layerIndex, p.layer?.index),
  ];
  return {
    SPDXID: id,
    name: p.name,
    versionInfo: p.version,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    primaryPackagePurpose: 'LIBRARY',
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: license,
    copyrightText: 'NOASSERTION',
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: p.purl }, ...(advisories ?? [])],
    ...(annotations.length ? { annotations } : {}),
  };
}

/** Renders `buildSpdx` as JSON text. */
export function renderSpdx(inv: ImageInventory, opts: SpdxOptions): string {
  return `${JSON.stringify(buildSpdx(inv, opts), null, 2)}\n`;
}
