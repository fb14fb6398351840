/**
 * Entry point of a manifest-parsing worker thread (see threads.ts): runs each job it is sent, one at a
 * time, for as long as the process lives.
 */
import { parentPort } from 'node:worker_threads';
import { runChunkJob, type ChunkJob } from './threads.js';

parentPort!.on('message', (job: ChunkJob) => runChunkJob(job));
