/**
 * Entry point of a scan worker thread (see inputs/manifests/threads.ts). It reads and parses the chunks
 * of files it claims and runs the per-resource checks on them, sending the main thread finished results
 * and only the metadata of the resources. It keeps every object, the main thread's too (which the main
 * thread sends it after its own per-resource checks), and at the end runs what needs the whole input:
 * the checks that read other resources, and the resources that name an owner.
 */
import { parentPort } from 'node:worker_threads';
import { runChunkJob, type ChunkJob, type ChunkProcessor } from '../inputs/manifests/threads.js';
import { Evaluation, type ExportedResults } from '../misconfig/engine.js';
import type { Resource } from '../model/resource.js';
import { scanWorkerEngine, type ScanWorkerContext } from './scan-threads.js';

/** The work of one scan: its evaluation, and every resource read so far by chunk. */
function scanProcessor(context: ScanWorkerContext): ChunkProcessor {
  const evaluation = new Evaluation(scanWorkerEngine(context));
  const chunks = new Map<number, Resource[]>();
  return {
    chunk(parsed, index) {
      const resources = parsed.flatMap((p) => p.resources);
      chunks.set(index, resources);
      return evaluation.evaluateForExport(resources);
    },
    shared(parsed, index, note) {
      const resources = parsed.flatMap((p) => p.resources);
      chunks.set(index, resources);
      evaluation.expectDeferred(resources, note as ExportedResults);
    },
    finish() {
      // Chunks are runs of consecutive files: in chunk order, the resources are in input order.
      const all = [...chunks.keys()].sort((a, b) => a - b).flatMap((k) => chunks.get(k)!);
      return evaluation.evaluateDeferred(all);
    },
  };
}

parentPort!.on('message', (job: ChunkJob) => runChunkJob(job, (context) => scanProcessor(context as ScanWorkerContext)));
