import * as CDX from '@cyclonedx/cyclonedx-library';
import type { DetectedVulnerability } from '../model/advisory.js';
import type { IgnoredVulnerability, ImageInventory } from '../model/image-report.js';
import type { Package } from '../model/package.js';
import { SBOM_PROPERTY } from '../model/sbom.js';
import type { Severity } from '../model/severity.js';
import { contentUuid, imagePurl, inventoryKey, isOsPackage, isSpdxExpression, type SbomRenderOptions } from './sbom-common.js';

/** Options of the CycloneDX renderer; with `vulnerabilities` the BOM gets a vulnerabilities section (a VDR). */
export interface CycloneDxOptions extends SbomRenderOptions {
  vulnerabilities?: DetectedVulnerability[];
  /** Vulnerabilities an ignore entry suppressed: listed too, with the reason as their analysis. */
  ignored?: IgnoredVulnerability[];
}

const SEVERITY: Record<Severity, CDX.Enums.Vulnerability.Severity> = {
  critical: CDX.Enums.Vulnerability.Severity.Critical,
  high: CDX.Enums.Vulnerability.Severity.High,
  medium: CDX.Enums.Vulnerability.Severity.Medium,
  low: CDX.Enums.Vulnerability.Severity.Low,
  info: CDX.Enums.Vulnerability.Severity.Info,
};

const CVSS_METHOD: Record<string, CDX.Enums.Vulnerability.RatingMethod> = {
  '2.0': CDX.Enums.Vulnerability.RatingMethod.CVSSv2,
  '3.0': CDX.Enums.Vulnerability.RatingMethod.CVSSv3,
  '3.1': CDX.Enums.Vulnerability.RatingMethod.CVSSv31,
  '4.0': CDX.Enums.Vulnerability.RatingMethod.CVSSv4,
};

// License validation uses the same parser as the rest of Palisade; the library only needs a thrower.
const licenses = new CDX.Contrib.License.Factories.LicenseFactory((s) => {
  if (!isSpdxExpression(s)) throw new Error('not an SPDX expression');
});

function isUrl(s: string): boolean {
  try {
    return /^https?:$/.test(new URL(s).protocol);
  } catch {
    return false;
  }
}

function date(s: string | undefined): Date | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : new Date(t);
}

/** Where a person reads about an alias: NVD for CVEs, GitHub for GHSAs, else the advisory's own source. */
function aliasSource(alias: string, v: DetectedVulnerability): CDX.Models.Vulnerability.Source {
  if (alias.startsWith('CVE-')) return new CDX.Models.Vulnerability.Source({ name: 'NVD', url: `https://nvd.nist.gov/vuln/detail/${alias}` });
  if (alias.startsWith('GHSA-')) return new CDX.Models.Vulnerability.Source({ name: 'GitHub', url: `https://github.com/advisories/${alias}` });
  return new CDX.Models.Vulnerability.Source({ name: v.dataSource.name });
}

function packageComponent(p: Package, bomRef: string): CDX.Models.Component {
  const c = new CDX.Models.Component(CDX.Enums.ComponentType.Library, p.name, { version: p.version, purl: p.purl, bomRef });
  const ls = p.licenses ?? [];
  if (ls.length === 1) c.licenses.add(licenses.makeFromString(ls[0]));
  else for (const l of ls) c.licenses.add(licenses.makeDisjunctive(l));
  const prop = (name: string, value: string | number | undefined): void => {
    if (value !== undefined && value !== '') c.properties.add(new CDX.Models.Property(name, String(value)));
  };
  prop(SBOM_PROPERTY.sourceName, p.sourceName);
  prop(SBOM_PROPERTY.sourceVersion, p.sourceVersion);
  prop(SBOM_PROPERTY.module, p.module);
  prop(SBOM_PROPERTY.filePath, p.filePath);
  prop(SBOM_PROPERTY.layerDigest, p.layer?.digest);
  prop(SBOM_PROPERTY.layerDiffId, p.layer?.diffId);
  prop(SBOM_PROPERTY.layerIndex, p.layer?.index);
  return c;
}

/**
 * `-o cyclonedx` and `palisade sbom -o cyclonedx`: a CycloneDX 1.6 JSON BOM built and serialised with the
 * official `@cyclonedx/cyclonedx-library`. The image is `metadata.component`; the OS is an
 * `operating-system` component that depends on the OS packages; every package is a `library` component
 * with its purl, and Palisade properties for the source package, file path and layer (read back by
 * `palisade scan image <sbom>`). With vulnerabilities, each id is one entry that affects every package it
 * was found in, with CVSS and vendor ratings, aliases as references and advisory links.
 */
export function renderCycloneDx(inv: ImageInventory, opts: CycloneDxOptions): string {
  const bom = new CDX.Models.Bom();
  bom.serialNumber = `urn:uuid:${contentUuid(['cyclonedx', ...inventoryKey(inv, opts.generatedAt)])}`;
  bom.metadata.timestamp = new Date(opts.generatedAt);
  bom.metadata.tools.components.add(new CDX.Models.Component(CDX.Enums.ComponentType.Application, 'palisade', { version: opts.toolVersion, group: 'palisade.dev' }));

  const t = inv.target;
  const image = new CDX.Models.Component(t.kind === 'rootfs' ? CDX.Enums.ComponentType.Application : CDX.Enums.ComponentType.Container, t.name, {
    bomRef: 'palisade:image',
    version: t.digest,
    purl: imagePurl(inv),
  });
  const imageProp = (name: string, value: string | undefined): void => {
    if (value) image.properties.add(new CDX.Models.Property(name, value));
  };
  imageProp(SBOM_PROPERTY.imageKind, t.kind);
  imageProp(SBOM_PROPERTY.imageDigest, t.digest);
  imageProp(SBOM_PROPERTY.imageId, t.imageId);
  imageProp(SBOM_PROPERTY.imagePlatform, t.platform);
  bom.metadata.component = image;

  let osComponent: CDX.Models.Component | undefined;
  if (inv.os && inv.os.family !== 'unknown') {
    const name = inv.os.family === 'distroless' ? 'debian' : inv.os.family;
    osComponent = new CDX.Models.Component(CDX.Enums.ComponentType.OperatingSystem, name, { bomRef: 'palisade:os', version: inv.os.version || undefined, description: inv.os.prettyName });
    bom.components.add(osComponent);
    image.dependencies.add(osComponent.bomRef);
  }

  // bom-refs must be unique; the same purl found in two places (two node_modules copies) gets a suffix.
  const refs = new Map<Package, CDX.Models.BomRef>();
  const seen = new Map<string, number>();
  for (const p of inv.packages) {
    const n = seen.get(p.purl) ?? 0;
    seen.set(p.purl, n + 1);
    const ref = n === 0 ? p.purl : `${p.purl}#${n + 1}`;
    const c = packageComponent(p, ref);
    // Affects must hold the component's own BomRef object: the serializer tells refs apart by identity.
    refs.set(p, c.bomRef);
    bom.components.add(c);
    (osComponent && isOsPackage(p) ? osComponent : image).dependencies.add(c.bomRef);
  }

  const all: Array<{ v: DetectedVulnerability; ignored?: IgnoredVulnerability['ignore'] }> = [
    ...(opts.vulnerabilities ?? []).map((v) => ({ v })),
    ...(opts.ignored ?? []).map((v) => ({ v, ignored: v.ignore })),
  ];
  if (all.length > 0) {
    // One entry per vulnerability id, affecting every package it was found in.
    const refsByPurl = new Map<string, CDX.Models.BomRef[]>();
    for (const [p, ref] of refs) refsByPurl.set(p.purl, [...(refsByPurl.get(p.purl) ?? []), ref]);
    const byId = new Map<string, typeof all>();
    for (const x of all) byId.set(x.v.id, [...(byId.get(x.v.id) ?? []), x]);
    for (const [id, group] of byId) {
      const v = group[0].v;
      const entry = new CDX.Models.Vulnerability.Vulnerability({
        bomRef: `palisade:vulnerability:${id}`,
        id,
        source: new CDX.Models.Vulnerability.Source({ name: v.dataSource.name, url: isUrl(v.primaryUrl ?? '') ? v.primaryUrl : isUrl(v.dataSource.url) ? v.dataSource.url : undefined }),
        description: v.title,
        detail: v.description,
        published: date(v.published),
        updated: date(v.modified),
      });
      for (const a of v.aliases) if (a !== id) entry.references.add(new CDX.Models.Vulnerability.Reference(a, aliasSource(a, v)));
      for (const s of v.cvss) {
        entry.ratings.add(new CDX.Models.Vulnerability.Rating({ source: new CDX.Models.Vulnerability.Source({ name: s.source }), score: s.score, method: CVSS_METHOD[s.version], vector: s.vector }));
      }
      entry.ratings.add(new CDX.Models.Vulnerability.Rating({ source: new CDX.Models.Vulnerability.Source({ name: v.severitySource ?? v.dataSource.id }), severity: SEVERITY[v.severity] }));
      for (const u of v.references) if (isUrl(u)) entry.advisories.add(new CDX.Models.Vulnerability.Advisory(u));
      const fixes: string[] = [];
      for (const x of group) {
        for (const ref of refsByPurl.get(x.v.package.purl) ?? []) {
          entry.affects.add(new CDX.Models.Vulnerability.Affect(ref, {
            versions: new CDX.Models.Vulnerability.AffectedVersionRepository([new CDX.Models.Vulnerability.AffectedSingleVersion(x.v.installedVersion, { status: CDX.Enums.Vulnerability.AffectStatus.Affected })]),
          }));
        }
        if (x.v.fixedVersion) fixes.push(`${x.v.package.name} to ${x.v.fixedVersion}`);
      }
      if (fixes.length) entry.recommendation = `Upgrade ${[...new Set(fixes)].join(', ')}`;
      const ign = group.every((x) => x.ignored) ? group[0].ignored : undefined;
      if (ign) {
        entry.analysis = new CDX.Models.Vulnerability.Analysis({ detail: `ignored by ${ign.source}: ${ign.reason}${ign.expires ? ` (until ${ign.expires})` : ''}` });
        entry.properties.add(new CDX.Models.Property(SBOM_PROPERTY.ignored, ign.reason));
      }
      bom.vulnerabilities.add(entry);
    }
  }

  const serializer = new CDX.Serialize.JsonSerializer(new CDX.Serialize.JSON.Normalize.Factory(CDX.Spec.Spec1dot6));
  return `${serializer.serialize(bom, { sortLists: true, space: 2 })}\n`;
}
