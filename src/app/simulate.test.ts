import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { scanAudit } from './audit.js';
import { postEvents, SCENARIOS, simulateEvents, toJsonLines } from './simulate.js';
import { Readable } from 'node:stream';

const START = Date.UTC(2024, 4, 14, 10);

describe('palisade simulate scenarios', () => {
  for (const s of SCENARIOS) {
    it(`${s.name}: audit scan raises ${s.expectedRules.join(', ')}`, async () => {
      const text = toJsonLines(simulateEvents(s.name, START));
      const r = await scanAudit(['-'], { stdin: Readable.from([Buffer.from(text)]) });
      expect(r.errors).toEqual([]);
      const raised = new Set(r.alerts.map((a) => a.ruleId));
      expect(s.expectedRules.filter((id) => !raised.has(id)), `raised: ${[...raised].sort().join(', ')}`).toEqual([]);
    });
  }

  it('is deterministic for a given start time', () => {
    expect(toJsonLines(simulateEvents('web-shell', START))).toBe(toJsonLines(simulateEvents('web-shell', START)));
    expect(() => simulateEvents('nope')).toThrow(/unknown scenario "nope"/);
  });

  it('posts EventList batches with a bearer token', async () => {
    const got: Array<{ auth: string | undefined; items: number; kind: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const list = JSON.parse(body) as { kind: string; items: unknown[] };
        got.push({ auth: req.headers.authorization, items: list.items.length, kind: list.kind });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/audit`;
    const events = simulateEvents('reconnaissance', START);
    const { batches } = await postEvents(url, events, { token: 't0k', batchSize: 10 });
    server.close();
    expect(batches).toBe(Math.ceil(events.length / 10));
    expect(got.reduce((n, g) => n + g.items, 0)).toBe(events.length);
    expect(got.every((g) => g.auth === 'Bearer t0k' && g.kind === 'EventList')).toBe(true);
  });
});
