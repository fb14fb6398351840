import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, renameSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FileFollower, type FilePosition } from './follow.js';

/** A stand-in for the store: lines and the last position, committed together. */
function sink() {
  const s = { lines: [] as string[], position: undefined as FilePosition | undefined, dropped: 0, logs: [] as string[] };
  return s;
}

function follower(path: string, s: ReturnType<typeof sink>, extra: Partial<ConstructorParameters<typeof FileFollower>[0]> = {}): FileFollower {
  return new FileFollower({
    path,
    ...(s.position ? { position: s.position } : {}),
    onLines: (lines, position, dropped) => {
      s.lines.push(...lines.map((l) => l.text));
      s.position = position;
      s.dropped += dropped;
    },
    log: (l) => s.logs.push(l),
    ...extra,
  });
}

const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `{"n":${from + i},"pad":"${'x'.repeat(40)}"}\n`).join('');
const numbers = (s: ReturnType<typeof sink>) => s.lines.map((l) => (JSON.parse(l) as { n: number }).n);
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** Reads a file with 1..n, stops, lets `whileStopped` change it, then resumes with a new follower; returns the sink. */
async function resumeAfter(n: number, whileStopped: (path: string) => void): Promise<ReturnType<typeof sink>> {
  const path = logFile();
  writeFileSync(path, lines(1, n));
  const s = sink();
  const a = follower(path, s);
  await a.poll();
  await a.stop();
  whileStopped(path);
  const b = follower(path, s);
  await b.poll();
  await b.stop();
  return s;
}

function logFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'palisade-follow-')), 'audit.log');
}

describe('FileFollower', () => {
  it('takes complete lines only, and the partial last line once its newline arrives', async () => {
    const path = logFile();
    writeFileSync(path, `${lines(1, 2)}{"n":3,`);
    const s = sink();
    const f = follower(path, s);
    await f.poll();
    expect(numbers(s)).toEqual([1, 2]);
    expect(s.position!.offset).toBe(Buffer.byteLength(lines(1, 2)));
    appendFileSync(path, '"pad":""}\n');
    await f.poll();
    expect(numbers(s)).toEqual([1, 2, 3]);
    await f.stop();
  });

  it('follows rename-and-create: the rest of the old file first, then the new one, nothing twice', async () => {
    const path = logFile();
    writeFileSync(path, lines(1, 3));
    const s = sink();
    const f = follower(path, s);
    await f.poll();
    appendFileSync(path, lines(4, 5));
    renameSync(path, `${path}.1`);
    writeFileSync(path, lines(6, 7));
    await f.poll();
    appendFileSync(path, lines(8, 8));
    await f.poll();
    expect(numbers(s)).toEqual(range(1, 8));
    expect(s.logs.some((l) => /rotated \(new file\)/.test(l))).toBe(true);
    await f.stop();
  });

  it('follows copytruncate: lines copied before the truncation are read from the copy, then the file from its start', async () => {
    const path = logFile();
    writeFileSync(path, lines(1, 3));
    const s = sink();
    const f = follower(path, s);
    await f.poll();
    appendFileSync(path, lines(4, 5));
    copyFileSync(path, `${path}.1`);
    truncateSync(path, 0);
    appendFileSync(path, lines(6, 6));
    await f.poll();
    appendFileSync(path, lines(7, 7));
    await f.poll();
    expect(numbers(s)).toEqual(range(1, 7));
    expect(s.logs.some((l) => /truncated \(copytruncate\)/.test(l))).toBe(true);
    await f.stop();
  });

  it('detects a truncation that was refilled past the offset, by the first-bytes fingerprint', async () => {
    const path = logFile();
    writeFileSync(path, lines(1, 2));
    const s = sink();
    const f = follower(path, s);
    await f.poll();
    copyFileSync(path, `${path}.1`);
    truncateSync(path, 0);
    appendFileSync(path, lines(10, 14));
    await f.poll();
    expect(numbers(s)).toEqual([1, 2, 10, 11, 12, 13, 14]);
    await f.stop();
  });

  it('resumes from a stored position after a restart, with no line repeated or skipped', async () => {
    const s = await resumeAfter(3, (path) => appendFileSync(path, lines(4, 5)));
    expect(numbers(s)).toEqual(range(1, 5));
  });

  it('after a rename-and-create while stopped, reads the rest of the rotated file (found by inode) before the new one', async () => {
    const s = await resumeAfter(3, (path) => {
      appendFileSync(path, lines(4, 5));
      renameSync(path, `${path}.1`);
      writeFileSync(path, lines(6, 7));
    });
    expect(numbers(s)).toEqual(range(1, 7));
  });

  it('finds a file kube-apiserver rotated while stopped under its timestamped backup name', async () => {
    const s = await resumeAfter(2, (path) => {
      appendFileSync(path, lines(3, 3));
      renameSync(path, join(path, '..', 'audit-2024-05-14T10-00-00.000.log'));
      writeFileSync(path, lines(4, 4));
    });
    expect(numbers(s)).toEqual(range(1, 4));
  });

  it('after a copytruncate while stopped, reads the rest of the copy (found by fingerprint) before the file', async () => {
    const s = await resumeAfter(3, (path) => {
      appendFileSync(path, lines(4, 4));
      copyFileSync(path, `${path}.1`);
      truncateSync(path, 0);
      appendFileSync(path, lines(5, 6));
    });
    expect(numbers(s)).toEqual(range(1, 6));
  });

  it('after a rotation compressed while stopped (logrotate compress), reads the rest of the .gz before the new file', async () => {
    const s = await resumeAfter(3, (path) => {
      appendFileSync(path, lines(4, 5));
      writeFileSync(`${path}.1.gz`, gzipSync(readFileSync(path)));
      unlinkSync(path);
      writeFileSync(path, lines(6, 7));
    });
    expect(numbers(s)).toEqual(range(1, 7));
    expect(s.logs.some((l) => /compressed rotation/.test(l))).toBe(true);
  });

  it('after a copytruncate whose copy was compressed, reads the rest of the copy from the .gz', async () => {
    const s = await resumeAfter(3, (path) => {
      appendFileSync(path, lines(4, 4));
      writeFileSync(`${path}.1.gz`, gzipSync(readFileSync(path)));
      truncateSync(path, 0);
      appendFileSync(path, lines(5, 6));
    });
    expect(numbers(s)).toEqual(range(1, 6));
  });

  it('resumes inside a compressed rotation after a stop in the middle of it, nothing twice', async () => {
    const path = logFile();
    writeFileSync(path, lines(1, 2));
    const s = sink();
    const a = follower(path, s);
    await a.poll();
    await a.stop();
    appendFileSync(path, lines(3, 12));
    writeFileSync(`${path}.1.gz`, gzipSync(readFileSync(path)));
    unlinkSync(path);
    writeFileSync(path, lines(13, 14));
    // The second run stores one batch of the .gz, then fails (a crash before the next commit).
    let batches = 0;
    const b = follower(path, s, {
      maxBatchLines: 4,
      onLines: (ls, position) => {
        if (ls.length > 0 && ++batches === 2) throw new Error('crash');
        s.lines.push(...ls.map((l) => l.text));
        s.position = position;
      },
    });
    await expect(b.poll()).rejects.toThrow('crash');
    await b.stop();
    expect(numbers(s)).toEqual(range(1, 6));
    const c = follower(path, s);
    await c.poll();
    await c.stop();
    expect(numbers(s)).toEqual(range(1, 14));
  });

  it('says so when the rotated file cannot be found, and goes on with the new one', async () => {
    const s = await resumeAfter(2, (path) => {
      renameSync(path, join(path, '..', 'elsewhere.log'));
      writeFileSync(path, lines(3, 3));
    });
    expect(numbers(s)).toEqual([1, 2, 3]);
    expect(s.logs.some((l) => /was not found next to it/.test(l))).toBe(true);
  });

  it('drops and counts lines over the size limit, keeping the lines around them', async () => {
    const path = logFile();
    writeFileSync(path, `${lines(1, 1)}${'y'.repeat(5000)}\n${lines(2, 2)}`);
    const s = sink();
    const f = follower(path, s, { maxLineBytes: 1000 });
    await f.poll();
    expect(numbers(s)).toEqual([1, 2]);
    expect(s.dropped).toBe(1);
    await f.stop();
  });

  it('hands over long files in bounded batches with increasing positions', async () => {
    const path = logFile();
    writeFileSync(path, lines(1, 250));
    const offsets: number[] = [];
    const s = sink();
    const f = follower(path, s, {
      maxBatchLines: 100,
      onLines: (ls, p) => {
        s.lines.push(...ls.map((l) => l.text));
        offsets.push(p.offset);
      },
    });
    await f.poll();
    expect(numbers(s)).toEqual(range(1, 250));
    expect(offsets.filter((o, i) => i > 0 && o <= offsets[i - 1]!)).toEqual([]);
    expect(offsets[offsets.length - 1]).toBe(Buffer.byteLength(lines(1, 250)));
    await f.stop();
  });
});
