import { createSocket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../model/audit.js';
import { configSchema } from '../model/config.js';
import { AlertDispatcher, backoffDelay, createSinks, expandEnv, formatSyslog, parseSinkFlag, SINK_FACTORIES, slackMessage, type AlertSink, type DispatcherClock } from './index.js';
import { createJsonlSink } from './jsonl.js';
import { createSyslogSink } from './syslog.js';

const alert = (over: Partial<Alert> = {}): Alert => ({
  ruleId: 'PAL-RT-010',
  slug: 'exec-into-pod',
  title: 'Exec into a pod',
  severity: 'high',
  mitre: { tactics: ['TA0002'], techniques: ['T1609'] },
  output: 'alice exec into web/app-1 "sh" <x>',
  entities: { user: 'alice', verb: 'create', namespace: 'web', resource: 'pods', subresource: 'exec', name: 'app-1', sourceIP: '10.0.0.1' },
  time: '2024-05-14T10:00:00.000Z',
  auditIds: ['a1'],
  count: 1,
  source: { file: 'f', format: 'kubernetes' },
  equivalents: {},
  ...over,
});

/** No waiting between retries: tests run as fast as the sockets answer. */
const instant: DispatcherClock = { sleep: async () => undefined, random: () => 0.5 };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function listen(server: Server | TcpServer, port = 0): Promise<number> {
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}
const closeServer = (s: Server | TcpServer) => new Promise<void>((r) => s.close(() => r()));

/** An HTTP server that answers `fail` times with the given status, then 200, recording the bodies it accepted. */
async function httpServer(fail = 0, status = 500): Promise<{ url: string; bodies: unknown[]; hits: () => number }> {
  const bodies: unknown[] = [];
  let hits = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      hits++;
      if (hits <= fail) {
        res.writeHead(status).end('try later');
        return;
      }
      bodies.push(JSON.parse(data));
      res.writeHead(200).end('ok');
    });
  });
  const port = await listen(server);
  cleanups.push(() => {
    server.closeAllConnections();
    return closeServer(server);
  });
  return { url: `http://127.0.0.1:${port}/hook/T000/secret`, bodies, hits: () => hits };
}

describe('webhook and Slack sinks over loopback HTTP', () => {
  it('POSTs the alert as JSON, retrying a failing server until it recovers', async () => {
    const srv = await httpServer(2);
    const d = new AlertDispatcher(createSinks([{ type: 'webhook', url: srv.url, retries: 3 }]), instant);
    d.publish(alert());
    await d.flush();
    expect(srv.bodies).toEqual([{ source: 'palisade', alert: alert() }]);
    expect(d.metrics()[0]).toMatchObject({ name: 'webhook', delivered: 1, retries: 2, failed: 0, dropped: 0 });
    await d.close();
  });

  it('gives up after the last retry, and at once on a 4xx answer', async () => {
    const down = await httpServer(100);
    const refused = await httpServer(100, 404);
    const d = new AlertDispatcher(createSinks([{ type: 'webhook', url: down.url, retries: 2, name: 'down' }, { type: 'slack', url: refused.url, retries: 5, name: 'refused' }]), instant);
    d.publish(alert());
    await d.flush();
    expect(d.metrics().map((m) => [m.name, m.failed, m.retries])).toEqual([['down', 1, 2], ['refused', 1, 0]]);
    expect(down.hits()).toBe(3);
    expect(refused.hits()).toBe(1);
    // The secret part of the URL is not repeated in the error.
    expect(d.metrics()[0]!.lastError).not.toContain('secret');
    await d.close();
  });

  it('sends Slack text and blocks, escaping mrkdwn', async () => {
    const srv = await httpServer();
    const d = new AlertDispatcher(createSinks([{ type: 'slack', url: srv.url }]), instant);
    d.publish(alert());
    await d.flush();
    const body = srv.bodies[0] as { text: string; blocks: Array<{ type: string }> };
    expect(body.text).toBe('[HIGH] PAL-RT-010 Exec into a pod: alice exec into web/app-1 "sh" &lt;x&gt;');
    expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section']);
    expect(body).toEqual(slackMessage(alert()));
    await d.close();
  });
});

describe('syslog sink', () => {
  it('formats RFC 5424 messages with structured data and escaping', () => {
    const msg = formatSyslog(alert({ entities: { user: 'a"b]c\\d', verb: 'get' } }), { facility: 4, appName: 'palisade', hostname: 'host 1', procId: '42' });
    expect(msg).toBe('<35>1 2024-05-14T10:00:00.000Z host_1 palisade 42 PAL-RT-010 [palisade@32473 ruleId="PAL-RT-010" slug="exec-into-pod" severity="high" user="a\\"b\\]c\\\\d" verb="get" count="1" mitre="TA0002,T1609"] \uFEFF[HIGH] PAL-RT-010 Exec into a pod: alice exec into web/app-1 "sh" <x>');
  });

  it('sends one datagram per alert over UDP', async () => {
    const server = createSocket('udp4');
    const got: string[] = [];
    const received = new Promise<void>((r) => server.on('message', (m) => (got.push(m.toString()), got.length === 2 && r())));
    await new Promise<void>((r) => server.bind(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const d = new AlertDispatcher(createSinks([{ type: 'syslog', protocol: 'udp', host: '127.0.0.1', port: server.address().port, facility: 16, appName: 'palisade', hostname: 'h' }]), instant);
    d.publish(alert());
    d.publish(alert({ severity: 'low', ruleId: 'PAL-RT-011' }));
    await received;
    expect(got).toEqual([expect.stringMatching(/^<131>1 2024-05-14T10:00:00.000Z h palisade \d+ PAL-RT-010 /), expect.stringMatching(/^<133>1 .* PAL-RT-011 /)]);
    await d.close();
  });

  it('frames messages by octet counting over TCP, and reconnects after the collector was down', async () => {
    // Find a free port, then keep it closed: the first attempts are refused.
    const probe = createTcpServer();
    const port = await listen(probe);
    await closeServer(probe);
    const frames: string[] = [];
    let buffered = Buffer.alloc(0);
    let connections = 0;
    let onFrames: () => void = () => undefined;
    const server = createTcpServer((s: Socket) => {
      connections++;
      s.on('data', (c: Buffer) => {
        buffered = Buffer.concat([buffered, c]);
        for (;;) {
          const sp = buffered.indexOf(0x20);
          if (sp === -1) break;
          const len = Number(buffered.subarray(0, sp).toString());
          if (buffered.length < sp + 1 + len) break;
          frames.push(buffered.subarray(sp + 1, sp + 1 + len).toString());
          buffered = buffered.subarray(sp + 1 + len);
        }
        onFrames();
      });
    });
    let attempts = 0;
    const clock: DispatcherClock = {
      random: () => 0,
      // The collector comes up after the second failed attempt.
      sleep: async () => {
        if (++attempts === 2) await listen(server, port);
      },
    };
    cleanups.push(() => closeServer(server));
    const d = new AlertDispatcher([{ sink: createSyslogSink({ protocol: 'tcp', host: '127.0.0.1', port, facility: 4, appName: 'palisade', hostname: 'h' }), delivery: { retries: 5 } }], clock);
    const got = new Promise<void>((r) => (onFrames = () => frames.length === 2 && r()));
    d.publish(alert({ output: 'first\nline two' }));
    d.publish(alert({ output: 'ünïcode' }));
    await d.flush();
    await got;
    expect(frames.map((f) => f.split('\uFEFF')[1])).toEqual(['[HIGH] PAL-RT-010 Exec into a pod: first\nline two', '[HIGH] PAL-RT-010 Exec into a pod: ünïcode']);
    expect(d.metrics()[0]).toMatchObject({ delivered: 2, retries: 2, failed: 0 });
    expect(connections).toBe(1);
    await d.close();
    server.close();
  });
});

describe('JSON lines sink', () => {
  it('appends one JSON alert per line to a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-sink-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'alerts.jsonl');
    const d = new AlertDispatcher([{ sink: createJsonlSink({ path: file }) }], instant);
    d.publish(alert());
    d.publish(alert({ ruleId: 'X' }));
    await d.close();
    expect(readFileSync(file, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as Alert).ruleId)).toEqual(['PAL-RT-010', 'X']);
  });
});

describe('dispatcher', () => {
  it('never blocks: a stuck sink drops its oldest alerts (counted) while another sink delivers everything', async () => {
    const release: Array<() => void> = [];
    const stuck: AlertSink = { name: 'stuck', send: () => new Promise<void>((r) => release.push(r)) };
    const seen: string[] = [];
    const fast: AlertSink = { name: 'fast', send: async (a) => void seen.push(a.output) };
    const d = new AlertDispatcher([{ sink: stuck, delivery: { queueSize: 2 } }, { sink: fast }], instant);
    for (let i = 0; i < 6; i++) d.publish(alert({ output: `a${i}` }));
    // publish returned six times while the first alert is still in flight on the stuck sink.
    expect(d.metrics()[0]).toMatchObject({ enqueued: 6, dropped: 3, queued: 2 });
    release.shift()!();
    await new Promise((r) => setImmediate(r));
    release.shift()!();
    await new Promise((r) => setImmediate(r));
    release.shift()!();
    await d.flush();
    expect(d.metrics()[0]).toMatchObject({ delivered: 3, dropped: 3, queued: 0 });
    expect(seen).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'a5']);
  });

  it('filters by minimum severity and backs off exponentially with jitter', () => {
    expect([1, 2, 3, 11].map((n) => backoffDelay(n, 100, () => 0))).toEqual([50, 100, 200, 30_000]);
    expect(backoffDelay(2, 100, () => 1)).toBe(200);
    const seen: string[] = [];
    const d = new AlertDispatcher([{ sink: { name: 's', send: async (a) => void seen.push(a.severity) }, delivery: { minSeverity: 'high' } }], instant);
    d.publish(alert({ severity: 'medium' }));
    d.publish(alert({ severity: 'critical' }));
    return d.flush().then(() => expect(seen).toEqual(['critical']));
  });
});

describe('configuration', () => {
  it('validates alerts.sinks in palisade.yaml and expands ${ENV} references', () => {
    const cfg = configSchema.parse({ alerts: { sinks: [{ type: 'slack', url: '${SLACK_URL}', minSeverity: 'high' }, { type: 'syslog', host: 'siem', protocol: 'tcp', port: 601 }] } });
    expect(cfg.alerts?.sinks[1]).toMatchObject({ facility: 4, appName: 'palisade' });
    expect(expandEnv(cfg.alerts!.sinks[0], { SLACK_URL: 'https://hooks.example/x' }, 'sink')).toMatchObject({ url: 'https://hooks.example/x' });
    expect(() => createSinks(cfg.alerts!.sinks, { env: {} })).toThrow(/SLACK_URL is not set/);
    expect(configSchema.safeParse({ alerts: { sinks: [{ type: 'pager' }] } }).success).toBe(false);
    expect(configSchema.safeParse({ alerts: { sinks: [{ type: 'syslog', host: 'h', port: 70000 }] } }).success).toBe(false);
  });

  it('parses --sink flags', () => {
    expect(parseSinkFlag('syslog=tcp://siem.example:6514')).toMatchObject({ type: 'syslog', protocol: 'tcp', host: 'siem.example', port: 6514 });
    expect(parseSinkFlag('syslog=udp://[::1]')).toMatchObject({ host: '::1', port: 514 });
    expect(parseSinkFlag('jsonl=-')).toMatchObject({ type: 'jsonl', path: '-' });
    expect(parseSinkFlag('webhook=https://x.example/h')).toMatchObject({ type: 'webhook', url: 'https://x.example/h' });
    expect(() => parseSinkFlag('pager=x')).toThrow(/unknown sink type/);
    expect(() => parseSinkFlag('syslog=siem')).toThrow(/expected syslog=/);
  });

  it('lists every sink file of the folder in the registry', () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const files = readdirSync(here).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !['index.ts', 'sink.ts', 'dispatcher.ts'].includes(f)).map((f) => f.slice(0, -3)).sort();
    expect(Object.keys(SINK_FACTORIES).sort()).toEqual(files);
  });
});
