import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { forEachLine, LineSplitter } from './read.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

async function viaReadline(chunks: string[]): Promise<string[]> {
  const out: string[] = [];
  for await (const l of createInterface({ input: Readable.from(chunks.map((c) => Buffer.from(c))), crlfDelay: Infinity })) out.push(l);
  return out;
}

function viaSplitter(chunks: string[]): string[] {
  const out: string[] = [];
  const s = new LineSplitter((l) => out.push(l));
  for (const c of chunks) s.push(c);
  s.end();
  return out;
}

describe('LineSplitter', () => {
  it('splits like readline (crlfDelay Infinity) whatever the line ends and the chunk boundaries', async () => {
    const r = rng(3);
    const alphabet = ['a', 'b', '{', '"', '\n', '\r', '\r\n', 'é', ' '];
    for (let round = 0; round < 300; round++) {
      let text = '';
      const len = Math.floor(r() * 60);
      for (let i = 0; i < len; i++) text += alphabet[Math.floor(r() * alphabet.length)]!;
      const chunks: string[] = [];
      for (let i = 0; i < text.length; ) {
        const n = 1 + Math.floor(r() * 7);
        chunks.push(text.slice(i, i + n));
        i += n;
      }
      expect(viaSplitter(chunks), JSON.stringify(chunks)).toEqual(await viaReadline(chunks));
    }
  });

  it('decodes UTF-8 split across byte chunks', async () => {
    const bytes = Buffer.from('{"a":"é€"}\n{"b":"😀"}\r\nlast');
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    const out: string[] = [];
    await forEachLine(Readable.from(chunks), (l) => out.push(l));
    expect(out).toEqual(['{"a":"é€"}', '{"b":"😀"}', 'last']);
  });
});
