import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { createGunzip } from 'node:zlib';
import { PalisadeError, type ErrorCode } from '../../model/errors.js';
import { shortDigest } from './digest.js';

/**
 * Verifying and inflating gzip layers on a thread of their own.
 *
 * With node:zlib's stream API, the inflater needs a turn of the thread that owns the stream after every
 * output piece before it inflates the next one: on the main thread, busy parsing tar and building the tree,
 * it waited for the parser, and on a loaded machine for the scheduler as well. Here a worker owns the
 * inflater and runs it synchronously, in a loop that needs no event loop: it hashes the compressed bytes
 * (blob digest and size) and inflates them straight into shared memory, and the main thread's tar reader
 * reads that memory in place, hashing the tar (diff_id) as it goes: the main thread mostly waits for the
 * inflater, so the work is better spent there than on the thread that sets the pace.
 *
 * Bytes cross between the threads through two rings of memory shared by both and reused from layer to
 * layer: the main thread copies the download into the input ring; zlib writes into the output ring. So the
 * main thread allocates nothing per megabyte (no garbage collections provoked by a gigabyte of short-lived
 * buffers), copies each compressed byte once, and inflates nothing. A thread wakes the other
 * only when the other sleeps (a flag in shared memory says so), so on a machine where the scheduler is slow
 * to run a woken thread the two rarely wait for each other: the worker runs up to `OUT_BYTES` ahead.
 *
 * The worker's code uses node builtins only and is started from a string, so it runs the same from the
 * compiled files, under tsx and under the test runner. It drives the zlib binding the way node's own
 * `zlib.inflateSync` does (`_handle.writeSync` into a caller's buffer); where that is missing, where no
 * worker can be started, or with `PALISADE_LAYER_THREAD=0`, layers are read on the main thread (`layer.ts`).
 */

/** Input ring: compressed bytes handed over and not yet inflated. Powers of two. */
const IN_BYTES = 8 * 1024 * 1024;
/** Output ring: inflated bytes the parser has not released yet. */
const OUT_BYTES = 32 * 1024 * 1024;
/** Largest piece handed to the parser at once (it holds one piece while it asks for the next). */
const PIECE = 1024 * 1024;
/** Workers at most (one per layer read at the same time; more readers fall back to the main thread). */
const MAX_WORKERS = 4;

// Control words (Int32Array at the start of the shared memory).
const IN_W = 0; // compressed bytes written by the main thread, modulo 2^32
const IN_R = 1; // compressed bytes consumed by the worker
const OUT_W = 2; // inflated bytes written by the worker
const OUT_R = 3; // inflated bytes released by the main thread
const STATE = 4; // 0 running, 1 input complete, 2 abort
const DONE = 5; // 0 running, 1 finished (the result message follows)
const WORKER_SLEEPS = 6;
const WAKE = 7; // bumped to wake the worker
const MAIN_SLEEPS = 8;
const SIGNAL = 9; // bumped to wake the main thread
const CONTROL_BYTES = 64;

const WORKER_SOURCE = `
const { parentPort, receiveMessageOnPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const zlib = require('node:zlib');
const IN = ${IN_BYTES}, OUT = ${OUT_BYTES};
const ctl = new Int32Array(workerData.sab, 0, ${CONTROL_BYTES / 4});
const inp = new Uint8Array(workerData.sab, ${CONTROL_BYTES}, IN);
const out = new Uint8Array(workerData.sab, ${CONTROL_BYTES} + IN, OUT);
const Z_NO_FLUSH = zlib.constants.Z_NO_FLUSH, Z_FINISH = zlib.constants.Z_FINISH;
class Failure { constructor(code, message) { this.code = code; this.message = message; } }
class Aborted {}
function signalMain() {
  if (Atomics.load(ctl, ${MAIN_SLEEPS}) > 0) { Atomics.add(ctl, ${SIGNAL}, 1); Atomics.notify(ctl, ${SIGNAL}); }
}
/** Sleeps until the main thread bumps WAKE, unless ready() turns true first. */
function sleep(ready) {
  const v = Atomics.load(ctl, ${WAKE});
  Atomics.store(ctl, ${WORKER_SLEEPS}, 1);
  if (!ready()) Atomics.wait(ctl, ${WAKE}, v);
  Atomics.store(ctl, ${WORKER_SLEEPS}, 0);
}
const alg = (d) => d.slice(0, d.indexOf(':'));
function run(job) {
  const blob = job.digest ? createHash(alg(job.digest)) : undefined;
  const gz = zlib.createGunzip();
  const handle = gz._handle;
  const state = gz._writeState;
  let zerr;
  handle.onerror = (message) => { zerr = message; };
  try {
    return runWith(job, blob, gz, handle, state, () => zerr);
  } finally {
    gz.close();
  }
}
function runWith(job, blob, gz, handle, state, zerr_) {
  let inR = 0, outW = 0, n = 0;
  // A gzip error in a blob whose digest is known is held until the digest is checked: a blob altered in
  // transit is reported as such, not as the gzip error its alteration causes.
  let held;
  const inflateOrHold = (seg, flush) => {
    if (held) return;
    try {
      inflate(seg, flush);
    } catch (e) {
      if (!(e instanceof Failure) || !blob) throw e;
      held = e;
    }
  };
  const inflate = (seg, flush) => {
    let inOff = 0, availIn = seg.length;
    for (;;) {
      let free;
      for (;;) {
        if (Atomics.load(ctl, ${STATE}) === 2) throw new Aborted();
        free = OUT - ((outW - Atomics.load(ctl, ${OUT_R})) >>> 0);
        if (free >= 65536) break;
        sleep(() => OUT - ((outW - Atomics.load(ctl, ${OUT_R})) >>> 0) >= 65536 || Atomics.load(ctl, ${STATE}) === 2);
      }
      const at = outW & (OUT - 1);
      const room = Math.min(free, OUT - at);
      handle.writeSync(flush, seg, inOff, availIn, out, at, room);
      const zerr = zerr_();
      if (zerr !== undefined) throw new Failure('E_IMAGE_FORMAT', job.what + ': gzip: ' + zerr);
      const availOut = state[0], availInAfter = state[1];
      const have = room - availOut;
      if (have > 0) {
        outW = (outW + have) | 0;
        Atomics.store(ctl, ${OUT_W}, outW);
        signalMain();
      }
      inOff += availIn - availInAfter;
      availIn = availInAfter;
      // Output room left over: the input is used up (or the stream has ended and the rest is ignored).
      if (availOut !== 0) return;
    }
  };
  for (;;) {
    const st = Atomics.load(ctl, ${STATE});
    if (st === 2) throw new Aborted();
    const inW = Atomics.load(ctl, ${IN_W});
    if (inW !== inR) {
      const at = inR & (IN - 1);
      const len = Math.min((inW - inR) >>> 0, IN - at);
      const seg = inp.subarray(at, at + len);
      n += len;
      if (job.size !== undefined && n > job.size) throw new Failure('E_IMAGE_DIGEST', job.what + ' ' + job.short + ': more data than the ' + job.size + ' bytes its descriptor declares');
      if (blob) blob.update(seg);
      inflateOrHold(seg, Z_NO_FLUSH);
      inR = (inR + len) | 0;
      Atomics.store(ctl, ${IN_R}, inR);
      signalMain();
      continue;
    }
    if (st === 1) break;
    sleep(() => Atomics.load(ctl, ${IN_W}) !== inR || Atomics.load(ctl, ${STATE}) !== 0);
  }
  if (job.size !== undefined && n !== job.size) throw new Failure('E_IMAGE_DIGEST', job.what + ' ' + job.short + ': truncated, got ' + n + ' of ' + job.size + ' bytes');
  if (blob) {
    const got = alg(job.digest) + ':' + blob.digest('hex');
    if (got !== job.digest) throw new Failure('E_IMAGE_DIGEST', job.what + ': digest mismatch, expected ' + job.digest + ', got ' + got);
  }
  if (held) throw held;
  inflate(new Uint8Array(0), Z_FINISH);
}
for (;;) {
  const v = Atomics.load(ctl, ${WAKE});
  const m = receiveMessageOnPort(parentPort);
  if (!m) { Atomics.wait(ctl, ${WAKE}, v); continue; }
  let result;
  try {
    run(m.message);
    result = { ok: true };
  } catch (e) {
    result = e instanceof Failure ? { error: { code: e.code, message: e.message } } : e instanceof Aborted ? { aborted: true } : { error: { code: 'E_IMAGE_FORMAT', message: m.message.what + ': ' + (e && e.message || String(e)) } };
  }
  // DONE first: the main thread's event loop is held open by this worker until the message arrives.
  Atomics.store(ctl, ${DONE}, 1);
  Atomics.add(ctl, ${SIGNAL}, 1);
  Atomics.notify(ctl, ${SIGNAL});
  parentPort.postMessage(result);
}
`;

type Result = { ok: true } | { aborted: true } | { error: { code: ErrorCode; message: string } };

/** `Atomics.waitAsync` (Node 16+; typed from ES2024 on, newer than this project's target library). */
interface AtomicsWaitAsync {
  waitAsync(array: Int32Array, index: number, value: number, timeout?: number): { async: false; value: string } | { async: true; value: Promise<string> };
}
const waitAsync = (Atomics as unknown as Partial<AtomicsWaitAsync>).waitAsync;

/** One worker with its shared memory; runs one layer at a time. */
class LayerWorker {
  readonly worker: Worker;
  readonly sab = new SharedArrayBuffer(CONTROL_BYTES + IN_BYTES + OUT_BYTES);
  readonly ctl = new Int32Array(this.sab, 0, CONTROL_BYTES / 4);
  readonly input = Buffer.from(this.sab, CONTROL_BYTES, IN_BYTES);
  readonly output = Buffer.from(this.sab, CONTROL_BYTES + IN_BYTES, OUT_BYTES);
  failure: Error | undefined;
  private onResult: ((r: Result) => void) | undefined;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { sab: this.sab } });
    this.worker.unref();
    this.worker.on('message', (r: Result) => {
      const f = this.onResult;
      this.onResult = undefined;
      f?.(r);
    });
    const fail = (e: Error): void => {
      this.failure ??= e;
      const f = this.onResult;
      this.onResult = undefined;
      f?.({ error: { code: 'E_IMAGE_FORMAT', message: e.message } });
      // Wakes a main thread waiting on this worker.
      Atomics.add(this.ctl, SIGNAL, 1);
      Atomics.notify(this.ctl, SIGNAL);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the layer thread stopped (exit code ${code})`)));
  }

  /** Starts a job; resolves with its result. */
  start(job: object): Promise<Result> {
    const c = this.ctl;
    for (let i = 0; i < CONTROL_BYTES / 4; i++) Atomics.store(c, i, 0);
    const result = new Promise<Result>((resolve) => (this.onResult = resolve));
    this.worker.ref();
    this.worker.postMessage(job);
    this.wake();
    return result.finally(() => this.worker.unref());
  }

  wake(): void {
    Atomics.add(this.ctl, WAKE, 1);
    Atomics.notify(this.ctl, WAKE);
  }

  /** Wakes the worker if it sleeps. */
  poke(): void {
    if (Atomics.load(this.ctl, WORKER_SLEEPS)) this.wake();
  }

  /** Waits until the worker signals (or `ready` is already true). */
  async waitFor(ready: () => boolean): Promise<void> {
    const c = this.ctl;
    const v = Atomics.load(c, SIGNAL);
    // A count: the feeder and the reader may both wait.
    Atomics.add(c, MAIN_SLEEPS, 1);
    try {
      if (ready() || this.failure) return;
      // With a timeout, so that a worker that died unseen is noticed.
      const w = (waitAsync as AtomicsWaitAsync['waitAsync'])(c, SIGNAL, v, 2000);
      if (w.async) await w.value;
    } finally {
      Atomics.sub(c, MAIN_SLEEPS, 1);
    }
  }
}

const idle: LayerWorker[] = [];
let workers = 0;
let disabled = process.env.PALISADE_LAYER_THREAD === '0' || typeof SharedArrayBuffer !== 'function' || typeof waitAsync !== 'function';

function acquire(): LayerWorker | undefined {
  if (disabled) return undefined;
  for (;;) {
    const w = idle.pop();
    if (!w) break;
    if (!w.failure) return w;
    workers--;
  }
  if (workers >= MAX_WORKERS) return undefined;
  try {
    if (workers === 0 && !hasWriteSync()) throw new Error('this Node has no zlib writeSync');
    const w = new LayerWorker();
    workers++;
    return w;
  } catch {
    disabled = true;
    return undefined;
  }
}

/** Whether the zlib binding has the call the worker makes (checked here, once, before a worker relies on it). */
function hasWriteSync(): boolean {
  const gz = createGunzip() as unknown as { _handle?: { writeSync?: unknown }; _writeState?: unknown; close(): void };
  const ok = typeof gz._handle?.writeSync === 'function' && gz._writeState instanceof Uint32Array;
  gz.close();
  return ok;
}

/** What the layer thread checks about one gzip blob. */
export interface GunzipSpec {
  /** The blob's digest, when it is known (not for legacy `docker save` layers). */
  digest?: string;
  /** The blob's size from its descriptor. */
  size?: number;
  /** The tar's expected digest. */
  diffId?: string;
  /** `layer 2 (sha256:0123456789ab)`, for messages. */
  what: string;
}

/**
 * The inflated tar of a gzip blob, verified on a layer thread: the blob's size and digest once its last
 * byte has arrived (before the inflater's end), the diff_id after the end; a failure of either is thrown
 * from the iterator in place of its end. Closing the iterator early stops the work and closes `source`.
 * Undefined when no layer thread is available (the caller reads the layer itself).
 *
 * Each piece yielded is a view into shared memory that goes back to the worker, to be overwritten, once
 * the piece after it is asked for: a consumer keeps what it needs by copying (as the tar reader does).
 */
export function gunzipOnThread(source: AsyncIterable<Buffer>, spec: GunzipSpec): AsyncGenerator<Buffer> | undefined {
  const w = acquire();
  return w ? run(w, source, spec) : undefined;
}

async function* run(w: LayerWorker, source: AsyncIterable<Buffer>, spec: GunzipSpec): AsyncGenerator<Buffer> {
  const c = w.ctl;
  // The layer thread inflates and checks the blob; the diff_id is hashed here, on the thread that reads the tar
  // anyway and waits for the inflater most of the time, so the layer thread (the one that sets the pace) does less.
  const diffAlg = spec.diffId?.slice(0, spec.diffId.indexOf(':'));
  const diff = spec.diffId ? createHash(diffAlg!) : undefined;
  const result = w.start({ digest: spec.digest, size: spec.size, what: spec.what, short: spec.digest ? shortDigest(spec.digest) : '' });
  let settled: Result | undefined;
  void result.then((r) => (settled = r));
  let stop = false;
  let feedFailure: unknown;
  const it = source[Symbol.asyncIterator]();
  const feeding = (async () => {
    try {
      let inW = 0;
      for (;;) {
        const r = await it.next();
        if (r.done || stop) break;
        const chunk = r.value;
        for (let off = 0; off < chunk.length && !stop; ) {
          const free = IN_BYTES - ((inW - Atomics.load(c, IN_R)) >>> 0);
          if (free === 0) {
            if (Atomics.load(c, DONE) || w.failure) return;
            await w.waitFor(() => Atomics.load(c, IN_R) !== ((inW - IN_BYTES) | 0) || Atomics.load(c, DONE) !== 0);
            continue;
          }
          const at = inW & (IN_BYTES - 1);
          const n = Math.min(chunk.length - off, free, IN_BYTES - at);
          chunk.copy(w.input, at, off, off + n);
          off += n;
          inW = (inW + n) | 0;
          Atomics.store(c, IN_W, inW);
          w.poke();
        }
      }
      if (!stop) {
        Atomics.store(c, STATE, 1);
        w.wake();
      }
    } catch (e) {
      feedFailure ??= e;
      Atomics.store(c, STATE, 2);
      w.wake();
    } finally {
      await it.return?.();
    }
  })();

  let outR = 0;
  let finished = false;
  try {
    for (;;) {
      const outW = Atomics.load(c, OUT_W);
      if (outW !== outR) {
        const at = outR & (OUT_BYTES - 1);
        const n = Math.min((outW - outR) >>> 0, OUT_BYTES - at, PIECE);
        // The piece before this one is released only now: the reader may still look at its last bytes.
        Atomics.store(c, OUT_R, outR);
        w.poke();
        outR = (outR + n) | 0;
        const piece = w.output.subarray(at, at + n);
        diff?.update(piece);
        yield piece;
        continue;
      }
      if (feedFailure !== undefined) throw feedFailure;
      if (Atomics.load(c, DONE)) {
        // The worker may have written more between the two loads.
        if (Atomics.load(c, OUT_W) !== outR) continue;
        // Everything written before DONE has been read: the result says how it ended.
        const r = settled ?? (await result);
        if ('error' in r) throw new PalisadeError(r.error.code, r.error.message);
        if ('aborted' in r) throw feedFailure ?? new Error(`${spec.what}: the layer thread stopped`);
        if (diff) {
          const got = `${diffAlg}:${diff.digest('hex')}`;
          if (got !== spec.diffId) throw new PalisadeError('E_IMAGE_DIGEST', `${spec.what}: uncompressed content does not match the config's diff_id (expected ${spec.diffId}, got ${got})`);
        }
        break;
      }
      if (w.failure) throw new PalisadeError('E_IMAGE_FORMAT', `${spec.what}: ${w.failure.message}`);
      await w.waitFor(() => Atomics.load(c, OUT_W) !== outR || Atomics.load(c, DONE) !== 0 || feedFailure !== undefined);
    }
    await feeding;
    if (feedFailure !== undefined) throw feedFailure;
    finished = true;
  } finally {
    stop = true;
    if (!finished && !Atomics.load(c, DONE)) {
      Atomics.store(c, STATE, 2);
      w.wake();
    }
    // The worker (and its memory) is reused only once it has finished this job.
    if (!w.failure) await result;
    if (w.failure) workers--;
    else idle.push(w);
  }
}
