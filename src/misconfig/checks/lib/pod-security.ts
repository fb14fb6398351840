/**
 * Helpers shared by the pod-security checks (PAL-001..029): security-context inheritance (a container's
 * own value wins over the pod's), capability lists, and the AppArmor and seccomp profile a container
 * actually runs with, whether written as a field or as a legacy annotation. Everything here tolerates
 * malformed manifests: a field of the wrong type reads as "unset" or as an invalid value, never throws.
 */
import type { SuggestedFix } from '../../../model/finding.js';
import type { FieldPath } from '../../../model/path.js';
import { removeField, type CheckContext } from '../../check.js';
import type { ContainerView, PodView } from '../../pod-view.js';

type Rec = Record<string, unknown>;

/** A plain mapping (not null, not an array). */
export function isRecord(v: unknown): v is Rec {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function rec(v: unknown): Rec {
  return isRecord(v) ? v : {};
}

/** The pod-level `securityContext` as a mapping (empty when absent or malformed). */
export function podSecurityContext(pod: PodView): Rec {
  return rec(pod.spec.securityContext);
}

/** A container's `securityContext` as a mapping (empty when absent or malformed). */
export function containerSecurityContext(c: ContainerView): Rec {
  return rec(c.container.securityContext);
}

/** Where a security-context value a container runs with comes from. */
export type Origin = 'container' | 'pod' | 'unset';

/** A security-context field as it applies to one container, with the path of the field that sets it. */
export interface Effective {
  value: unknown;
  /** The field that sets the value; for `unset`, the container field where it belongs. */
  path: FieldPath;
  from: Origin;
}

/**
 * The value of a field that exists in both the pod and the container security context (runAsUser,
 * runAsGroup, runAsNonRoot, seLinuxOptions, seccompProfile, appArmorProfile, windowsOptions): the
 * container's own value when set, else the pod's. `null` (a YAML key without value) counts as unset.
 */
export function effectiveField(pod: PodView, c: ContainerView, field: string): Effective {
  const own = containerSecurityContext(c)[field];
  if (own !== undefined && own !== null) return { value: own, path: [...c.path, 'securityContext', field], from: 'container' };
  const inherited = podSecurityContext(pod)[field];
  if (inherited !== undefined && inherited !== null) return { value: inherited, path: [...pod.specPath, 'securityContext', field], from: 'pod' };
  return { value: undefined, path: [...c.path, 'securityContext', field], from: 'unset' };
}

/** `container "app"` / `pod` / `nobody`: who sets an effective value, for messages. */
export function originLabel(e: Effective): string {
  return e.from === 'container' ? 'its own securityContext' : e.from === 'pod' ? 'the pod securityContext' : 'neither the container nor the pod';
}

/** Capability names compare case-insensitively and with or without the `CAP_` prefix. */
export function normaliseCapability(name: string): string {
  const up = name.trim().toUpperCase();
  return up.startsWith('CAP_') ? up.slice(4) : up;
}

/** One entry of `capabilities.add` or `capabilities.drop`. */
export interface CapabilityEntry {
  /** Normalised name (`SYS_ADMIN`). */
  name: string;
  /** As written. */
  raw: string;
  index: number;
}

/** The string entries of `securityContext.capabilities.<list>` (`add` or `drop`) of a container. */
export function capabilities(c: ContainerView, list: 'add' | 'drop'): CapabilityEntry[] {
  const caps = containerSecurityContext(c).capabilities;
  if (!isRecord(caps)) return [];
  const entries = caps[list];
  if (!Array.isArray(entries)) return [];
  const out: CapabilityEntry[] = [];
  entries.forEach((raw, index) => {
    if (typeof raw === 'string' && raw.trim() !== '') out.push({ name: normaliseCapability(raw), raw, index });
  });
  return out;
}

/** Path of a container's `securityContext.capabilities.<list>`. */
export function capabilityPath(c: ContainerView, list: 'add' | 'drop'): FieldPath {
  return [...c.path, 'securityContext', 'capabilities', list];
}

/**
 * A fix that keeps only the entries of a container's `capabilities.add` that are not in `drop`
 * (by index), or removes `add` when nothing is left. `what` names the removed entries.
 */
export function capabilityAddFix(c: ContainerView, all: readonly CapabilityEntry[], drop: ReadonlySet<number>, what: string): SuggestedFix {
  const path = capabilityPath(c, 'add');
  const kept = all.filter((e) => !drop.has(e.index)).map((e) => e.raw);
  if (kept.length === 0) return removeField(path, `remove capabilities.add (${what})`);
  return { description: `remove ${what} from capabilities.add`, operations: [{ op: 'replace', path, value: kept }] };
}

/** Pods declared to run on Windows nodes (`spec.os.name: windows`): Linux-only controls do not apply. */
export function isWindowsPod(pod: PodView): boolean {
  const os = pod.spec.os;
  return isRecord(os) && os.name === 'windows';
}

/** Container checks apply to resources whose pod has at least one container. */
export function hasContainers(ctx: CheckContext): boolean {
  return ctx.pod !== undefined && ctx.pod.allContainers.length > 0;
}

/** Linux-only container checks: the pod has containers and is not declared to run on Windows. */
export function hasLinuxContainers(ctx: CheckContext): boolean {
  return hasContainers(ctx) && !isWindowsPod(ctx.pod!);
}

/**
 * Volume checks apply unless `volumes` is malformed (present but not a list): such a manifest cannot be
 * judged, and the API server would reject it anyway. A resource without a pod template has nothing to flag.
 */
export function volumesReadable(ctx: CheckContext): boolean {
  const v = ctx.pod?.spec.volumes;
  return v === undefined || v === null || Array.isArray(v);
}

/** Pod (template) annotations as a mapping. */
export function podAnnotations(pod: PodView): Rec {
  return rec(pod.metadata.annotations);
}

/** An integer value, or undefined (a string `"1000"` is not a UID for the API server either). */
export function int(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Profiles (AppArmor, seccomp): the field, or the legacy annotation, a container runs with.

/** Where a container's profile is written. */
export type ProfileOrigin = 'container-field' | 'container-annotation' | 'pod-field' | 'pod-annotation' | 'unset';

/** The profile a container runs with. */
export interface EffectiveProfile {
  /**
   * AppArmor: annotation form (`runtime/default`, `localhost/<name>`, `unconfined`, or the raw invalid value).
   * Seccomp: field form (`RuntimeDefault`, `Localhost`, `Unconfined`, or the raw invalid value).
   * Undefined when nothing sets a profile.
   */
  profile: string | undefined;
  /** The value as written (a field's `type`, or the annotation value), for messages. */
  written: string | undefined;
  /** The field or annotation that sets it; for `unset`, the container field where it belongs. */
  path: FieldPath;
  from: ProfileOrigin;
}

/** Annotation prefix of the per-container AppArmor profile (deprecated by the `appArmorProfile` field). */
export const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

function profileType(v: unknown): string | undefined {
  if (!isRecord(v)) return undefined;
  return typeof v.type === 'string' && v.type !== '' ? v.type : undefined;
}

/** `RuntimeDefault` -> `runtime/default`, `Localhost` + name -> `localhost/<name>`, `Unconfined` -> `unconfined`. */
function appArmorFieldToAnnotation(field: Rec, type: string): string {
  if (type === 'RuntimeDefault') return 'runtime/default';
  if (type === 'Unconfined') return 'unconfined';
  if (type === 'Localhost') return `localhost/${typeof field.localhostProfile === 'string' ? field.localhostProfile : ''}`;
  return type;
}

/**
 * The AppArmor profile a container runs with: its own `securityContext.appArmorProfile`, else the
 * per-container annotation, else the pod's `securityContext.appArmorProfile` (the precedence of the
 * kubelet since the field went GA in 1.30).
 */
export function effectiveAppArmor(pod: PodView, c: ContainerView): EffectiveProfile {
  const own = containerSecurityContext(c).appArmorProfile;
  const ownType = profileType(own);
  if (ownType !== undefined) {
    return { profile: appArmorFieldToAnnotation(own as Rec, ownType), written: ownType, path: [...c.path, 'securityContext', 'appArmorProfile', 'type'], from: 'container-field' };
  }
  const key = APPARMOR_ANNOTATION_PREFIX + c.name;
  const ann = podAnnotations(pod)[key];
  if (typeof ann === 'string' && ann !== '') {
    return { profile: ann, written: ann, path: [...pod.metadataPath, 'annotations', key], from: 'container-annotation' };
  }
  const podLevel = podSecurityContext(pod).appArmorProfile;
  const podType = profileType(podLevel);
  if (podType !== undefined) {
    return { profile: appArmorFieldToAnnotation(podLevel as Rec, podType), written: podType, path: [...pod.specPath, 'securityContext', 'appArmorProfile', 'type'], from: 'pod-field' };
  }
  return { profile: undefined, written: undefined, path: [...c.path, 'securityContext', 'appArmorProfile'], from: 'unset' };
}

/** Legacy seccomp annotations (honoured by the kubelet before the field, still found in manifests). */
export const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
export const SECCOMP_CONTAINER_ANNOTATION_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';

/** `runtime/default` and `docker/default` -> `RuntimeDefault`, `localhost/<x>` -> `Localhost`, `unconfined` -> `Unconfined`. */
function seccompAnnotationToType(v: string): string {
  if (v === 'runtime/default' || v === 'docker/default') return 'RuntimeDefault';
  if (v === 'unconfined') return 'Unconfined';
  if (v.startsWith('localhost/')) return 'Localhost';
  return v;
}

/**
 * The seccomp profile a container runs with: its own `securityContext.seccompProfile`, else its legacy
 * annotation, else the pod's `securityContext.seccompProfile`, else the legacy pod annotation.
 * A `seccompProfile` without a `type` sets nothing.
 */
export function effectiveSeccomp(pod: PodView, c: ContainerView): EffectiveProfile {
  const ownType = profileType(containerSecurityContext(c).seccompProfile);
  if (ownType !== undefined) return { profile: ownType, written: ownType, path: [...c.path, 'securityContext', 'seccompProfile', 'type'], from: 'container-field' };
  const anns = podAnnotations(pod);
  const cKey = SECCOMP_CONTAINER_ANNOTATION_PREFIX + c.name;
  const cAnn = anns[cKey];
  if (typeof cAnn === 'string' && cAnn !== '') return { profile: seccompAnnotationToType(cAnn), written: cAnn, path: [...pod.metadataPath, 'annotations', cKey], from: 'container-annotation' };
  const podType = profileType(podSecurityContext(pod).seccompProfile);
  if (podType !== undefined) return { profile: podType, written: podType, path: [...pod.specPath, 'securityContext', 'seccompProfile', 'type'], from: 'pod-field' };
  const pAnn = anns[SECCOMP_POD_ANNOTATION];
  if (typeof pAnn === 'string' && pAnn !== '') return { profile: seccompAnnotationToType(pAnn), written: pAnn, path: [...pod.metadataPath, 'annotations', SECCOMP_POD_ANNOTATION], from: 'pod-annotation' };
  return { profile: undefined, written: undefined, path: [...c.path, 'securityContext', 'seccompProfile'], from: 'unset' };
}

/** `its own securityContext`, `the pod securityContext`, `annotation "<key>"`, for messages. */
export function profileOriginLabel(p: EffectiveProfile): string {
  switch (p.from) {
    case 'container-field': return 'its own securityContext';
    case 'pod-field': return 'the pod securityContext';
    case 'container-annotation':
    case 'pod-annotation': return `annotation ${JSON.stringify(p.path[p.path.length - 1])}`;
    default: return 'nothing';
  }
}

/** Host paths compare as normalised absolute paths: `/var/run/`, `/var//run` and `/var/log/../run` are `/var/run`. */
export function normaliseHostPath(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return '/' + out.join('/');
}

/** One `hostPath` volume of a pod. */
export interface HostPathVolume {
  name: string;
  /** As written; undefined when missing or not a string. */
  path: string | undefined;
  /** `hostPath.path` as written, whatever its type, for messages. */
  rawPath: unknown;
  /** Path of the `hostPath` field in the resource. */
  fieldPath: FieldPath;
  /** Names of the containers that mount the volume. */
  mountedBy: string[];
}

/** Every `hostPath` volume of the pod, with the containers that mount it. */
export function hostPathVolumes(pod: PodView): HostPathVolume[] {
  const volumes = pod.spec.volumes;
  if (!Array.isArray(volumes)) return [];
  const out: HostPathVolume[] = [];
  volumes.forEach((v, i) => {
    if (!isRecord(v) || v.hostPath === undefined || v.hostPath === null) return;
    const name = typeof v.name === 'string' ? v.name : `#${i}`;
    const hp = v.hostPath;
    const rawPath = isRecord(hp) ? hp.path : hp;
    const path = typeof rawPath === 'string' ? rawPath : undefined;
    const mountedBy = pod.allContainers
      .filter((c) => Array.isArray(c.container.volumeMounts) && c.container.volumeMounts.some((m) => isRecord(m) && m.name === name))
      .map((c) => c.name);
    out.push({ name, path, rawPath, fieldPath: [...pod.specPath, 'volumes', i, 'hostPath'], mountedBy });
  });
  return out;
}

/** ` (mounted by "a", "b")` or ` (not mounted by any container)`, for messages. */
export function mountedByLabel(v: HostPathVolume): string {
  return v.mountedBy.length > 0 ? ` (mounted by ${v.mountedBy.map((n) => JSON.stringify(n)).join(', ')})` : ' (not mounted by any container)';
}
