import { z } from 'zod';
import { PalisadeError } from '../../model/errors.js';
import type { OsInfo } from '../../model/package.js';
import { SBOM_PROPERTY, SPDX_ANNOTATION_PREFIX } from '../../model/sbom.js';
import { collectPackages, type Candidate } from './collect.js';
import { familyOf } from './os.js';
import { fieldOf, sbomDocument, type SbomDocument } from './types.js';

/** SPDX versions whose JSON this reader understands (2.2 and 2.3 share the package model). */
export const SPDX_VERSIONS = ['SPDX-2.2', 'SPDX-2.3'] as const;

const packageSchema = z.looseObject({
  SPDXID: z.string(),
  name: z.string(),
  versionInfo: z.string().optional(),
  primaryPackagePurpose: z.string().optional(),
  externalRefs: z.array(z.looseObject({ referenceCategory: z.string(), referenceType: z.string(), referenceLocator: z.string() })).optional(),
  licenseDeclared: z.string().optional(),
  licenseConcluded: z.string().optional(),
  sourceInfo: z.string().optional(),
  annotations: z.array(z.looseObject({ comment: z.string() })).optional(),
  attributionTexts: z.array(z.string()).optional(),
});
type SpdxPackage = z.infer<typeof packageSchema>;

const documentSchema = z.looseObject({
  spdxVersion: z.string(),
  SPDXID: z.string(),
  name: z.string(),
  packages: z.array(z.unknown()).optional(),
  relationships: z.array(z.looseObject({ spdxElementId: z.string(), relatedSpdxElement: z.string(), relationshipType: z.string() })).optional(),
  hasExtractedLicensingInfos: z.array(z.looseObject({ licenseId: z.string(), name: z.string().optional(), extractedText: z.string().optional() })).optional(),
});

/** `trivy` writes layer facts as attribution texts (`LayerDigest: sha256:...`); map them to its property names. */
const TRIVY_ATTRIBUTIONS = new Set(['LayerDigest', 'LayerDiffID', 'FilePath', 'Modularitylabel', 'SrcName', 'SrcVersion', 'SrcRelease', 'SrcEpoch']);

function purlOf(p: SpdxPackage): string | undefined {
  return p.externalRefs?.find((r) => r.referenceType === 'purl' && /^PACKAGE[-_]MANAGER$/.test(r.referenceCategory))?.referenceLocator;
}

function propsOf(p: SpdxPackage): Map<string, string> {
  const m = new Map<string, string>();
  for (const a of p.annotations ?? []) {
    if (!a.comment.startsWith(SPDX_ANNOTATION_PREFIX)) continue;
    const eq = a.comment.indexOf('=');
    if (eq > 0 && !m.has(a.comment.slice(0, eq))) m.set(a.comment.slice(0, eq), a.comment.slice(eq + 1));
  }
  for (const t of p.attributionTexts ?? []) {
    const m2 = /^(\w+): (.+)$/.exec(t);
    if (m2 && TRIVY_ATTRIBUTIONS.has(m2[1])) m.set(`aquasecurity:trivy:${m2[1]}`, m2[2]);
  }
  return m;
}

/** `built package from: openssl-libs 1:1.0.2k-16.el7` (trivy, syft) -> the source package. */
function sourceFromInfo(info: string | undefined): { name: string; version?: string } | undefined {
  const m = info ? /^built package from:\s*(\S+)(?:\s+(\S+))?/i.exec(info.trim()) : null;
  return m ? { name: m[1], version: m[2] } : undefined;
}

/**
 * Reads an SPDX 2.2 or 2.3 JSON document: every package with a `purl` external reference is a package,
 * except source packages (purpose `SOURCE`, or the target of a `GENERATED_FROM` relationship), which give
 * the source name and version of the binaries built from them. The OS is the package whose purpose is
 * `OPERATING_SYSTEM` (or whose SPDXID says so, as older trivy documents write it).
 */
export function readSpdx(doc: unknown, file: string): SbomDocument {
  const parsed = documentSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PalisadeError('E_SBOM_FORMAT', `not a valid SPDX document: ${issue.message}`, { file, field: fieldOf(issue.path) });
  }
  const d = parsed.data;
  if (!(SPDX_VERSIONS as readonly string[]).includes(d.spdxVersion)) {
    throw new PalisadeError('E_SBOM_FORMAT', `spdxVersion "${d.spdxVersion}" is not supported (${SPDX_VERSIONS.join(', ')})`, { file, field: 'spdxVersion' });
  }
  const warnings: string[] = [];
  const pkgs: Array<{ field: string; p: SpdxPackage }> = [];
  for (const [i, raw] of (d.packages ?? []).entries()) {
    const r = packageSchema.safeParse(raw);
    if (r.success) pkgs.push({ field: `packages[${i}]`, p: r.data });
    else {
      const issue = r.error.issues[0];
      warnings.push(`${file}: packages[${i}]${issue.path.length ? `.${fieldOf(issue.path)}` : ''}: ${issue.message}; skipped`);
    }
  }
  const byId = new Map(pkgs.map((x) => [x.p.SPDXID, x.p]));
  const rels = d.relationships ?? [];
  const sourceOf = new Map<string, SpdxPackage>();
  for (const r of rels) {
    if (r.relationshipType === 'GENERATED_FROM' && byId.has(r.relatedSpdxElement)) sourceOf.set(r.spdxElementId, byId.get(r.relatedSpdxElement)!);
    if (r.relationshipType === 'GENERATES' && byId.has(r.spdxElementId)) sourceOf.set(r.relatedSpdxElement, byId.get(r.spdxElementId)!);
  }
  const sourceIds = new Set([...sourceOf.values()].map((p) => p.SPDXID));
  const describedIds = new Set(rels.filter((r) => r.relationshipType === 'DESCRIBES' && r.spdxElementId === d.SPDXID).map((r) => r.relatedSpdxElement));
  const extracted = new Map((d.hasExtractedLicensingInfos ?? []).map((l) => [l.licenseId, l.name ?? l.extractedText ?? l.licenseId]));

  let os: OsInfo | undefined;
  let image: SpdxPackage | undefined;
  const candidates: Candidate[] = [];
  for (const { field, p } of pkgs) {
    if (p.primaryPackagePurpose === 'OPERATING_SYSTEM' || (!p.primaryPackagePurpose && p.SPDXID.startsWith('SPDXRef-OperatingSystem'))) {
      const family = familyOf(p.name);
      if (family && !os) os = { family, version: p.versionInfo ?? '' };
      else if (!family) warnings.push(`${file}: ${field}: operating system "${p.name}" is not one Palisade has advisories for`);
      continue;
    }
    if (p.primaryPackagePurpose === 'CONTAINER' || (describedIds.has(p.SPDXID) && !purlOf(p)?.match(/^pkg:(deb|apk|rpm|npm|pypi|golang|maven)\//))) {
      image ??= p;
      continue;
    }
    if (p.primaryPackagePurpose === 'SOURCE' || sourceIds.has(p.SPDXID)) continue;
    const src = sourceOf.get(p.SPDXID);
    const lic = [p.licenseDeclared, p.licenseConcluded].find((l) => l && l !== 'NOASSERTION' && l !== 'NONE');
    candidates.push({
      field,
      name: p.name,
      purl: purlOf(p),
      props: propsOf(p),
      licenses: lic ? [extracted.get(lic) ?? lic] : undefined,
      source: src ? { name: src.name, version: src.versionInfo } : sourceFromInfo(p.sourceInfo),
    });
  }
  const imageProps = image ? propsOf(image) : new Map<string, string>();
  const collected = collectPackages(file, candidates, os);
  const digest = imageProps.get(SBOM_PROPERTY.imageDigest);
  const imageId = imageProps.get(SBOM_PROPERTY.imageId);
  const platform = imageProps.get(SBOM_PROPERTY.imagePlatform);
  return sbomDocument({ format: 'spdx', specVersion: d.spdxVersion, file, describes: image?.name ?? d.name }, { digest, imageId, platform }, collected, warnings);
}
