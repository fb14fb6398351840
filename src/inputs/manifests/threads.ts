/**
 * Reading and parsing manifest files on several threads.
 *
 * The files of a scan are cut into chunks of consecutive files. The main thread and the worker threads
 * claim chunks from one shared counter, so whichever thread is free takes the next chunk: the main thread
 * also has other work (the caller evaluates each chunk as it arrives), and a worker that is slow to start
 * simply takes fewer chunks. Workers send their results as plain data ({@link RawParsedFile}, cloned with
 * dates and YAML aliases intact); the main thread rebuilds the resources and their field locators exactly
 * as a single-threaded read would, and the caller gets the files in input order whatever thread read them.
 *
 * A worker script may also process what it parses ({@link ChunkProcessor}, e.g. run checks on it). Such a
 * worker sends each file it read with what it made of it, not as cloned objects (a serialization on one
 * thread and a slower deserialization on the other): the text of the file (where the main thread finds
 * field lines) and, when JSON rebuilds them exactly (nearly every manifest), its resources as JSON text,
 * which costs the main thread, the busier one, half of what parsing the YAML again costs; otherwise the
 * main thread parses the text again. The objects then live in the main thread only, and the worker
 * keeps nothing between chunks.
 *
 * Workers may also only read ({@link ThreadOptions.readOnly}, the default on 2 cores): they send each file's
 * text, split into documents, and the main thread parses and processes everything.
 *
 * Workers are kept for the life of the process (unreferenced, so they never keep it alive) and reused by
 * later scans; a scan that finds every worker busy reads on the main thread alone.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { InputError } from '../../model/errors.js';
import { resetParseCaches } from './fast-yaml.js';
import { materializeParsedFile, parseManifestRaw, prepareText, type ParsedFile, type ParseLimits, type PreparedText, type RawDocumentText, type RawParsedFile, type RawResource } from './parse.js';

/**
 * What reading one file gave: its parsed content, or why it could not be read. Between threads, a file
 * can also travel as its text (`text`), which the receiving thread parses, or as its text with its
 * resources as JSON text (`resourcesJson`, see {@link RawParsedFile.jsonExact}) and its documents as spans
 * of the text, which the receiving thread puts back in `parsed`.
 */
export type FileOutcome =
  | { ok: true; parsed: RawParsedFile; text?: string; resourcesJson?: string }
  | { ok: true; text: string; parsed?: undefined; resourcesJson?: undefined; prepared?: PreparedText }
  | { ok: false; error: InputError };

/** Reads one file (any thread): its text, or the error. */
function readText(file: string): string | InputError {
  try {
    // Synchronous reads: one system call each instead of four thread-pool round trips, which made
    // reading thousands of small manifests cost more than parsing them.
    return readFileSync(file, 'utf8');
  } catch (e) {
    return { code: 'E_READ', file, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
}

/** Reads and parses one file (any thread); `keepText` keeps the text in the outcome. */
export function readAndParse(file: string, limits: ParseLimits, keepText = false): FileOutcome {
  const text = readText(file);
  if (typeof text !== 'string') return { ok: false, error: text };
  const parsed = parseManifestRaw(file, text, limits);
  return keepText ? { ok: true, parsed, text } : { ok: true, parsed };
}

/**
 * Reads one file without parsing it (a reading worker: the main thread parses), with what can be learnt
 * of its text without parsing (see {@link prepareText}).
 */
function readOnly(file: string): FileOutcome {
  const text = readText(file);
  return typeof text === 'string' ? { ok: true, text, prepared: prepareText(text) } : { ok: false, error: text };
}

/** Slots of the shared control array. */
const NEXT_CHUNK = 0; // next chunk index to claim
const POSTED = 1; // bumped (and notified) whenever a worker posts a message

/** One scan's work, as sent to a worker. */
export interface ChunkJob {
  files: string[];
  /** Index of the first file of each chunk; chunk i ends where chunk i + 1 starts. */
  starts: number[];
  limits: ParseLimits;
  control: SharedArrayBuffer;
  /** Worker to main thread. */
  port: MessagePort;
  /** See {@link ThreadOptions.worker}. */
  context: unknown;
  /** Only read the files: send their texts, which the main thread parses (see {@link ThreadOptions.readOnly}). */
  readOnly?: boolean;
}

/** What a worker sends the main thread. */
export type ChunkMessage = { chunk: number; outcomes: FileOutcome[]; extra: unknown } | { done: true } | { failed: string };

/** Work a worker does besides parsing, for one job (made by the worker script from the job's context). */
export interface ChunkProcessor {
  /** A chunk this worker parsed (its locators still there); the result travels with the chunk (`extra`). */
  chunk(parsed: ParsedFile[], index: number): unknown;
}

/**
 * The worker side: claims chunks until none is left (called by parse-worker.ts, or by the script of
 * {@link ThreadOptions.worker} with its processors).
 */
export function runChunkJob(job: ChunkJob, processorFor?: (context: unknown) => ChunkProcessor): void {
  resetParseCaches();
  const control = new Int32Array(job.control);
  const post = (m: ChunkMessage) => {
    job.port.postMessage(m);
    Atomics.add(control, POSTED, 1);
    Atomics.notify(control, POSTED);
  };
  try {
    const processor = processorFor?.(job.context);
    for (;;) {
      const i = Atomics.add(control, NEXT_CHUNK, 1);
      if (i >= job.starts.length) break;
      if (job.readOnly) {
        post({ chunk: i, outcomes: chunkFiles(job, i).map(readOnly), extra: undefined });
        continue;
      }
      const outcomes = chunkFiles(job, i).map((f) => readAndParse(f, job.limits, processor !== undefined));
      // What travels is taken before the processor sees the objects, as they were parsed.
      const sent = outcomes.map(transferable);
      const extra = processor ? processor.chunk(parsedOf(outcomes), i) : undefined;
      post({ chunk: i, outcomes: sent, extra });
    }
    post({ done: true });
  } catch (e) {
    post({ failed: (e as Error)?.stack ?? String(e) });
  } finally {
    job.port.close();
  }
}

function parsedOf(outcomes: FileOutcome[]): ParsedFile[] {
  return outcomes.flatMap((o) => (o.ok && o.parsed ? [materializeParsedFile(o.parsed)] : []));
}

/**
 * A file's outcome as it crosses to another thread: when it has its text (a worker with a processor),
 * the text and, if JSON rebuilds them exactly, its resources as JSON text (JSON.parse costs about a
 * third of parsing the YAML again), else the text alone (the other thread parses it again); otherwise its
 * parsed content. Never the locators (closures over this thread's state; the other thread builds its own).
 */
function transferable(o: FileOutcome): FileOutcome {
  if (!o.ok || !o.parsed) return o;
  if (o.text !== undefined) {
    if (!o.parsed.jsonExact) return { ok: true, text: o.text };
    // The documents as spans of the file's text, which travels once: cheaper to send than one string each.
    const spans = o.parsed.docs.map((d) => ({ text: '', startLine: d.startLine, start: d.start!, end: d.start! + d.text.length }));
    return { ok: true, text: o.text, parsed: { ...o.parsed, docs: spans, resources: [] }, resourcesJson: JSON.stringify(o.parsed.resources) };
  }
  const docs = o.parsed.docs.map((d) => ({ text: d.text, startLine: d.startLine }));
  return { ok: true, parsed: { ...o.parsed, docs } };
}

function chunkFiles(job: Pick<ChunkJob, 'files' | 'starts'>, i: number): string[] {
  return job.files.slice(job.starts[i], i + 1 < job.starts.length ? job.starts[i + 1] : job.files.length);
}

/** When to read on several threads. */
export interface ThreadOptions {
  /** Worker threads to use at most (0: read on the main thread only). Default: cores - 1, at most 3. */
  threads?: number;
  /** Fewest files worth starting threads for. Default 64. */
  minFiles?: number;
  /**
   * A worker script that also processes what it parses (it calls {@link runChunkJob} with its
   * processors), and the structured-clonable context they get; parse-worker.ts otherwise. Such a worker
   * sends file texts, which the main thread parses again (see the module comment).
   */
  worker?: { script: URL; context: unknown };
  /**
   * The workers only read files (system calls, the part of reading that needs no JavaScript) and the main
   * thread parses and processes everything. Default: when no worker is left to parse, on 2 cores.
   */
  readOnly?: boolean;
}

const DEFAULT_MIN_FILES = 64;

interface PoolWorker {
  script: string;
  worker: Worker;
  busy: boolean;
  dead: boolean;
}

const pool: PoolWorker[] = [];

/** `Atomics.waitAsync` (Node 16+; typed from ES2024 on, newer than this project's target library). */
interface AtomicsWaitAsync {
  waitAsync(array: Int32Array, index: number, value: number, timeout?: number): { async: false; value: string } | { async: true; value: Promise<string> };
}

/** The default worker script, next to this file (compiled, or TypeScript source under tsx and tests). */
const PARSE_WORKER = new URL(import.meta.url.endsWith('.ts') ? './parse-worker.ts' : './parse-worker.js', import.meta.url);

/**
 * A worker keeps little between chunks: with a young generation larger than V8's default, what it
 * allocates for one chunk dies there instead of being copied around by the garbage collector.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 48 };

/** Starts a worker on a script: the compiled file, or the TypeScript source through tsx (tests, `tsx`). */
function spawnWorker(entry: URL): PoolWorker {
  const fromSource = entry.pathname.endsWith('.ts');
  let worker: Worker;
  if (fromSource) {
    // Running from TypeScript sources (tests, `tsx`): the worker loads them through tsx, as this thread does.
    // tsx's ESM API sits next to the CommonJS one that require() resolves.
    const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
    const boot = `const { workerData } = require('node:worker_threads');
import(workerData.tsxApi).then((api) => { api.register(); return import(workerData.entry); });`;
    worker = new Worker(boot, { eval: true, workerData: { tsxApi, entry: entry.href }, resourceLimits: WORKER_LIMITS });
  } else {
    worker = new Worker(entry, { resourceLimits: WORKER_LIMITS });
  }
  const w: PoolWorker = { script: entry.href, worker, busy: false, dead: false };
  const gone = () => {
    w.dead = true;
    const i = pool.indexOf(w);
    if (i >= 0) pool.splice(i, 1);
  };
  worker.on('error', gone);
  worker.on('exit', gone);
  worker.unref();
  return w;
}

/** Stops the worker threads (they are unreferenced anyway; for tests and embedders that want them gone). */
export async function closeParseThreads(): Promise<void> {
  const all = pool.splice(0, pool.length);
  await Promise.all(all.map((w) => w.worker.terminate()));
}

/**
 * How many worker threads a scan of `files` files gets (0 when the main thread reads alone), and whether
 * they only read. By default one core is left to the main thread and one to V8's own collector and
 * compiler threads: on 2 cores a parsing worker made scans slower (10k manifests 0.86 s against 0.78 s
 * alone, 50k 4.4 s against 4.0 s, with 100 MB more memory), so there the one worker only reads files
 * while the main thread parses them.
 */
function threadsFor(files: number, opts: ThreadOptions): { workers: number; readOnly: boolean } {
  if (files < (opts.minFiles ?? DEFAULT_MIN_FILES)) return { workers: 0, readOnly: false };
  if (opts.threads !== undefined) return { workers: Math.max(0, Math.min(opts.threads, files - 1)), readOnly: opts.readOnly === true };
  const cores = availableParallelism();
  const parsing = Math.min(3, Math.max(0, cores - 2));
  if (parsing > 0 && opts.readOnly !== true) return { workers: Math.min(parsing, files - 1), readOnly: false };
  return cores >= 2 && opts.readOnly !== false ? { workers: 1, readOnly: true } : { workers: 0, readOnly: false };
}

/**
 * Files of a chunk as they arrive: `first` is the index of the first one in the input, `extra` what the
 * worker's processor made of them, and `byWorker` whether a worker read them (then `extra` is set when the
 * worker script has a processor).
 */
export type ChunkHandler = (first: number, parsed: Array<ParsedFile | InputError>, extra: unknown, byWorker: boolean) => void;

/** Every file in input order. */
export interface ParsedFiles {
  files: Array<ParsedFile | InputError>;
  /** A worker took part. */
  threaded: boolean;
}

/**
 * Reads and parses `files`, on worker threads when there are enough of them. `onChunk` gets each run of
 * consecutive files as soon as it is parsed (chunks in no particular order).
 */
export async function parseFiles(files: readonly string[], limits: ParseLimits, opts: ThreadOptions, onChunk: ChunkHandler): Promise<ParsedFiles> {
  resetParseCaches();
  const results = new Array<ParsedFile | InputError>(files.length);
  const deliver = (first: number, outcomes: FileOutcome[], extra: unknown, byWorker: boolean): void => {
    const parsed = outcomes.map((o, k) => {
      if (!o.ok) return o.error;
      if (!o.parsed) return materializeParsedFile(parseManifestRaw(files[first + k]!, o.text, limits, o.prepared));
      if (o.resourcesJson !== undefined) {
        o.parsed.resources = JSON.parse(o.resourcesJson) as RawResource[];
        for (const d of o.parsed.docs as Array<RawDocumentText & { end: number }>) d.text = o.text!.slice(d.start, d.end);
      }
      return materializeParsedFile(o.parsed);
    });
    parsed.forEach((r, k) => (results[first + k] = r));
    onChunk(first, parsed, extra, byWorker);
  };
  const { workers: want, readOnly } = threadsFor(files.length, opts);
  // A reading worker runs the plain parse worker: it has nothing to process.
  const script = (readOnly ? PARSE_WORKER : (opts.worker?.script ?? PARSE_WORKER)).href;
  const workers: PoolWorker[] = [];
  for (const w of pool) if (workers.length < want && w.script === script && !w.busy && !w.dead) workers.push(w);
  while (workers.length < want && pool.filter((w) => w.script === script).length < want) {
    const w = spawnWorker(new URL(script));
    pool.push(w);
    workers.push(w);
  }
  if (workers.length === 0) {
    files.forEach((f, i) => deliver(i, [readAndParse(f, limits)], undefined, false));
    return { files: results, threaded: false };
  }

  // Chunks: enough of them to balance the threads, few enough that messages stay cheap.
  const size = Math.max(4, Math.min(64, Math.ceil(files.length / ((workers.length + 1) * 16))));
  const starts: number[] = [];
  for (let i = 0; i < files.length; i += size) starts.push(i);
  const control = new Int32Array(new SharedArrayBuffer(12));
  const delivered = new Uint8Array(starts.length);
  let remaining = starts.length;
  const ports: Array<{ port: MessagePort; w: PoolWorker; open: boolean }> = [];
  const list = [...files];
  for (const w of workers) {
    w.busy = true;
    w.worker.ref(); // the scan is waiting for it
    const out = new MessageChannel();
    const job: ChunkJob = { files: list, starts, limits, control: control.buffer as SharedArrayBuffer, port: out.port2, context: readOnly ? undefined : opts.worker?.context, readOnly };
    w.worker.postMessage(job, [out.port2]);
    ports.push({ port: out.port1, w, open: true });
  }
  const take = (i: number, outcomes: FileOutcome[], extra: unknown, byWorker: boolean) => {
    if (delivered[i]) return;
    delivered[i] = 1;
    remaining--;
    deliver(starts[i]!, outcomes, extra, byWorker);
  };
  const drain = () => {
    for (const p of ports) {
      for (let m = receiveMessageOnPort(p.port); m; m = receiveMessageOnPort(p.port)) {
        const msg = m.message as ChunkMessage;
        if ('chunk' in msg) take(msg.chunk, msg.outcomes, msg.extra, true);
        else p.open = false; // done, or failed: what it claimed and never sent is read here
      }
      if (p.w.dead) p.open = false;
    }
  };
  const wait = async () => {
    // Wait for a worker's next message (or its exit), letting the event loop run meanwhile.
    const seen = Atomics.load(control, POSTED);
    drain();
    if (Atomics.load(control, POSTED) !== seen) return;
    const waited = (Atomics as unknown as AtomicsWaitAsync).waitAsync(control, POSTED, seen, 50);
    if (waited.async) await waited.value;
  };
  try {
    while (remaining > 0) {
      drain();
      if (remaining === 0) break;
      const i = Atomics.add(control, NEXT_CHUNK, 1);
      if (i < starts.length) {
        take(i, chunkFiles({ files: list, starts }, i).map((f) => readAndParse(f, limits)), undefined, false);
        continue;
      }
      if (ports.every((p) => !p.open)) {
        // Every worker finished or failed: read what they claimed but never sent.
        for (let c = 0; c < starts.length; c++) if (!delivered[c]) take(c, chunkFiles({ files: list, starts }, c).map((f) => readAndParse(f, limits)), undefined, false);
        break;
      }
      await wait();
    }
    return { files: results, threaded: true };
  } finally {
    for (const p of ports) {
      p.port.close();
      p.w.busy = false;
      if (!p.w.dead) p.w.worker.unref();
    }
  }
}
