import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { InputError } from '../../model/errors.js';
import type { FieldPath } from '../../model/path.js';
import { DEFAULT_LIMITS, type ParsedFile } from './parse.js';
import { closeParseThreads, parseFiles } from './threads.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function manifestFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) manifestFiles(p, out);
    else if (/\.(ya?ml|json)$/.test(e)) out.push(p);
  }
  return out;
}

/** Every field path of a value (mapping keys and sequence indexes), for comparing locators. */
function paths(v: unknown, prefix: FieldPath = [], out: FieldPath[] = []): FieldPath[] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (v !== null && typeof v === 'object' && !(v instanceof Date)) for (const k of Object.keys(v)) paths((v as Record<string, unknown>)[k], [...prefix, k], out);
  return out;
}

/** A parsed file as data: resources with their objects and the location of every field. */
function snapshot(p: ParsedFile | InputError): unknown {
  if (!('resources' in p)) return p;
  return {
    file: p.file,
    errors: p.errors,
    nonObjects: p.nonObjects,
    resources: p.resources.map((r) => ({
      id: r.id, apiVersion: r.apiVersion, kind: r.kind, name: r.name, namespace: r.namespace, object: r.object,
      source: { file: r.source.file, documentIndex: r.source.documentIndex, pathPrefix: r.source.pathPrefix, line: r.source.line },
      locations: paths(r.object).map((path) => r.source.locate(path)),
    })),
  };
}

afterAll(() => closeParseThreads());

describe('parseFiles', () => {
  const files = [...manifestFiles(join(root, 'src', 'misconfig', 'checks', '__fixtures__')), ...manifestFiles(join(root, 'examples')), join(root, 'no', 'such', 'file.yaml')];

  it.each([
    ['parse', false],
    ['only read (the main thread parses)', true],
  ])('reads the same on worker threads that %s as on the main thread, and hands every file over once', async (_what, readOnly) => {
    const single = (await parseFiles(files, DEFAULT_LIMITS, { threads: 0 }, () => undefined)).files.map(snapshot);
    // The worker starts while the main thread reads the first chunks, and is kept for later reads: the
    // first rounds may well be read by the main thread alone, later ones are shared.
    let byWorker = 0;
    for (let round = 0; round < 20 && byWorker === 0; round++) {
      const handed = new Array<number>(files.length).fill(0);
      const threaded = await parseFiles(files, DEFAULT_LIMITS, { threads: 1, minFiles: 0, readOnly }, (first, chunk, _extra, worker) => {
        chunk.forEach((_, k) => handed[first + k]!++);
        if (worker) byWorker += chunk.length;
      });
      expect(threaded.files.map(snapshot)).toEqual(single);
      expect(handed.every((n) => n === 1)).toBe(true);
      if (byWorker === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(byWorker).toBeGreaterThan(0);
  });

  it('reads everything on the main thread when the worker cannot start', async () => {
    const single = (await parseFiles(files, DEFAULT_LIMITS, { threads: 0 }, () => undefined)).files.map(snapshot);
    const broken = { script: new URL('./no-such-worker.js', import.meta.url), context: undefined };
    const threaded = await parseFiles(files, DEFAULT_LIMITS, { threads: 1, minFiles: 0, worker: broken }, () => undefined);
    expect(threaded.files.map(snapshot)).toEqual(single);
  });
});
