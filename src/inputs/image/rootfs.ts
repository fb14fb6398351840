import { constants } from 'node:fs';
import { lstat, open, readdir, readlink, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PalisadeError } from '../../model/errors.js';
import type { ImageBackend } from './backend.js';
import type { Budget, LayerEntry, LayerReader } from './layer.js';
import { entryComponents } from './tree.js';

/** Top-level folders of a live system that are views of the kernel, not files of the image. */
const SKIPPED_TOP = new Set(['proc', 'sys']);

/**
 * Reads one regular file of the root without following links: every parent is checked to be a real
 * folder, and the file is opened with O_NOFOLLOW (and O_NONBLOCK, so a FIFO swapped in cannot hang us),
 * then checked again to be a regular file. Links inside the root are resolved by the walker, inside the
 * image, never by the host.
 */
async function readInside(root: string, rel: string, max: number): Promise<Buffer | undefined> {
  const parts = entryComponents(rel);
  if (parts === null || parts.length === 0) return undefined;
  let dir = root;
  for (const p of parts.slice(0, -1)) {
    dir = join(dir, p);
    const s = await lstat(dir).catch(() => undefined);
    if (!s || !s.isDirectory()) return undefined;
  }
  const path = join(dir, parts[parts.length - 1]);
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const s = await fh.stat();
    if (!s.isFile()) return undefined;
    if (s.size > max) throw new PalisadeError('E_IMAGE_LIMIT', `${path}: ${s.size} bytes, over the ${max}-byte limit for one kept file (maxFileBytes)`);
    const buf = Buffer.alloc(s.size);
    let off = 0;
    while (off < s.size) {
      const { bytesRead } = await fh.read(buf, off, s.size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return buf.subarray(0, off);
  } finally {
    await fh.close();
  }
}

/** The folder as one layer: entries in sorted depth-first order, from `lstat` and `readlink` only. */
function rootfsLayer(root: string): LayerReader {
  const digest = `rootfs:${root}`;
  return {
    ref: { digest, index: 0 },
    async *entries(budget: Budget): AsyncGenerator<LayerEntry> {
      const stack: string[][] = [[]];
      while (stack.length > 0) {
        const dirParts = stack.pop() as string[];
        const dirPath = join(root, ...dirParts);
        let names: string[];
        try {
          names = (await readdir(dirPath)).sort();
        } catch {
          continue;
        }
        const subdirs: string[][] = [];
        for (const name of names) {
          if (dirParts.length === 0 && SKIPPED_TOP.has(name)) continue;
          const parts = [...dirParts, name];
          const rel = parts.join('/');
          const s = await lstat(join(dirPath, name)).catch(() => undefined);
          if (!s) continue;
          if (s.isDirectory()) {
            yield { path: rel + '/', type: 'dir', size: 0, read: async () => Buffer.alloc(0) };
            subdirs.push(parts);
          } else if (s.isSymbolicLink()) {
            const target = await readlink(join(dirPath, name)).catch(() => '');
            yield { path: rel, type: 'symlink', linkname: target, size: 0, read: async () => Buffer.alloc(0) };
          } else if (s.isFile()) {
            yield {
              path: rel,
              type: 'file',
              size: s.size,
              read: async () => {
                const content = (await readInside(root, rel, budget.limits.maxFileBytes)) ?? Buffer.alloc(0);
                budget.addBytes(content.length, root);
                return content;
              },
            };
          } else {
            yield { path: rel, type: 'other', size: 0, read: async () => Buffer.alloc(0) };
          }
        }
        for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]);
      }
    },
    readFile: (path, max) => readInside(root, path, max),
  };
}

/** Opens a root file system folder as an image of one pseudo-layer (`rootfs:<absolute path>`). */
export async function openRootfs(path: string): Promise<ImageBackend> {
  const root = resolve(path);
  const s = await stat(root).catch(() => undefined);
  if (!s || !s.isDirectory()) throw new PalisadeError('E_IMAGE_SOURCE', `${root}: not a folder`);
  return {
    ref: root,
    config: {},
    platform: { os: 'unknown', architecture: 'unknown' },
    layers: [rootfsLayer(root)],
    close: async () => undefined,
  };
}
