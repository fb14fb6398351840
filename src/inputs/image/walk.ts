import { posix } from 'node:path';
import type { LayerRef } from '../../model/package.js';
import { Budget, layerLabel, type LayerEntry, type LayerReader } from './layer.js';
import { FsTree, entryComponents, joinPath, pathComponents, type FsNode } from './tree.js';
import type { ImageFile, ImageLimits, WalkProgress, WantFile } from './types.js';

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

/** Options of one walk. */
export interface WalkOptions {
  limits: ImageLimits;
  onWarning?: (message: string) => void;
  onProgress?: (p: WalkProgress) => void;
}

/**
 * Builds the final file system of `layers` and returns the wanted files; see `OpenedImage.walk`.
 *
 * Each layer is streamed once, in order. Wanted files are read as they pass; so are the targets of wanted
 * symbolic links that come later in the stream. A link whose target passed before it was known to be
 * needed (or a hard link to an unwanted file) is settled at the end by reading that one file again from
 * the one layer that holds it, the only case in which a layer is read twice.
 */
export async function walkLayers(layers: readonly LayerReader[], want: WantFile, opts: WalkOptions): Promise<ImageFile[]> {
  const budget = new Budget(opts.limits);
  const warn = (m: string): void => opts.onWarning?.(m);
  const tree = new FsTree();
  const wanted = new Set<string>();
  /** Paths that wanted links point to: kept when they arrive, so most links need no second read. */
  const speculative = new Set<string>();

  const noteLinkTarget = (linkPath: string, target: string): void => {
    const lexical = posix.normalize(target.startsWith('/') ? target : posix.join(posix.dirname(linkPath), target));
    speculative.add(joinPath(pathComponents(lexical)));
    const r = tree.resolve(pathComponents(linkPath), true);
    if (!('error' in r) && r.node === undefined) speculative.add(joinPath(r.path));
  };

  const capture = async (entry: LayerEntry, node: FsNode, path: string, mustKeep: boolean, what: string): Promise<void> => {
    if (!mustKeep && entry.size > opts.limits.maxFileBytes) return;
    budget.keep(entry.size, path, what);
    node.content = await entry.read();
  };

  const progress = (layer: number): void => opts.onProgress?.({ layer, layers: layers.length, bytes: budget.bytes, entries: budget.entries });
  for (const [layerIndex, layer] of layers.entries()) {
    const what = layerLabel(layer.ref);
    progress(layerIndex);
    for await (const entry of layer.entries(budget)) {
      budget.addEntry(what);
      progress(layerIndex);
      const parts = entryComponents(entry.path);
      if (parts === null) {
        warn(`${what}: entry "${entry.path}" climbs out of the image root; ignored`);
        continue;
      }
      // Empty names are the root itself; `.wh..wh.*` at the top are AUFS metadata folders (hard-link
      // staging), not image content.
      if (parts.length === 0 || parts[0].startsWith(WHITEOUT + WHITEOUT)) continue;
      const base = parts[parts.length - 1];
      if (base.startsWith(WHITEOUT)) {
        const dirParts = parts.slice(0, -1);
        if (base === OPAQUE) {
          const r = tree.resolve(dirParts, true, layerIndex);
          if (!('error' in r) && r.node?.kind === 'dir') tree.opaque(r.node, layerIndex);
        } else if (!base.startsWith(WHITEOUT + WHITEOUT)) {
          // `.wh..wh.*` other than the opaque marker is AUFS bookkeeping, not a deletion.
          const r = tree.resolve([...dirParts, base.slice(WHITEOUT.length)], false);
          if (!('error' in r)) tree.whiteout(r.parent, r.name, layerIndex);
        }
        continue;
      }
      const r = tree.resolve(parts, false, layerIndex);
      if ('error' in r) {
        warn(`${what}: cannot place "${entry.path}" (${r.error === 'loop' ? 'symbolic link loop' : 'parent is not a directory'}); ignored`);
        continue;
      }
      const path = joinPath(r.path);
      switch (entry.type) {
        case 'dir':
          if (r.node?.kind === 'dir') r.node.layer = layerIndex;
          else tree.set(r.parent, r.name, { kind: 'dir', layer: layerIndex, children: new Map() });
          break;
        case 'file': {
          const node: FsNode = { kind: 'file', layer: layerIndex, source: { layer: layerIndex, path: parts.join('/') } };
          tree.set(r.parent, r.name, node);
          const isWanted = want(path);
          if (isWanted) wanted.add(path);
          if (isWanted || speculative.has(path)) await capture(entry, node, path, isWanted, what);
          break;
        }
        case 'symlink': {
          const target = entry.linkname ?? '';
          tree.set(r.parent, r.name, { kind: 'symlink', layer: layerIndex, target });
          const isWanted = want(path);
          if (isWanted) wanted.add(path);
          if ((isWanted || speculative.has(path)) && target) noteLinkTarget(path, target);
          break;
        }
        case 'link': {
          const tparts = entryComponents(entry.linkname ?? '');
          const t = tparts && tparts.length ? tree.resolve(tparts, false) : undefined;
          const target = t && !('error' in t) ? t.node : undefined;
          if (!target || (target.kind !== 'file' && target.kind !== 'symlink')) {
            warn(`${what}: hard link "${entry.path}" -> "${entry.linkname ?? ''}" has no target; ignored`);
            break;
          }
          tree.set(r.parent, r.name, { ...target, layer: layerIndex, children: undefined });
          const isWanted = want(path);
          if (isWanted) wanted.add(path);
          if ((isWanted || speculative.has(path)) && target.kind === 'symlink' && target.target) noteLinkTarget(path, target.target);
          break;
        }
        default:
          tree.set(r.parent, r.name, { kind: 'other', layer: layerIndex });
      }
    }
  }

  progress(layers.length);

  // Final state of every wanted path.
  const found: Array<{ path: string; node: FsNode; resolvedPath?: string }> = [];
  for (const path of [...wanted].sort()) {
    const parts = pathComponents(path);
    const r = tree.resolve(parts, false);
    if ('error' in r || r.node === undefined) continue;
    if (r.node.kind === 'file') {
      found.push({ path, node: r.node });
      continue;
    }
    if (r.node.kind !== 'symlink') continue;
    const f = tree.resolve(parts, true);
    if ('error' in f) {
      warn(`${path}: ${f.error === 'loop' ? 'symbolic link loop' : 'dangling symbolic link'} (-> ${r.node.target ?? ''}); skipped`);
      continue;
    }
    if (f.node === undefined) {
      warn(`${path}: dangling symbolic link (-> ${r.node.target ?? ''}); skipped`);
      continue;
    }
    if (f.node.kind === 'file') found.push({ path, node: f.node, resolvedPath: joinPath(f.path) });
  }

  await readMissing(layers, found.map((f) => f.node), budget, opts);

  const out: ImageFile[] = [];
  for (const f of found) {
    if (!f.node.content) {
      warn(`${f.path}: content could not be read; skipped`);
      continue;
    }
    const layer: LayerRef = layers[f.node.layer].ref;
    const file: ImageFile = { path: f.path, content: f.node.content, layer };
    if (f.resolvedPath !== undefined && f.resolvedPath !== f.path) file.resolvedPath = f.resolvedPath;
    out.push(file);
  }
  return out;
}

/** Reads, from the one layer that holds each, the files a link led to after they had streamed past. */
async function readMissing(layers: readonly LayerReader[], nodes: FsNode[], budget: Budget, opts: WalkOptions): Promise<void> {
  const byLayer = new Map<number, Map<string, FsNode[]>>();
  for (const node of nodes) {
    if (node.content || !node.source) continue;
    const { layer, path } = node.source;
    let m = byLayer.get(layer);
    if (!m) byLayer.set(layer, (m = new Map()));
    const list = m.get(path) ?? [];
    if (!list.includes(node)) list.push(node);
    m.set(path, list);
  }
  for (const [index, paths] of [...byLayer.entries()].sort((a, b) => a[0] - b[0])) {
    const layer = layers[index];
    const what = layerLabel(layer.ref);
    if (layer.readFile) {
      for (const [path, list] of paths) {
        const content = await layer.readFile(path, opts.limits.maxFileBytes);
        if (content === undefined) continue;
        budget.keep(content.length, '/' + path, what);
        for (const n of list) n.content = content;
      }
      continue;
    }
    for await (const entry of layer.entries(budget)) {
      if (entry.type !== 'file') continue;
      const parts = entryComponents(entry.path);
      const list = parts ? paths.get(parts.join('/')) : undefined;
      if (!list) continue;
      budget.keep(entry.size, '/' + (parts as string[]).join('/'), what);
      const content = await entry.read();
      for (const n of list) n.content = content;
    }
  }
}
