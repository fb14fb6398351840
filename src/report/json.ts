import type { ScanReport } from '../model/report.js';

/** `-o json`: the report itself, schema `palisade.dev/scan-report/v1` (docs/json-output.md). */
export function renderJson(report: ScanReport): string {
  return [...renderJsonChunks(report)].join('');
}

/**
 * Pieces of about this many characters: few writes, and only one piece in memory at a time. Pieces and
 * batches stay small enough to die young: strings past V8's large-object size (about 128 KiB) go straight
 * to the old generation, where the hundreds of megabytes a large report is written through piled up until
 * the next full collection (about 160 MB more peak memory at 50k resources with 256 KiB pieces and batches
 * of 512 findings).
 */
const CHUNK_CHARS = 48 * 1024;

/** Arrays with more items than this are written in batches of items rather than in one piece. */
const STREAMED_ARRAY = 64;
const BATCH = 32;

/**
 * `-o json` in pieces whose concatenation is exactly `JSON.stringify(report, null, 2)` plus a newline,
 * to write to a stream: the report of a large scan is hundreds of megabytes of text, which as one string
 * (with the copies made while building it) took several times the memory of the report itself.
 */
export function* renderJsonChunks(report: ScanReport): Generator<string> {
  let buffer = '';
  for (const piece of pieces(report, '')) {
    buffer += piece;
    if (buffer.length >= CHUNK_CHARS) {
      yield buffer;
      buffer = '';
    }
  }
  yield `${buffer}\n`;
}

/** Values JSON.stringify leaves out of objects (and writes as null in arrays). */
function hasNoJson(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}

/**
 * The text of `value` written on a line indented by `indent`, as JSON.stringify(…, null, 2) writes it
 * there. Plain objects are walked key by key and long arrays item by item; anything else (and anything
 * with its own `toJSON`) is stringified whole.
 */
function* pieces(value: unknown, indent: string): Generator<string> {
  const inner = `${indent}  `;
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON !== 'function') {
    if (Array.isArray(value) && value.length > STREAMED_ARRAY) {
      yield '[';
      // Items in batches: one JSON.stringify per batch is much faster than one per item. The batch is
      // nested in holders as deep as the array, so that its items come out already indented.
      const depth = indent.length / 2;
      const frame = frameOf(depth);
      for (let i = 0; i < value.length; i += BATCH) {
        const text = JSON.stringify(hold(value.slice(i, i + BATCH), depth), null, 2);
        yield `${i === 0 ? '' : ','}\n${text.slice(frame.before, text.length - frame.after)}`;
      }
      yield `\n${indent}]`;
      return;
    }
    if (!Array.isArray(value)) {
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).filter((k) => {
        const v = obj[k];
        // A value with its own toJSON may still turn out to have no JSON form.
        return !hasNoJson(v) && (v === null || typeof (v as { toJSON?: unknown }).toJSON !== 'function' || stringify(v, '') !== undefined);
      });
      if (keys.length === 0) {
        yield '{}';
        return;
      }
      for (let i = 0; i < keys.length; i++) {
        yield `${i === 0 ? '{' : ','}\n${inner}${JSON.stringify(keys[i])}: `;
        yield* pieces(obj[keys[i]!], inner);
      }
      yield `\n${indent}}`;
      return;
    }
  }
  yield stringify(value, indent) ?? 'null';
}

/** `value` nested `depth` levels deep in single-key objects. */
function hold(value: unknown, depth: number): unknown {
  let v = value;
  for (let d = 0; d < depth; d++) v = { v };
  return v;
}

const frames = new Map<number, { before: number; after: number }>();

/** How many characters come before the first item and after the last one of an array held `depth` deep. */
function frameOf(depth: number): { before: number; after: number } {
  let f = frames.get(depth);
  if (!f) {
    const text = JSON.stringify(hold(['X'], depth), null, 2);
    const at = text.indexOf('"X"');
    f = { before: at - (depth + 1) * 2, after: text.length - at - 3 };
    frames.set(depth, f);
  }
  return f;
}

/** JSON.stringify(value, null, 2), its line breaks indented by `indent`; undefined when it has no JSON form. */
function stringify(value: unknown, indent: string): string | undefined {
  const text = JSON.stringify(value, null, 2) as string | undefined;
  if (text === undefined || indent === '') return text;
  // JSON escapes line breaks inside strings: every raw line break here is formatting.
  return text.includes('\n') ? text.replaceAll('\n', `\n${indent}`) : text;
}
