import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import type { Alert } from '../model/audit.js';
import type { Severity } from '../model/severity.js';
import { alertLine, type AlertSink } from './sink.js';

/** Syslog severities (RFC 5424 section 6.2.1) of alert severities. */
const SYSLOG_SEVERITY: Record<Severity, number> = { critical: 2, high: 3, medium: 4, low: 5, info: 6 };

/**
 * Structured-data id of Palisade's fields. 32473 is the private enterprise number reserved for documentation
 * (RFC 5612); collectors key on the whole id, so it only has to be stable.
 */
export const SD_ID = 'palisade@32473';

/** PARAM-VALUE escaping (RFC 5424 section 6.3.3): `"`, `\` and `]`. */
const sdValue = (s: string) => s.replace(/[\\"\]]/g, (c) => `\\${c}`);
/** Header fields are printable US-ASCII without spaces; `-` stands for none. */
const headerField = (s: string, max: number) => s.replace(/[^\x21-\x7e]/g, '_').slice(0, max) || '-';

/** Options of message formatting. */
export interface SyslogFormat {
  facility: number;
  appName: string;
  hostname?: string;
  procId?: string;
}

/** One RFC 5424 message: header, structured data with the alert's rule and entities, then the alert line (UTF-8, BOM). */
export function formatSyslog(a: Alert, f: SyslogFormat): string {
  const pri = f.facility * 8 + SYSLOG_SEVERITY[a.severity];
  const time = a.time && !Number.isNaN(Date.parse(a.time)) ? new Date(a.time).toISOString() : new Date().toISOString();
  const e = a.entities;
  const params: Array<[string, string | undefined]> = [
    ['ruleId', a.ruleId],
    ['slug', a.slug],
    ['severity', a.severity],
    ['user', e.user],
    ['verb', e.verb],
    ['namespace', e.namespace],
    ['resource', e.resource],
    ['name', e.name],
    ['sourceIP', e.sourceIP],
    ['count', String(a.count)],
    ['mitre', [...a.mitre.tactics, ...a.mitre.techniques].join(',')],
  ];
  const sd = `[${SD_ID}${params.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => ` ${k}="${sdValue(v!)}"`).join('')}]`;
  const header = `<${pri}>1 ${time} ${headerField(f.hostname ?? hostname(), 255)} ${headerField(f.appName, 48)} ${headerField(f.procId ?? String(process.pid), 128)} ${headerField(a.ruleId, 32)}`;
  return `${header} ${sd} \uFEFF${alertLine(a)}`;
}

/** Options of the syslog sink. */
export interface SyslogSinkOptions extends SyslogFormat {
  name?: string;
  protocol: 'udp' | 'tcp';
  host: string;
  port: number;
}

/** UDP datagrams larger than this are cut (an IPv4 datagram holds 65,507 bytes of payload). */
const MAX_UDP_BYTES = 65_000;

/**
 * Sends each alert as one RFC 5424 message: over UDP one datagram per message (RFC 5426), over TCP with
 * octet-counting framing (`<length> <message>`, RFC 6587) on one connection, reopened after an error.
 */
export function createSyslogSink(o: SyslogSinkOptions): AlertSink {
  const name = o.name ?? `syslog-${o.protocol}`;
  return o.protocol === 'udp' ? udpSink(name, o) : tcpSink(name, o);
}

function udpSink(name: string, o: SyslogSinkOptions): AlertSink {
  let socket: UdpSocket | undefined;
  return {
    name,
    send(alert: Alert): Promise<void> {
      let buf = Buffer.from(formatSyslog(alert, o));
      if (buf.length > MAX_UDP_BYTES) buf = buf.subarray(0, MAX_UDP_BYTES);
      socket ??= createSocket(o.host.includes(':') ? 'udp6' : 'udp4').on('error', () => undefined);
      const s = socket;
      return new Promise((resolve, reject) =>
        s.send(buf, o.port, o.host, (e) => {
          if (!e) return resolve();
          socket = undefined;
          s.close();
          reject(e);
        }),
      );
    },
    async close(): Promise<void> {
      const s = socket;
      socket = undefined;
      if (s) await new Promise<void>((r) => s.close(() => r()));
    },
  };
}

function tcpSink(name: string, o: SyslogSinkOptions): AlertSink {
  let conn: Promise<Socket> | undefined;
  const drop = (s?: Socket) => {
    conn = undefined;
    s?.destroy();
  };
  const open = (signal: AbortSignal) =>
    new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: o.host, port: o.port });
      const fail = (e: Error) => {
        s.destroy();
        reject(e);
      };
      signal.addEventListener('abort', () => fail(new Error('syslog connect timed out')), { once: true });
      s.once('error', fail);
      s.once('connect', () => {
        s.off('error', fail);
        s.setKeepAlive(true);
        // Later errors and a close by the collector end this connection; the next send reconnects.
        s.on('error', () => drop(s));
        s.on('close', () => {
          if (conn) void conn.then((c) => c === s && drop());
        });
        resolve(s);
      });
    });
  return {
    name,
    async send(alert: Alert, signal: AbortSignal): Promise<void> {
      const msg = Buffer.from(formatSyslog(alert, o));
      const frame = Buffer.concat([Buffer.from(`${msg.length} `), msg]);
      conn ??= open(signal);
      let s: Socket;
      try {
        s = await conn;
      } catch (e) {
        conn = undefined;
        throw e;
      }
      if (s.destroyed || !s.writable) {
        drop(s);
        throw new Error('syslog connection closed');
      }
      await new Promise<void>((resolve, reject) =>
        s.write(frame, (e) => {
          if (!e) return resolve();
          drop(s);
          reject(e);
        }),
      );
    },
    async close(): Promise<void> {
      const c = conn;
      conn = undefined;
      if (c) await c.then(endSocket).catch(() => undefined);
    },
  };
}

/** Ends a connection after its buffered frames are written; a collector that never answers the FIN is cut after a second. */
function endSocket(s: Socket): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve();
    };
    const timer = setTimeout(done, 1000);
    s.once('close', done);
    s.end();
  });
}
