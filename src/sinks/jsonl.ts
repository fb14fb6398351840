import { open, type FileHandle } from 'node:fs/promises';
import type { Alert } from '../model/audit.js';
import type { AlertSink } from './sink.js';

/** Options of the JSON-lines sink. */
export interface JsonlSinkOptions {
  name?: string;
  /** A file, appended to (created when missing), or `-` for standard output. */
  path: string;
  /** Standard output replacement (tests). */
  stdout?: NodeJS.WritableStream;
}

/** Writes each alert as one line of JSON, to a file (appended) or standard output. */
export function createJsonlSink(o: JsonlSinkOptions): AlertSink {
  let file: Promise<FileHandle> | undefined;
  const out = o.stdout ?? process.stdout;
  return {
    name: o.name ?? 'jsonl',
    async send(alert: Alert): Promise<void> {
      const line = `${JSON.stringify(alert)}\n`;
      if (o.path === '-') {
        await new Promise<void>((resolve, reject) => out.write(line, (e) => (e ? reject(e) : resolve())));
        return;
      }
      file ??= open(o.path, 'a');
      try {
        await (await file).write(line);
      } catch (e) {
        // Reopen on the next attempt (the folder may have been recreated, the disk freed).
        const f = file;
        file = undefined;
        await f.then((h) => h.close()).catch(() => undefined);
        throw e;
      }
    },
    async close(): Promise<void> {
      const f = file;
      file = undefined;
      if (f) await f.then((h) => h.close()).catch(() => undefined);
    },
  };
}
