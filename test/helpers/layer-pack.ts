/**
 * Packs real files into image layers: a folder (a debootstrapped root, say) split into several layers by
 * path, with its symbolic links, hard links, modes, owners and times as they are on disk, plus entries
 * made in memory; each layer streamed through tar-stream and node:zlib gzip, hashed on the way (digest and
 * diff_id), so that a layer of hundreds of megabytes never sits in memory uncompressed.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';
import type { BuiltLayer } from './oci-image.js';

/** One archive entry to pack. Names are relative (`usr/bin/perl`); directories without a trailing slash. */
export interface PackEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link';
  mode: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  /** Target of a symbolic link, or the name of the entry a hard link repeats. */
  linkname?: string;
  /** File content: bytes, a file on the host, or a function that makes the bytes when the entry is packed. */
  content?: Buffer | { path: string } | (() => Buffer);
}

/** What `planFolder` left out. */
export interface PlanStats {
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  /** Device nodes, FIFOs and sockets: not image content (container runtimes make /dev themselves). */
  skipped: number;
}

/**
 * Splits the tree under `root` into `count` layers: every entry goes to `layerOf(relative name)`, except a
 * hard link, which follows the first name of its inode (a tar hard link can only point into its own
 * archive). Each layer also gets the folders above its entries, as an image builder writes them.
 * `skip` leaves paths (and everything under them) out.
 */
export function planFolder(root: string, count: number, layerOf: (name: string) => number, skip?: (name: string) => boolean): { layers: PackEntry[][]; stats: PlanStats } {
  const layers: PackEntry[][] = Array.from({ length: count }, () => []);
  const emitted = layers.map(() => new Set<string>());
  const inodes = new Map<string, { name: string; layer: number }>();
  const stats: PlanStats = { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, skipped: 0 };
  const meta = (name: string): Pick<PackEntry, 'mode' | 'uid' | 'gid' | 'mtime'> => {
    const st = lstatSync(join(root, name));
    return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
  };
  const dirIn = (name: string, layer: number): void => {
    if (!name || emitted[layer].has(name)) return;
    const i = name.lastIndexOf('/');
    if (i > 0) dirIn(name.slice(0, i), layer);
    emitted[layer].add(name);
    layers[layer].push({ name, type: 'directory', ...meta(name) });
  };
  const put = (layer: number, e: PackEntry): void => {
    const i = e.name.lastIndexOf('/');
    if (i > 0) dirIn(e.name.slice(0, i), layer);
    layers[layer].push(e);
  };
  const walk = (rel: string): void => {
    for (const base of readdirSync(join(root, rel)).sort()) {
      const name = rel ? `${rel}/${base}` : base;
      if (skip?.(name)) continue;
      const st = lstatSync(join(root, name));
      const m = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
      if (st.isDirectory()) {
        stats.dirs++;
        dirIn(name, layerOf(name));
        walk(name);
      } else if (st.isSymbolicLink()) {
        stats.symlinks++;
        put(layerOf(name), { name, type: 'symlink', linkname: readlinkSync(join(root, name)), ...m });
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? inodes.get(key) : undefined;
        if (first) {
          stats.hardlinks++;
          put(first.layer, { name, type: 'link', linkname: first.name, ...m });
          continue;
        }
        stats.files++;
        const layer = layerOf(name);
        if (st.nlink > 1) inodes.set(key, { name, layer });
        put(layer, { name, type: 'file', content: { path: join(root, name) }, ...m });
      } else stats.skipped++;
    }
  };
  walk('');
  return { layers, stats };
}

function bytesOf(content: PackEntry['content']): Buffer {
  if (content === undefined) return Buffer.alloc(0);
  if (Buffer.isBuffer(content)) return content;
  if (typeof content === 'function') return content();
  return readFileSync(content.path);
}

/** Bytes of tar not yet compressed before the packer waits for gzip. */
const MAX_PENDING = 8 << 20;

/**
 * `entries` with a directory entry (0755, owned by root) before the first entry under each folder that
 * has none, as image builders write them.
 */
export function withParents(entries: readonly PackEntry[], mtime = new Date(0)): PackEntry[] {
  const seen = new Set(entries.filter((e) => e.type === 'directory').map((e) => e.name));
  const out: PackEntry[] = [];
  for (const e of entries) {
    const parts = e.name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (seen.has(dir)) continue;
      seen.add(dir);
      out.push({ name: dir, type: 'directory', mode: 0o755, mtime });
    }
    out.push(e);
  }
  return out;
}

/** A packed layer, with the size of its tar. */
export type PackedLayer = BuiltLayer & { tarSize: number };

/**
 * One gzip layer of `entries` (OCI media type), in order. `level` is the gzip level (default 6, as Docker
 * and most builders use). The returned layer's `tar` is empty: the tar is hashed while streaming, not kept.
 */
export async function packLayer(entries: Iterable<PackEntry>, level = 6): Promise<PackedLayer> {
  const tarHash = createHash('sha256');
  const blobHash = createHash('sha256');
  const out: Buffer[] = [];
  let size = 0;
  let tarSize = 0;
  let pending = 0;
  let wake: (() => void) | undefined;
  const gz = createGzip({ level });
  gz.on('data', (c: Buffer) => {
    out.push(c);
    size += c.length;
    blobHash.update(c);
  });
  const gzEnded = new Promise<void>((resolve, reject) => {
    gz.on('end', resolve);
    gz.on('error', reject);
  });
  const p = pack();
  p.on('data', (data: unknown) => {
    const c = data as Buffer;
    tarHash.update(c);
    tarSize += c.length;
    pending += c.length;
    gz.write(c, () => {
      pending -= c.length;
      if (pending < MAX_PENDING && wake) {
        const w = wake;
        wake = undefined;
        w();
      }
    });
  });
  const packEnded = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const e of entries) {
    const header = { name: e.type === 'directory' ? `${e.name}/` : e.name, type: e.type, mode: e.mode, uid: e.uid ?? 0, gid: e.gid ?? 0, mtime: e.mtime ?? new Date(0), linkname: e.linkname };
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (e.type === 'file') {
        const data = bytesOf(e.content);
        p.entry({ ...header, size: data.length }, data, cb);
      } else p.entry(header, cb);
    });
    if (pending >= MAX_PENDING) await new Promise<void>((r) => (wake = r));
  }
  p.finalize();
  await packEnded;
  gz.end();
  await gzEnded;
  const blob = Buffer.concat(out, size);
  return {
    blob,
    digest: `sha256:${blobHash.digest('hex')}`,
    diffId: `sha256:${tarHash.digest('hex')}`,
    size,
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    tar: Buffer.alloc(0),
    tarSize,
  };
}
