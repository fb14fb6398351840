/**
 * The merged file system of an image, built layer by layer from archive entries: names, kinds, link targets
 * and the layer that wrote each node. Content is held only for the files a walk keeps.
 *
 * Path resolution follows Linux `namei` inside a chroot: `..` at the root stays at the root, absolute
 * symbolic links restart at the image root (never the host's), and at most 40 links are followed.
 */

/** A node of the merged tree. */
export interface FsNode {
  kind: 'dir' | 'file' | 'symlink' | 'other';
  /** Index of the layer that last wrote this node. */
  layer: number;
  children?: Map<string, FsNode>;
  /** Symbolic link target as written. */
  target?: string;
  /** File content, when the walk kept it. */
  content?: Buffer;
  /** File: the archive entry that holds its bytes (hard links share their target's). */
  source?: { layer: number; path: string };
}

/** A successful resolution: the directory holding the result, its name there and the node (if any). */
export interface Resolved {
  parent: FsNode;
  name: string;
  node: FsNode | undefined;
  /** Canonical components of the result. */
  path: string[];
}

/** Why a path does not resolve. */
export interface ResolveFailure {
  error: 'loop' | 'notdir' | 'missing';
  /** The path as far as it could be taken, then the rest lexically (a best guess for links not yet seen). */
  path: string[];
}

/** Linux's limit on symbolic links followed in one lookup. */
export const MAX_LINK_HOPS = 40;

/**
 * Splits an archive entry name into clean components. Returns null when `..` would climb above the root
 * (`../../etc/passwd`): such entries are refused, as container runtimes do, rather than clamped.
 */
export function entryComponents(name: string): string[] | null {
  const out: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (out.length === 0) return null;
      out.pop();
    } else out.push(c);
  }
  return out;
}

/** Splits an absolute image path. */
export function pathComponents(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

/** `/a/b` from components. */
export function joinPath(parts: readonly string[]): string {
  return '/' + parts.join('/');
}

function newDir(layer: number): FsNode {
  return { kind: 'dir', layer, children: new Map() };
}

/** The merged file system; see the module comment. */
export class FsTree {
  readonly root: FsNode = newDir(-1);

  /**
   * Resolves `parts` from the root. Intermediate symbolic links are always followed; the last component
   * only when `followLast`. With `createLayer`, missing or non-directory intermediates become directories
   * of that layer, as extracting an archive entry would make them.
   */
  resolve(parts: readonly string[], followLast: boolean, createLayer?: number): Resolved | ResolveFailure {
    // `rest` is a stack (next component last) of meaningful components: no '' or '.'.
    const rest: string[] = [];
    for (let i = parts.length - 1; i >= 0; i--) if (parts[i] !== '' && parts[i] !== '.') rest.push(parts[i]);
    const canon: string[] = [];
    const dirs: FsNode[] = [this.root];
    const remaining = (): string[] => rest.slice().reverse();
    let hops = 0;
    while (rest.length > 0) {
      const c = rest.pop() as string;
      const cur = dirs[dirs.length - 1];
      if (c === '..') {
        if (canon.length > 0) {
          canon.pop();
          dirs.pop();
        }
        continue;
      }
      const isLast = rest.length === 0;
      const children = cur.children as Map<string, FsNode>;
      let child = children.get(c);
      if (isLast && !followLast) return { parent: cur, name: c, node: child, path: [...canon, c] };
      if (child === undefined) {
        if (isLast) return { parent: cur, name: c, node: undefined, path: [...canon, c] };
        if (createLayer === undefined) return { error: 'missing', path: [...canon, c, ...remaining()] };
        child = newDir(createLayer);
        children.set(c, child);
      }
      if (child.kind === 'symlink') {
        if (++hops > MAX_LINK_HOPS) return { error: 'loop', path: [...canon, c, ...remaining()] };
        const target = child.target ?? '';
        if (target.startsWith('/')) {
          canon.length = 0;
          dirs.length = 1;
        }
        const t = target.split('/');
        for (let i = t.length - 1; i >= 0; i--) if (t[i] !== '' && t[i] !== '.') rest.push(t[i]);
        continue;
      }
      if (isLast) return { parent: cur, name: c, node: child, path: [...canon, c] };
      if (child.kind !== 'dir') {
        if (createLayer === undefined) return { error: 'notdir', path: [...canon, c, ...remaining()] };
        child = newDir(createLayer);
        children.set(c, child);
      }
      canon.push(c);
      dirs.push(child);
    }
    // Every component was consumed by `..` or a link to a directory: the result is the current directory.
    const node = dirs[dirs.length - 1];
    const parent = dirs.length > 1 ? dirs[dirs.length - 2] : this.root;
    return { parent, name: canon[canon.length - 1] ?? '', node, path: canon };
  }

  /** Puts `node` at `name` in `parent`, replacing whatever was there (a directory with all below it). */
  set(parent: FsNode, name: string, node: FsNode): void {
    (parent.children as Map<string, FsNode>).set(name, node);
  }

  /**
   * Applies a whiteout of `name` found in `layer`: removes what lower layers put there. Content the same
   * layer adds is not hidden (OCI image spec: a whiteout applies only to lower layers).
   */
  whiteout(parent: FsNode, name: string, layer: number): void {
    const children = parent.children as Map<string, FsNode>;
    const node = children.get(name);
    if (!node) return;
    if (node.kind === 'dir') {
      this.opaque(node, layer);
      if (node.layer < layer && (node.children as Map<string, FsNode>).size === 0) children.delete(name);
    } else if (node.layer < layer) children.delete(name);
  }

  /** Applies an opaque-directory marker of `layer`: the directory keeps only what `layer` itself adds. */
  opaque(dir: FsNode, layer: number): void {
    const children = dir.children as Map<string, FsNode>;
    for (const [name, child] of children) {
      if (child.kind === 'dir') {
        this.opaque(child, layer);
        if (child.layer < layer && (child.children as Map<string, FsNode>).size === 0) children.delete(name);
      } else if (child.layer < layer) children.delete(name);
    }
  }
}
