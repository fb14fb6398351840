import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readManifests } from '../inputs/manifests/read.js';
import { closeParseThreads } from '../inputs/manifests/threads.js';
import { ALL_CHECKS } from '../misconfig/checks/index.js';
import { configSchema } from '../model/config.js';
import { renderJson } from '../report/json.js';
import { scanManifests, type ScanOptions } from './scan.js';
import { SCAN_WORKER, scanWorkerContext } from './scan-threads.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const now = new Date('2026-06-01T00:00:00Z');

/** Exemptions from the config file too, so that their bookkeeping crosses threads as well. */
const config = configSchema.parse({
  parameters: { trustedRegistries: ['registry.example.com'] },
  exemptions: [
    { checks: ['privileged-container'], kind: 'Pod', reason: 'lab nodes' },
    { checks: ['PAL-043', 'no-such-check'], namespace: 'prod*', reason: 'r' },
  ],
});

afterAll(() => closeParseThreads());

describe('scanManifests on worker threads', () => {
  const inputs: Record<string, string[]> = {
    examples: [join(root, 'examples')],
    fixtures: [join(root, 'src', 'misconfig', 'checks', '__fixtures__')],
  };

  for (const [name, paths] of Object.entries(inputs)) {
    it(`writes the same report as a single-threaded scan (${name})`, async () => {
      const base: ScanOptions = { paths, config, configFile: 'palisade.yaml', now, includeApplied: true };
      const expected = renderJson(await scanManifests({ ...base, threads: { threads: 0 } }));
      // Several rounds: how files are shared between threads varies with timing, the report must not.
      for (let round = 0; round < 4; round++) {
        expect(renderJson(await scanManifests({ ...base, threads: { threads: 1, minFiles: 0 } }))).toBe(expected);
        // A worker that only reads (the default on 2 cores): this thread parses and evaluates everything.
        expect(renderJson(await scanManifests({ ...base, threads: { threads: 1, minFiles: 0, readOnly: true } }))).toBe(expected);
      }
    });
  }

  it('has workers run the checks on what they read', async () => {
    const context = scanWorkerContext({ checks: ALL_CHECKS, now });
    expect(context).toBeDefined();
    let evaluatedByWorker = 0;
    for (let round = 0; round < 20 && evaluatedByWorker === 0; round++) {
      await readManifests([join(root, 'src', 'misconfig', 'checks', '__fixtures__')], undefined, undefined, {
        threads: 1,
        minFiles: 0,
        worker: { script: SCAN_WORKER, context },
        onResources: (resources, extra) => {
          if (extra !== undefined) evaluatedByWorker += resources.length;
        },
      });
      if (evaluatedByWorker === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(evaluatedByWorker).toBeGreaterThan(0);
  });

  it('leaves the checks to the main thread when a check is not in the registry', () => {
    const custom = { ...ALL_CHECKS[0]!, evaluate: () => [] };
    expect(scanWorkerContext({ checks: [custom] })).toBeUndefined();
  });
});
