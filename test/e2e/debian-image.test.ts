/**
 * A real Debian 12 image end to end: a `debootstrap --variant=minbase bookworm` root, packed into gzip layers
 * as an image builder would, pushed to Debian's docker-registry on loopback, pulled back through Palisade's
 * registry source, walked and analyzed. The package list must be exactly what dpkg-query reads from the
 * same root's database.
 *
 * The root is made once and kept in the test cache (`$PALISADE_TEST_CACHE`, else
 * node_modules/.cache/palisade-test); without debootstrap, root or the Debian mirror the test skips, saying why.
 */
import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImage } from '../../src/inputs/image/index.js';
import type { ImageFile, OpenedImage } from '../../src/inputs/image/index.js';
import { analyzeFiles, wantedByAny, type Analysis } from '../../src/vuln/analyzers/run.js';
import { debootstrapRootfs, dpkgQueryPackages, hasDpkgQuery } from '../helpers/debian-rootfs.js';
import { packLayer, planFolder, type PackEntry } from '../helpers/layer-pack.js';
import { image } from '../helpers/oci-image.js';
import { hasRegistry, pushImage, startRegistry, type RunningRegistry } from '../helpers/registry.js';

/** Layer 0: /usr; layer 1: the rest; layer 2: the dpkg database, and whiteouts of the downloaded .debs. */
const LAYERS = 3;
const layerOf = (name: string): number => (name === 'usr' || name.startsWith('usr/') ? 0 : name.startsWith('var/lib/dpkg') ? 2 : 1);
const ARCHIVES = 'var/cache/apt/archives';

interface Fixture {
  root: string;
  registry: RunningRegistry;
  img: OpenedImage;
  files: ImageFile[];
  analysis: Analysis;
  /** The .deb files the last layer deletes with whiteouts. */
  debs: string[];
  /** Names packed as tar hard links. */
  hardLinks: string[];
  skippedNodes: number;
}

let skip = '';
if (!hasRegistry()) skip = 'docker-registry is not installed (apt-get install docker-registry)';
else if (!hasDpkgQuery()) skip = 'dpkg-query is not installed';
let fx: Fixture | undefined;

beforeAll(async () => {
  if (skip) {
    console.warn(`Debian image tests skipped: ${skip}`);
    return;
  }
  const made = await debootstrapRootfs('bookworm', 'minbase');
  if ('skipped' in made) {
    skip = made.skipped;
    console.warn(`Debian image tests skipped: ${skip}`);
    return;
  }
  const root = made.dir;
  const { layers, stats } = planFolder(root, LAYERS, layerOf, (n) => n === '.palisade-complete');
  const debs = readdirSync(join(root, ARCHIVES)).filter((f) => f.endsWith('.deb')).sort();
  const mtime = new Date('2025-01-01T00:00:00Z');
  // `RUN apt-get clean` in a later step: the .debs stay in layer 1 and are deleted by layer 2.
  const whiteouts: PackEntry[] = debs.map((f) => ({ name: `${ARCHIVES}/.wh.${f}`, type: 'file', mode: 0o644, mtime, content: Buffer.alloc(0) }));
  layers[2].push({ name: 'var', type: 'directory', mode: 0o755, mtime }, { name: 'var/cache', type: 'directory', mode: 0o755, mtime }, { name: 'var/cache/apt', type: 'directory', mode: 0o755, mtime }, { name: ARCHIVES, type: 'directory', mode: 0o755, mtime }, ...whiteouts);
  const hardLinks = layers.flat().filter((e) => e.type === 'link').map((e) => `/${e.name}`);
  const built = [];
  for (const l of layers) built.push(await packLayer(l));
  const im = image(built, { history: built.map((_, i) => ({ created_by: `debootstrap bookworm, part ${i}` })) });

  const registry = await startRegistry();
  await pushImage({ url: registry.url, repository: 'debian/bookworm' }, im, 'minbase');
  const img = await openImage(`${registry.host}/debian/bookworm:minbase`, { registry: { insecure: true, dockerConfig: false } });
  const files = await img.walk((p) => wantedByAny(p));
  const analysis = await analyzeFiles(files.map((f) => ({ path: f.path, content: f.content, layer: f.layer })));
  fx = { root, registry, img, files, analysis, debs, hardLinks, skippedNodes: stats.skipped };
}, 600_000);

afterAll(async () => {
  await fx?.img.close();
  await fx?.registry.stop();
});

describe('Debian bookworm minbase from a registry', () => {
  it('finds exactly the packages dpkg-query lists, with their source packages', (ctx) => {
    if (skip || !fx) return ctx.skip(skip || 'fixture not built');
    const expected = dpkgQueryPackages(fx.root);
    const got = fx.analysis.packages
      .filter((p) => p.scheme === 'deb')
      .map((p) => `${p.name} ${p.version} ${p.arch ?? ''} ${p.sourceName ?? p.name} ${p.sourceVersion ?? p.version}`)
      .sort();
    expect(expected.length).toBeGreaterThan(50);
    expect(got).toEqual(expected);
    // Every package comes from the layer that holds the dpkg database.
    expect(new Set(fx.analysis.packages.filter((p) => p.scheme === 'deb').map((p) => p.layer?.index))).toEqual(new Set([2]));
    expect(fx.analysis.errors).toEqual([]);
  });

  it('recognises Debian 12 through the /etc/os-release symbolic link', (ctx) => {
    if (skip || !fx) return ctx.skip(skip || 'fixture not built');
    const debianVersion = readFileSync(join(fx.root, 'etc/debian_version'), 'utf8').trim();
    expect(fx.analysis.os).toMatchObject({ family: 'debian', codename: 'bookworm', version: debianVersion });
    expect(fx.analysis.os?.version).toMatch(/^12(\.|$)/);
    expect(lstatSync(join(fx.root, 'etc/os-release')).isSymbolicLink()).toBe(true);
    const osRelease = fx.files.find((f) => f.path === '/etc/os-release');
    expect(osRelease?.resolvedPath).toBe('/usr/lib/os-release');
    expect(osRelease?.layer.index).toBe(0);
    expect(osRelease?.content.equals(readFileSync(join(fx.root, 'usr/lib/os-release')))).toBe(true);
  });

  it('returns wanted files byte for byte, hard links included', (ctx) => {
    if (skip || !fx) return ctx.skip(skip || 'fixture not built');
    const status = fx.files.find((f) => f.path === '/var/lib/dpkg/status');
    expect(status?.content.equals(readFileSync(join(fx.root, 'var/lib/dpkg/status')))).toBe(true);
    // bookworm's perl and gzip ship hard-linked programs in /usr/bin, which the Go analyzer asks for.
    expect(fx.hardLinks.length).toBeGreaterThan(0);
    for (const path of fx.hardLinks.filter((p) => wantedByAny(p))) {
      const f = fx.files.find((x) => x.path === path);
      expect(f, path).toBeDefined();
      expect(f?.content.equals(readFileSync(join(fx.root, path))), path).toBe(true);
    }
    // debootstrap's /dev nodes are not packed.
    expect(fx.skippedNodes).toBeGreaterThan(0);
  });

  it('applies the whiteouts of the last layer', async (ctx) => {
    if (skip || !fx) return ctx.skip(skip || 'fixture not built');
    expect(fx.debs.length).toBeGreaterThan(0);
    const left = await fx.img.walk((p) => p.startsWith(`/${ARCHIVES}/`) || p === '/usr/bin/dpkg');
    expect(left.map((f) => f.path)).toEqual(['/usr/bin/dpkg']);
  });
});
