import type { Alert } from '../model/audit.js';
import { atLeast, type Severity } from '../model/severity.js';
import { PermanentSinkError, type AlertSink } from './sink.js';

/** Delivery settings of one sink. */
export interface DeliveryOptions {
  minSeverity?: Severity;
  /** Alerts waiting at most (default 1,000); when full the oldest is dropped and counted. */
  queueSize?: number;
  /** Retries after the first failed attempt (default 5). */
  retries?: number;
  /** First backoff delay in ms (default 500), doubled per retry up to 60 s, with jitter. */
  backoffMs?: number;
  /** One attempt's time limit in ms (default 10 s). */
  timeoutMs?: number;
}

/** Counters of one sink. */
export interface SinkMetrics {
  name: string;
  /** Alerts accepted into the queue. */
  enqueued: number;
  delivered: number;
  /** Dropped because the queue was full (the oldest waiting alert goes). */
  dropped: number;
  /** Given up after the last retry, or at once on a permanent error. */
  failed: number;
  /** Attempts after a failure. */
  retries: number;
  /** Waiting now. */
  queued: number;
  /** The last delivery error, for the log. */
  lastError?: string;
}

const MAX_BACKOFF_MS = 60_000;

/** Time and randomness, replaceable in tests. */
export interface DispatcherClock {
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  random(): number;
}

const realClock: DispatcherClock = {
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const t = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    }),
  random: Math.random,
};

/** Backoff before retry number `attempt` (1-based): base x 2^(attempt-1), capped, then "equal jitter" (half fixed, half random). */
export function backoffDelay(attempt: number, baseMs: number, random: () => number): number {
  const d = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** (attempt - 1));
  return Math.round(d / 2 + random() * (d / 2));
}

class Lane {
  readonly queue: Alert[] = [];
  readonly metrics: SinkMetrics;
  running = false;
  idle: Array<() => void> = [];

  constructor(
    readonly sink: AlertSink,
    readonly o: Required<Omit<DeliveryOptions, 'minSeverity'>> & { minSeverity?: Severity },
  ) {
    this.metrics = { name: sink.name, enqueued: 0, delivered: 0, dropped: 0, failed: 0, retries: 0, queued: 0 };
  }
}

/**
 * Fans alerts out to sinks without ever making the caller wait: `publish` only appends to each sink's bounded
 * queue (dropping that queue's oldest alert, counted, when it is full) and each sink delivers from its own queue
 * in the background, one alert at a time in order, retrying failures with exponential backoff and jitter. A slow
 * or dead sink never delays ingestion or the other sinks.
 */
export class AlertDispatcher {
  private readonly lanes: Lane[];
  private readonly stop = new AbortController();

  constructor(
    sinks: ReadonlyArray<{ sink: AlertSink; delivery?: DeliveryOptions }>,
    private readonly clock: DispatcherClock = realClock,
  ) {
    this.lanes = sinks.map(({ sink, delivery: d = {} }) => new Lane(sink, { queueSize: d.queueSize ?? 1000, retries: d.retries ?? 5, backoffMs: d.backoffMs ?? 500, timeoutMs: d.timeoutMs ?? 10_000, ...(d.minSeverity ? { minSeverity: d.minSeverity } : {}) }));
  }

  /** Queues an alert for every sink whose severity threshold it meets. Never blocks, never throws. */
  publish(alert: Alert): void {
    if (this.stop.signal.aborted) return;
    for (const lane of this.lanes) {
      if (lane.o.minSeverity && !atLeast(alert.severity, lane.o.minSeverity)) continue;
      if (lane.queue.length >= lane.o.queueSize) {
        lane.queue.shift();
        lane.metrics.dropped++;
      }
      lane.queue.push(alert);
      lane.metrics.enqueued++;
      lane.metrics.queued = lane.queue.length;
      if (!lane.running) void this.pump(lane);
    }
  }

  /** A snapshot of every sink's counters. */
  metrics(): SinkMetrics[] {
    return this.lanes.map((l) => ({ ...l.metrics, queued: l.queue.length }));
  }

  /** Resolves when every queue is empty and nothing is in flight (delivered or given up). */
  async flush(): Promise<void> {
    await Promise.all(this.lanes.map((l) => (l.running || l.queue.length > 0 ? new Promise<void>((r) => l.idle.push(r)) : undefined)));
  }

  /**
   * Delivers what is queued for at most `graceMs`, then stops retrying, counts what is left as dropped, and
   * closes the sinks.
   */
  async close(graceMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flush(), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    this.stop.abort();
    for (const l of this.lanes) {
      l.metrics.dropped += l.queue.length;
      l.queue.length = 0;
    }
    await this.flush();
    await Promise.all(this.lanes.map((l) => l.sink.close?.().catch(() => undefined)));
  }

  private async pump(lane: Lane): Promise<void> {
    lane.running = true;
    try {
      for (let alert = lane.queue.shift(); alert !== undefined; alert = lane.queue.shift()) {
        lane.metrics.queued = lane.queue.length;
        await this.deliver(lane, alert);
      }
    } finally {
      lane.running = false;
      lane.metrics.queued = 0;
      for (const r of lane.idle.splice(0)) r();
    }
  }

  private async deliver(lane: Lane, alert: Alert): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) {
        lane.metrics.retries++;
        await this.clock.sleep(backoffDelay(attempt, lane.o.backoffMs, this.clock.random), this.stop.signal);
      }
      if (this.stop.signal.aborted) {
        lane.metrics.dropped++;
        return;
      }
      const signal = AbortSignal.any([this.stop.signal, AbortSignal.timeout(lane.o.timeoutMs)]);
      try {
        await lane.sink.send(alert, signal);
        lane.metrics.delivered++;
        return;
      } catch (e) {
        lane.metrics.lastError = String((e as Error).message ?? e);
        if (e instanceof PermanentSinkError || attempt >= lane.o.retries) {
          lane.metrics.failed++;
          return;
        }
      }
    }
  }
}
