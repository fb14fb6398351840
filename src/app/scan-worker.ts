/**
 * Entry point of a scan worker thread (see inputs/manifests/threads.ts). It reads and parses the chunks
 * of files it claims and runs the per-resource checks on them, sending the main thread finished results
 * with the texts of the files; the main thread parses them again, keeps every object, and evaluates what
 * needs the whole input (the checks that read other resources, and the resources that name an owner).
 */
import { parentPort } from 'node:worker_threads';
import { runChunkJob, type ChunkJob, type ChunkProcessor } from '../inputs/manifests/threads.js';
import { Evaluation } from '../misconfig/engine.js';
import { scanWorkerEngine, type ScanWorkerContext } from './scan-threads.js';

/** The work of one scan: its evaluation, which keeps nothing between chunks. */
function scanProcessor(context: ScanWorkerContext): ChunkProcessor {
  const evaluation = new Evaluation(scanWorkerEngine(context));
  return {
    chunk(parsed) {
      return evaluation.evaluateForExport(parsed.flatMap((p) => p.resources));
    },
  };
}

parentPort!.on('message', (job: ChunkJob) => runChunkJob(job, (context) => scanProcessor(context as ScanWorkerContext)));
