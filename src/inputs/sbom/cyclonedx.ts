import { z } from 'zod';
import { PalisadeError } from '../../model/errors.js';
import type { OsInfo } from '../../model/package.js';
import { SBOM_PROPERTY } from '../../model/sbom.js';
import { collectPackages, type Candidate } from './collect.js';
import { familyOf } from './os.js';
import { fieldOf, sbomDocument, type SbomDocument } from './types.js';

/** CycloneDX versions whose JSON this reader understands (the component model is the same in all three). */
export const CYCLONEDX_VERSIONS = ['1.4', '1.5', '1.6'] as const;

const GROUPING_TYPES = new Set(['application', 'container', 'file', 'platform', 'data', 'device', 'firmware', 'machine-learning-model']);

const propertySchema = z.looseObject({ name: z.string(), value: z.string().optional() });

const componentSchema = z.looseObject({
  type: z.string(),
  name: z.string(),
  version: z.string().optional(),
  group: z.string().optional(),
  purl: z.string().optional(),
  'bom-ref': z.string().optional(),
  properties: z.array(propertySchema).optional(),
  licenses: z.array(z.unknown()).optional(),
  components: z.array(z.unknown()).optional(),
  evidence: z.looseObject({ occurrences: z.array(z.looseObject({ location: z.string() })).optional() }).optional(),
});
type Component = z.infer<typeof componentSchema>;

const documentSchema = z.looseObject({
  bomFormat: z.literal('CycloneDX'),
  specVersion: z.string(),
  metadata: z.looseObject({ component: z.unknown().optional() }).optional(),
  components: z.array(z.unknown()).optional(),
});

const licenseChoice = z.looseObject({
  license: z.looseObject({ id: z.string().optional(), name: z.string().optional() }).optional(),
  expression: z.string().optional(),
});

/** `[{license: {id}}, {license: {name}}]` or `[{expression}]` -> the ids, names or expression. */
function licensesOf(c: Component): string[] | undefined {
  const out: string[] = [];
  for (const l of c.licenses ?? []) {
    const r = licenseChoice.safeParse(l);
    const v = r.success ? (r.data.expression ?? r.data.license?.id ?? r.data.license?.name) : undefined;
    if (v) out.push(v);
  }
  return out.length ? out : undefined;
}

function propsOf(c: Component): Map<string, string> {
  const m = new Map<string, string>();
  for (const p of c.properties ?? []) if (p.value !== undefined && !m.has(p.name)) m.set(p.name, p.value);
  return m;
}

/**
 * Reads a CycloneDX JSON document (1.4 to 1.6): every component with a purl, nested components included,
 * is a package; the `operating-system` component gives the OS. Source packages, file paths, layers and
 * RHEL modules come from Palisade's component properties, or from trivy's where those are present.
 */
export function readCycloneDx(doc: unknown, file: string): SbomDocument {
  const parsed = documentSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PalisadeError('E_SBOM_FORMAT', `not a valid CycloneDX document: ${issue.message}`, { file, field: fieldOf(issue.path) });
  }
  const bom = parsed.data;
  if (!(CYCLONEDX_VERSIONS as readonly string[]).includes(bom.specVersion)) {
    throw new PalisadeError('E_SBOM_FORMAT', `CycloneDX specVersion "${bom.specVersion}" is not supported (${CYCLONEDX_VERSIONS.join(', ')})`, { file, field: 'specVersion' });
  }
  const warnings: string[] = [];
  const candidates: Candidate[] = [];
  let os: OsInfo | undefined;
  const visit = (list: unknown[], path: string): void => {
    for (const [i, raw] of list.entries()) {
      const field = `${path}[${i}]`;
      const r = componentSchema.safeParse(raw);
      if (!r.success) {
        const issue = r.error.issues[0];
        warnings.push(`${file}: ${field}${issue.path.length ? `.${fieldOf(issue.path)}` : ''}: ${issue.message}; skipped`);
        continue;
      }
      const c = r.data;
      if (c.type === 'operating-system') {
        const family = familyOf(c.name);
        if (family && !os) os = { family, version: c.version ?? '' };
        else if (!family) warnings.push(`${file}: ${field}: operating system "${c.name}" is not one Palisade has advisories for`);
      } else if (c.purl || !GROUPING_TYPES.has(c.type)) {
        // An application, container or file without a purl groups packages (trivy's lockfile entries); it is no package itself.
        candidates.push({ field, name: c.name, purl: c.purl, props: propsOf(c), licenses: licensesOf(c), filePath: c.evidence?.occurrences?.[0]?.location });
      }
      if (c.components) visit(c.components, `${field}.components`);
    }
  };
  visit(bom.components ?? [], 'components');

  const meta = componentSchema.safeParse(bom.metadata?.component);
  const metaProps = meta.success ? propsOf(meta.data) : new Map<string, string>();
  // trivy lists the image's layer diff ids in order on the image component.
  const layerOrder = (meta.success ? (meta.data.properties ?? []) : []).filter((p) => p.name === 'aquasecurity:trivy:DiffID' && p.value).map((p) => p.value!);
  const collected = collectPackages(file, candidates, os, layerOrder);
  const digest = metaProps.get(SBOM_PROPERTY.imageDigest) ?? metaProps.get('aquasecurity:trivy:RepoDigest')?.replace(/^.*@/, '');
  const imageId = metaProps.get(SBOM_PROPERTY.imageId) ?? metaProps.get('aquasecurity:trivy:ImageID');
  const platform = metaProps.get(SBOM_PROPERTY.imagePlatform);
  return sbomDocument({ format: 'cyclonedx', specVersion: bom.specVersion, file, describes: meta.success ? meta.data.name : undefined }, { digest, imageId, platform }, collected, warnings);
}
