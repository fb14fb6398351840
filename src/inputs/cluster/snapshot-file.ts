import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import jsYaml from 'js-yaml';
import { PalisadeError } from '../../model/errors.js';
import type { ApiAnswer, KubeApi } from './client.js';
import { CLUSTER_KINDS, type ClusterKind } from './kinds.js';

type Raw = Record<string, unknown>;

/** The API group of an `apiVersion` (`apps/v1` -> `apps`, `v1` -> ''). */
function groupOf(apiVersion: unknown): string {
  const v = typeof apiVersion === 'string' ? apiVersion : '';
  const slash = v.indexOf('/');
  return slash < 0 ? '' : v.slice(0, slash);
}

/** Every object of a parsed document: a `List` (`kubectl get -o yaml`), any `*List`, or a single object. */
function objectsOf(doc: unknown, out: Raw[]): void {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return;
  const o = doc as Raw;
  if (Array.isArray(o.items) && typeof o.kind === 'string' && o.kind.endsWith('List')) {
    for (const it of o.items) objectsOf(it, out);
    return;
  }
  if (typeof o.kind === 'string' && o.metadata && typeof o.metadata === 'object') out.push(o);
}

/**
 * A cluster read from a saved snapshot instead of an API server: the YAML or JSON of `kubectl get -o yaml`
 * (a `List`, or several documents). It answers the list and get requests {@link ClusterConnector} makes, so a
 * snapshot goes through exactly the reading of a live cluster: the connector's scope and exclusions, the
 * metadata-only reading of ConfigMaps and Secrets (values in the file never get further), and normalisation.
 * Kinds Palisade does not read are ignored. The file is read once, on the first request.
 */
export class SnapshotFile implements KubeApi {
  readonly loaded: { context: string; server: string };
  private objects?: Promise<Map<ClusterKind, Raw[]>>;

  /** `file`: the snapshot; `context`: the name the cluster goes by in `cluster://` sources (default `snapshot`). */
  constructor(readonly file: string, context = 'snapshot') {
    this.loaded = { context, server: pathToFileURL(resolve(file)).href };
  }

  private load(): Promise<Map<ClusterKind, Raw[]>> {
    this.objects ??= (async () => {
      let text: string;
      try {
        text = await readFile(this.file, 'utf8');
      } catch (e) {
        throw new PalisadeError('E_CLUSTER_CONFIG', `cannot read the cluster snapshot ${this.file}: ${(e as Error).message}`);
      }
      const raws: Raw[] = [];
      try {
        for (const doc of jsYaml.loadAll(text)) objectsOf(doc, raws);
      } catch (e) {
        throw new PalisadeError('E_CLUSTER_CONFIG', `the cluster snapshot ${this.file} is not valid YAML or JSON: ${(e as Error).message}`);
      }
      const byKind = new Map<ClusterKind, Raw[]>(CLUSTER_KINDS.map((k) => [k, []]));
      for (const o of raws) {
        const kind = CLUSTER_KINDS.find((k) => k.kind === o.kind && k.group === groupOf(o.apiVersion));
        if (kind) byKind.get(kind)!.push(o);
      }
      return byKind;
    })();
    return this.objects;
  }

  /** Answers `GET` of a collection (cluster-wide or one namespace's) or of one object, as the API server would (one page). */
  async request(method: 'GET' | 'POST', path: string): Promise<ApiAnswer> {
    const byKind = await this.load();
    if (method !== 'GET') return { status: 405, body: { message: 'a cluster snapshot is read-only' } };
    for (const [kind, items] of byKind) {
      const base = kind.group ? `/apis/${kind.group}/${kind.version}` : `/api/${kind.version}`;
      if (!path.startsWith(`${base}/`)) continue;
      const rest = path.slice(base.length + 1).split('/').map(decodeURIComponent);
      let namespace: string | undefined;
      let tail = rest;
      if (kind.namespaced && rest[0] === 'namespaces' && rest.length >= 3) {
        namespace = rest[1];
        tail = rest.slice(2);
      }
      if (tail[0] !== kind.resource || tail.length > 2) continue;
      const inScope = namespace === undefined ? items : items.filter((o) => (o.metadata as Raw).namespace === namespace);
      if (tail.length === 1) return { status: 200, body: { kind: `${kind.kind}List`, metadata: { resourceVersion: '' }, items: inScope } };
      const one = inScope.find((o) => (o.metadata as Raw).name === tail[1]);
      return one ? { status: 200, body: one } : { status: 404, body: { kind: 'Status', code: 404, reason: 'NotFound', message: `${kind.resource} "${tail[1]}" not found in the snapshot` } };
    }
    return { status: 404, body: { kind: 'Status', code: 404, reason: 'NotFound', message: `${path} is not in the snapshot` } };
  }
}
