import { Minimatch } from 'minimatch';
import type { PeerTool } from '../model/check-info.js';
import type { ConfigExemption } from '../model/config.js';
import type { ExemptionIssue, ExemptionOrigin } from '../model/finding.js';
import { effectiveNamespace, type Resource } from '../model/resource.js';
import type { Check } from './check.js';
import type { PodView } from './pod-view.js';

/** Annotation keys of Palisade's own in-manifest exemptions. */
export const EXEMPT_ANNOTATION = 'palisade.dev/exempt';
export const EXEMPT_REASON_ANNOTATION = 'palisade.dev/exempt-reason';
export const EXEMPT_EXPIRES_ANNOTATION = 'palisade.dev/exempt-expires';

/** One exemption, from any origin, with the bookkeeping that makes unmatched ones visible. */
export interface Exemption {
  origin: ExemptionOrigin;
  /** Check ids it covers; `all` for blanket exemptions (Polaris `exempt: "true"`). */
  checks: Set<string> | 'all';
  /** As written, for reports. */
  written: string[];
  container?: string;
  reason?: string;
  expires?: string;
  source: string;
  /** Config selectors; annotation exemptions match only their own resource. */
  resource?: Resource;
  selector?: ConfigExemption;
  used: boolean;
  expired: boolean;
}

/** Maps a peer tool's rule id to the Palisade checks that list it in `equivalents`. */
export type PeerIndex = Map<PeerTool, Map<string, string[]>>;

export function buildPeerIndex(checks: readonly Check[]): PeerIndex {
  const idx: PeerIndex = new Map();
  for (const c of checks) {
    for (const [tool, ids] of Object.entries(c.equivalents) as Array<[PeerTool, readonly string[]]>) {
      let m = idx.get(tool);
      if (!m) idx.set(tool, (m = new Map()));
      for (const id of ids) {
        const k = id.toLowerCase();
        m.set(k, [...(m.get(k) ?? []), c.id]);
      }
    }
  }
  return idx;
}

/** Resolves ids or slugs to check ids. */
export function resolveCheckRef(ref: string, checks: readonly Check[]): string | undefined {
  const r = ref.trim();
  return checks.find((c) => c.id === r || c.slug === r)?.id;
}

function isExpired(expires: string | undefined, now: Date): boolean {
  if (!expires) return false;
  const t = Date.parse(expires.length === 10 ? `${expires}T23:59:59Z` : expires);
  return !Number.isNaN(t) && t < now.getTime();
}

interface AnnotationSource {
  annotations: Record<string, unknown>;
  path: Array<string | number>;
}

function annotationSources(r: Resource, pod: PodView | undefined): AnnotationSource[] {
  const out: AnnotationSource[] = [];
  const own = r.object.metadata.annotations;
  if (own && typeof own === 'object') out.push({ annotations: own, path: ['metadata', 'annotations'] });
  if (pod && pod.metadataPath.length > 1) {
    const tpl = pod.metadata.annotations;
    if (tpl && typeof tpl === 'object') out.push({ annotations: tpl, path: [...pod.metadataPath, 'annotations'] });
  }
  return out;
}

export interface AnnotationParseResult {
  exemptions: Exemption[];
  issues: ExemptionIssue[];
}

/**
 * Reads every exemption annotation of a resource: Palisade's own and, when `foreign` is on, those that
 * users of Polaris, kube-score, Checkov, Kubescape and KubeLinter already wrote, mapped through `equivalents`.
 * Annotations that name a check Palisade does not know are reported, never silently dropped.
 */
export function annotationExemptions(r: Resource, pod: PodView | undefined, checks: readonly Check[], peers: PeerIndex, foreign: boolean, now: Date): AnnotationParseResult {
  // Most resources carry no exemption annotation at all: answer them without building anything.
  const own = r.object.metadata.annotations;
  const tpl = pod && pod.metadataPath.length > 1 ? pod.metadata.annotations : undefined;
  if (!mayHoldExemption(own, foreign) && !mayHoldExemption(tpl, foreign)) return NO_EXEMPTIONS;
  const exemptions: Exemption[] = [];
  const issues: ExemptionIssue[] = [];
  for (const src of annotationSources(r, pod)) {
    const a = src.annotations;
    const where = (key: string) => {
      const loc = r.source.locate([...src.path, key]);
      return `${loc.file}:${loc.line}`;
    };
    const own = a[EXEMPT_ANNOTATION];
    if (typeof own === 'string') {
      const reason = typeof a[EXEMPT_REASON_ANNOTATION] === 'string' ? (a[EXEMPT_REASON_ANNOTATION] as string) : undefined;
      const expires = typeof a[EXEMPT_EXPIRES_ANNOTATION] === 'string' ? (a[EXEMPT_EXPIRES_ANNOTATION] as string) : undefined;
      // Group entries by container so `a, b:sidecar` makes one resource-wide and one container exemption.
      const byContainer = new Map<string, { ids: Set<string>; written: string[] }>();
      for (const entry of own.split(',').map((s) => s.trim()).filter(Boolean)) {
        const [ref, container] = entry.split(':').map((s) => s.trim());
        const id = resolveCheckRef(ref!, checks);
        if (!id) {
          issues.push({ kind: 'unknown-check', origin: 'annotation', source: where(EXEMPT_ANNOTATION), checks: [ref!], reason, expires, message: `${r.id}: annotation ${EXEMPT_ANNOTATION} names "${ref}", which is not a Palisade check id or slug` });
          continue;
        }
        const k = container ?? '';
        let g = byContainer.get(k);
        if (!g) byContainer.set(k, (g = { ids: new Set(), written: [] }));
        g.ids.add(id);
        g.written.push(entry);
      }
      for (const [container, g] of byContainer) {
        exemptions.push({ origin: 'annotation', checks: g.ids, written: g.written, container: container || undefined, reason, expires, source: where(EXEMPT_ANNOTATION), resource: r, used: false, expired: isExpired(expires, now) });
      }
    }
    if (!foreign) continue;
    for (const [key, raw] of Object.entries(a)) {
      const value = typeof raw === 'string' ? raw : String(raw);
      const mapped = foreignAnnotation(key, value);
      if (!mapped) continue;
      const origin = mapped.origin;
      if (mapped.ids === 'all') {
        exemptions.push({ origin, checks: 'all', written: [key], reason: mapped.reason, source: where(key), resource: r, used: false, expired: false });
        continue;
      }
      const ids = new Set<string>();
      for (const peerId of mapped.ids) {
        const ours = peers.get(mapped.tool)?.get(peerId.toLowerCase());
        if (!ours) {
          issues.push({ kind: 'unknown-check', origin, source: where(key), checks: [peerId], reason: mapped.reason, message: `${r.id}: ${mapped.tool} exemption "${peerId}" has no Palisade equivalent, so it exempts nothing here` });
          continue;
        }
        for (const id of ours) ids.add(id);
      }
      if (ids.size > 0) exemptions.push({ origin, checks: ids, written: mapped.ids, reason: mapped.reason, source: where(key), resource: r, used: false, expired: false });
    }
  }
  return { exemptions, issues };
}

const NO_EXEMPTIONS: AnnotationParseResult = Object.freeze({ exemptions: Object.freeze([]) as unknown as Exemption[], issues: Object.freeze([]) as unknown as ExemptionIssue[] });

/** False when no key of these annotations can be an exemption (Palisade's own, or a peer tool's when `foreign`). */
function mayHoldExemption(annotations: unknown, foreign: boolean): boolean {
  if (!annotations || typeof annotations !== 'object') return false;
  for (const key in annotations) {
    if (key === EXEMPT_ANNOTATION) return true;
    // Everything foreignAnnotation recognises contains one of these.
    if (foreign && (key.includes('polaris.fairwinds.com/') || key.includes('kube-score/ignore') || key.includes('.io/skip') || key.includes('kube-linter.io/') || key.includes('kubescape.io/ignore'))) return true;
  }
  return false;
}

interface ForeignExemption {
  origin: ExemptionOrigin;
  tool: PeerTool;
  ids: string[] | 'all';
  reason?: string;
}

/** kube-score ignores these checks too when the key is ignored (its `impliedIgnoreAnnotations`). */
const KUBE_SCORE_IMPLIED_IGNORES: Record<string, string[]> = {
  'container-resources': ['container-ephemeral-storage-request-and-limit'],
};

/** Recognises the exemption annotations of peer tools. */
export function foreignAnnotation(key: string, value: string): ForeignExemption | undefined {
  // Polaris: polaris.fairwinds.com/exempt: "true" or polaris.fairwinds.com/<check>-exempt: "true"
  if (key === 'polaris.fairwinds.com/exempt') return value === 'true' ? { origin: 'polaris-annotation', tool: 'polaris', ids: 'all' } : undefined;
  let m = /^polaris\.fairwinds\.com\/(.+)-exempt$/.exec(key);
  if (m) return value === 'true' ? { origin: 'polaris-annotation', tool: 'polaris', ids: [m[1]!] } : undefined;
  // kube-score: kube-score/ignore: "check-a, check-b"
  if (key === 'kube-score/ignore') {
    const ids = value.split(',').map((s) => s.trim()).filter(Boolean);
    // kube-score's implied ignores: ignoring a check also ignores the checks it was split into.
    for (const id of [...ids]) for (const implied of KUBE_SCORE_IMPLIED_IGNORES[id] ?? []) if (!ids.includes(implied)) ids.push(implied);
    return { origin: 'kube-score-annotation', tool: 'kubeScore', ids };
  }
  // Checkov: checkov.io/skip1: CKV_K8S_20=reason. Checkov accepts any key containing `checkov.io/skip` (or its
  // bridgecrew.io / cortex.io spellings), so `checkov.io/skipME` counts too.
  if (/(checkov|bridgecrew|cortex)\.io\/skip/.test(key)) {
    const [id, ...rest] = value.split('=');
    return { origin: 'checkov-annotation', tool: 'checkov', ids: [id!.trim()], reason: rest.join('=').trim() || undefined };
  }
  // KubeLinter: ignore-check.kube-linter.io/<check>: "reason"
  m = /^ignore-check\.kube-linter\.io\/(.+)$/.exec(key);
  if (m) return { origin: 'kube-linter-annotation', tool: 'kubeLinter', ids: [m[1]!], reason: value || undefined };
  // Kubescape's default exception policy skipped whole resources annotated kubescape.io/ignore: true|yes|1|enable(d).
  if (key === 'kubescape.io/ignore') {
    return /^(true|yes|1|enable|enabled)$/i.test(value.trim()) ? { origin: 'kubescape-annotation', tool: 'kubescape', ids: 'all' } : undefined;
  }
  return undefined;
}

/** Turns config-file exemptions into Exemption records; unknown check refs become issues. */
export function configExemptions(list: readonly ConfigExemption[], checks: readonly Check[], now: Date, configFile: string): AnnotationParseResult {
  const exemptions: Exemption[] = [];
  const issues: ExemptionIssue[] = [];
  list.forEach((e, i) => {
    const source = `${configFile} exemptions[${i}]`;
    const ids = new Set<string>();
    let all = false;
    for (const ref of e.checks) {
      if (ref === '*') {
        all = true;
        continue;
      }
      const id = resolveCheckRef(ref, checks);
      if (id) ids.add(id);
      else issues.push({ kind: 'unknown-check', origin: 'config', source, checks: [ref], reason: e.reason, expires: e.expires, message: `${source}: "${ref}" is not a Palisade check id or slug` });
    }
    if (!all && ids.size === 0) return;
    exemptions.push({ origin: 'config', checks: all ? 'all' : ids, written: e.checks, container: e.container, reason: e.reason, expires: e.expires, source, selector: e, used: false, expired: isExpired(e.expires, now) });
  });
  return { exemptions, issues };
}

/** Compiled glob patterns of config selectors: compiling one costs far more than matching it. */
const compiledGlobs = new Map<string, Minimatch>();

/** `minimatch(value, pattern)` with the pattern compiled once. */
function globMatch(value: string, pattern: string): boolean {
  let m = compiledGlobs.get(pattern);
  if (!m) {
    // Patterns come from config files, so there are few; the bound only keeps a long-lived server in check.
    if (compiledGlobs.size >= 1000) compiledGlobs.clear();
    m = new Minimatch(pattern);
    compiledGlobs.set(pattern, m);
  }
  return m.match(value);
}

/** Does the exemption cover this check on this resource (and container)? Expiry is checked by the caller. */
export function exemptionCovers(x: Exemption, checkId: string, r: Resource, container: string | undefined): boolean {
  if (x.checks !== 'all' && !x.checks.has(checkId)) return false;
  if (x.container !== undefined && x.container !== container) return false;
  if (x.resource) return x.resource === r;
  const s = x.selector;
  if (!s) return false;
  if (s.kind !== undefined && s.kind !== r.kind) return false;
  if (s.namespace !== undefined && !globMatch(effectiveNamespace(r) ?? '', s.namespace)) return false;
  if (s.name !== undefined && !globMatch(r.name, s.name)) return false;
  if (s.labels) {
    const labels = (r.object.metadata.labels ?? {}) as Record<string, string>;
    for (const [k, v] of Object.entries(s.labels)) if (labels[k] !== v) return false;
  }
  return true;
}

/** Issues for exemptions that are expired or never matched a finding. */
export function exemptionIssues(all: readonly Exemption[]): ExemptionIssue[] {
  const out: ExemptionIssue[] = [];
  for (const x of all) {
    const checks = x.written;
    const target = x.resource ? `${x.resource.id}: ` : '';
    if (x.expired) {
      out.push({ kind: 'expired', origin: x.origin, source: x.source, checks, reason: x.reason, expires: x.expires, message: `${target}exemption for ${checks.join(', ')} expired on ${x.expires}; its findings are reported again` });
    } else if (!x.used) {
      out.push({ kind: 'unmatched', origin: x.origin, source: x.source, checks, reason: x.reason, expires: x.expires, message: `${target}exemption for ${checks.join(', ')}${x.container ? ` (container "${x.container}")` : ''} matched no finding: remove it or fix its selector` });
    }
  }
  return out;
}
