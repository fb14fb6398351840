import type { LayerRef, OsInfo, Package } from '../../model/package.js';
import { SBOM_PROPERTY } from '../../model/sbom.js';
import { packageFromPurl, type PurlPackage } from './purl.js';

/** One component or package of an SBOM, as both formats reduce to it. */
export interface Candidate {
  /** Where it is in the document, for messages (`components[3]`, `packages[12]`). */
  field: string;
  name?: string;
  purl?: string;
  /** Properties by name (CycloneDX properties; SPDX annotations mapped to the same names). */
  props: Map<string, string>;
  licenses?: string[];
  /** Source package named by the document's structure (SPDX GENERATED_FROM, `sourceInfo`). */
  source?: { name: string; version?: string };
  /** File the package was found in, when the format has a field for it (CycloneDX evidence). */
  filePath?: string;
}

/** The trivy property names, which many SBOMs in the wild carry. */
const TRIVY = 'aquasecurity:trivy:';

/** What `collectPackages` found. */
export interface Collected {
  os?: OsInfo;
  packages: Package[];
  warnings: string[];
}

function sourceFromProps(props: Map<string, string>): { name?: string; version?: string } {
  const name = props.get(SBOM_PROPERTY.sourceName) ?? props.get(`${TRIVY}SrcName`);
  let version = props.get(SBOM_PROPERTY.sourceVersion);
  if (version === undefined) {
    const v = props.get(`${TRIVY}SrcVersion`);
    if (v) {
      const epoch = props.get(`${TRIVY}SrcEpoch`);
      const release = props.get(`${TRIVY}SrcRelease`);
      version = `${epoch && epoch !== '0' ? `${epoch}:` : ''}${v}${release ? `-${release}` : ''}`;
    }
  }
  return { name, version };
}

/** The most common OS among the `distro` qualifiers of OS packages (the SBOM named none). */
function osFromPackages(pkgs: PurlPackage[]): OsInfo | undefined {
  const counts = new Map<string, { os: OsInfo; n: number }>();
  for (const p of pkgs) {
    if (!p.distro) continue;
    const key = `${p.distro.family}\u0000${p.distro.version}`;
    const c = counts.get(key) ?? { os: p.distro, n: 0 };
    c.n++;
    counts.set(key, c);
  }
  let best: { os: OsInfo; n: number } | undefined;
  for (const c of counts.values()) if (!best || c.n > best.n) best = c;
  return best ? { ...best.os } : undefined;
}

/**
 * Turns SBOM entries into packages. The OS is the document's own operating-system entry when it has one,
 * else the most common purl `distro` qualifier. Entries without a purl, or with a purl type Palisade
 * cannot match (cargo, gem, generic...), are counted in one warning each; an invalid purl is a warning
 * naming its field. `layerOrder` lists layer diff ids in image order, when the document gives them.
 */
export function collectPackages(file: string, candidates: Candidate[], explicitOs: OsInfo | undefined, layerOrder: string[] = []): Collected {
  const warnings: string[] = [];
  const parse = (os: OsInfo | undefined) => candidates.map((c) => (c.purl ? packageFromPurl(c.purl, os) : undefined));
  let results = parse(explicitOs);
  let os = explicitOs;
  if (!os) {
    os = osFromPackages(results.flatMap((r) => (r?.ok && r.pkg.osPackage ? [r.pkg] : [])));
    // OS packages without a namespace take the OS; parse again now that it is known.
    if (os) results = parse(os);
  }

  const layerIndex = new Map(layerOrder.map((d, i) => [d, i]));
  const packages: Package[] = [];
  const unsupported = new Map<string, number>();
  let withoutPurl = 0;
  for (const [i, c] of candidates.entries()) {
    const r = results[i];
    if (!r) {
      withoutPurl++;
      continue;
    }
    if (!r.ok) {
      if (r.kind === 'unsupported') unsupported.set(r.type ?? '?', (unsupported.get(r.type ?? '?') ?? 0) + 1);
      else warnings.push(`${file}: ${c.field}.purl: ${r.message}; skipped`);
      continue;
    }
    const { distro: _distro, osPackage, ...base } = r.pkg;
    const pkg: Package = { ...base };
    const fromProps = sourceFromProps(c.props);
    const sourceName = fromProps.name ?? c.source?.name ?? base.sourceName;
    const sourceVersion = fromProps.version ?? c.source?.version ?? base.sourceVersion;
    // Advisories for OS packages are keyed by source package; a package without one is its own source.
    if (sourceName || osPackage) pkg.sourceName = sourceName ?? base.name;
    if (sourceVersion || osPackage) pkg.sourceVersion = sourceVersion ?? base.version;
    const module = c.props.get(SBOM_PROPERTY.module) ?? c.props.get(`${TRIVY}Modularitylabel`)?.split(':').slice(0, 2).join(':');
    if (module) pkg.module = module;
    const filePath = c.props.get(SBOM_PROPERTY.filePath) ?? c.props.get(`${TRIVY}FilePath`) ?? c.filePath;
    if (filePath) pkg.filePath = filePath;
    if (c.licenses && c.licenses.length > 0) pkg.licenses = c.licenses;
    const digest = c.props.get(SBOM_PROPERTY.layerDigest) ?? c.props.get(`${TRIVY}LayerDigest`);
    const diffId = c.props.get(SBOM_PROPERTY.layerDiffId) ?? c.props.get(`${TRIVY}LayerDiffID`);
    if (digest || diffId) {
      const written = Number(c.props.get(SBOM_PROPERTY.layerIndex));
      let index = Number.isInteger(written) && written >= 0 ? written : diffId ? layerIndex.get(diffId) : undefined;
      if (index === undefined) {
        // No position given: number layers in the order the document first names them.
        const key = diffId ?? digest!;
        index = layerIndex.get(key) ?? layerIndex.size;
        layerIndex.set(key, index);
      }
      const layer: LayerRef = { digest: digest ?? diffId!, index };
      if (diffId) layer.diffId = diffId;
      pkg.layer = layer;
    }
    packages.push(pkg);
  }
  if (withoutPurl > 0) warnings.push(`${file}: ${withoutPurl} entr${withoutPurl === 1 ? 'y has' : 'ies have'} no purl and cannot be matched against advisories; skipped`);
  if (unsupported.size > 0) {
    const list = [...unsupported].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([t, n]) => `${t} (${n})`).join(', ');
    warnings.push(`${file}: packages of purl types Palisade does not match yet were skipped: ${list}`);
  }
  return { os, packages, warnings };
}
