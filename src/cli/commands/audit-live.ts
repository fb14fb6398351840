import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { sinkConfigs } from '../../app/alert-delivery.js';
import { parseDuration } from '../../app/alerts.js';
import { DEFAULT_ALERT_WINDOW_MS } from '../../app/audit-pipeline.js';
import { resolveDataDir, serveAuditWebhook, watchAuditFile, type LiveHandle, type LiveOptions } from '../../app/audit-live.js';
import { loadConfig } from '../../app/config.js';
import { PalisadeError } from '../../model/errors.js';
import { EXIT, reportError, type Io } from '../io.js';

interface LiveFlags {
  dataDir?: string;
  config?: string;
  rulesOverride?: string[];
  dedupeWindow?: number;
  sink?: string[];
  sync?: 'full' | 'normal';
  retention?: number;
}

interface ServeFlags extends LiveFlags {
  listen: string;
  tlsCert: string;
  tlsKey: string;
  clientCa?: string;
  tokenFile?: string;
  maxEventBytes?: number;
  maxBatchBytes?: number;
}

interface WatchFlags extends LiveFlags {
  pollInterval?: number;
  fromEnd?: boolean;
}

/** Resolves until SIGINT or SIGTERM (or `signal` for tests). */
function untilSignal(): Promise<string> {
  return new Promise((resolveSignal) => {
    const on = (s: string) => () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolveSignal(s);
    };
    const onInt = on('SIGINT');
    const onTerm = on('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });
}

function liveOptions(io: Io, flags: LiveFlags): LiveOptions {
  const loaded = loadConfig(flags.config);
  const base = loaded.file ? dirname(resolve(loaded.file)) : process.cwd();
  const overrides = [...(loaded.config.threatRules?.overrides ?? []).map((f) => resolve(base, f)), ...(flags.rulesOverride ?? [])];
  return {
    dataDir: resolveDataDir(flags.dataDir, io.env),
    overrides,
    windowMs: flags.dedupeWindow ?? DEFAULT_ALERT_WINDOW_MS,
    sinks: sinkConfigs(loaded.config, flags.sink),
    env: io.env,
    stdout: io.stdout,
    log: (line) => io.stderr(`palisade: ${line}\n`),
    ...(flags.sync ? { synchronous: flags.sync } : {}),
    ...(flags.retention !== undefined ? { retentionMs: flags.retention } : {}),
  };
}

function addLiveFlags(c: Command): Command {
  return c
    .option('--data-dir <dir>', 'data folder of the alert store (default: $PALISADE_DATA_DIR, else $XDG_DATA_HOME/palisade, else ~/.local/share/palisade)')
    .option('-c, --config <file>', 'config file (default: ./palisade.yaml when present): threatRules.overrides and alerts.sinks apply')
    .option('--rules-override <file>', 'override file (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--dedupe-window <duration>', 'merge occurrences of the same rule and entities within this window (default 1h)', (v: string) => {
      const ms = parseDuration(v);
      if (ms === undefined) throw new PalisadeError('E_USAGE', `--dedupe-window: "${v}" is not a duration like 30s, 15m or 1h`);
      return ms;
    })
    .option('--sink <spec>', 'send new alerts to a sink (repeatable): webhook=<url>, slack=<url>, syslog=udp://host:514, syslog=tcp://host:601, jsonl=<file>|-', (v: string, prev: string[] = []) => [...prev, v])
    .option('--retention <duration>', 'delete journaled events older than this that no alert keeps as evidence (default 7d; 0s keeps all)', (v: string) => {
      const ms = parseDuration(v);
      if (ms === undefined) throw new PalisadeError('E_USAGE', `--retention: "${v}" is not a duration like 7d`);
      return ms;
    })
    .addOption(new Option('--sync <mode>', 'SQLite synchronous mode: full (an acknowledged batch survives power loss) or normal (survives a killed process only)').choices(['full', 'normal']).default('full'));
}

async function runUntilSignal(io: Io, handle: LiveHandle, summary: () => string): Promise<void> {
  const signal = await untilSignal();
  io.stderr(`palisade: ${signal}: stopping\n`);
  await handle.stop();
  io.stderr(`palisade: ${summary()}\n`);
}

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new PalisadeError('E_USAGE', `${name}: "${v}" is not a positive integer`);
    return n;
  };
}

/** Adds `audit serve` (webhook receiver) and `audit watch` (file follow) to the `audit` command. */
export function addLiveAuditCommands(cmd: Command, io: Io, setExit: (code: number) => void): void {
  addLiveFlags(
    cmd
      .command('serve')
      .description('Receive audit events from kube-apiserver (--audit-webhook-config-file) over HTTPS, store them and raise alerts')
      .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8443')
      .requiredOption('--tls-cert <file>', 'server certificate (PEM)')
      .requiredOption('--tls-key <file>', 'server private key (PEM)')
      .option('--client-ca <file>', 'CA bundle of accepted client certificates')
      .option('--token-file <file>', 'accepted bearer tokens, one per line')
      .option('--max-event-bytes <n>', 'largest event accepted (default 262144)', positiveInt('--max-event-bytes'))
      .option('--max-batch-bytes <n>', 'largest request body accepted (default 33554432)', positiveInt('--max-batch-bytes')),
  ).action(async (flags: ServeFlags) => {
    try {
      const m = /^(.*):(\d+)$/.exec(flags.listen);
      if (!m) throw new PalisadeError('E_USAGE', `--listen: "${flags.listen}" is not host:port`);
      const read = (f: string, what: string): string => {
        try {
          return readFileSync(f, 'utf8');
        } catch (e) {
          throw new PalisadeError('E_USAGE', `${what}: cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
      };
      const tokens = flags.tokenFile ? read(flags.tokenFile, '--token-file').split(/\r?\n/).map((t) => t.trim()).filter((t) => t !== '' && !t.startsWith('#')) : undefined;
      if (!flags.clientCa && (!tokens || tokens.length === 0)) throw new PalisadeError('E_USAGE', 'give --client-ca, --token-file (with at least one token), or both: the receiver never runs unauthenticated');
      const handle = await serveAuditWebhook({
        ...liveOptions(io, flags),
        host: m[1]!.replace(/^\[(.*)\]$/, '$1'),
        port: Number(m[2]),
        cert: read(flags.tlsCert, '--tls-cert'),
        key: read(flags.tlsKey, '--tls-key'),
        ...(flags.clientCa ? { clientCa: read(flags.clientCa, '--client-ca') } : {}),
        ...(tokens ? { tokens } : {}),
        ...(flags.maxEventBytes ? { maxEventBytes: flags.maxEventBytes } : {}),
        ...(flags.maxBatchBytes ? { maxBatchBytes: flags.maxBatchBytes } : {}),
      });
      io.stderr(`palisade: audit webhook listening on https://${m[1]}:${handle.port} (store ${handle.store.path})\n`);
      await runUntilSignal(io, handle, () => {
        const p = handle.pipeline.stats;
        const refused = Object.entries(handle.webhook.rejected).map(([k, v]) => `${v} ${k}`).join(', ');
        return `${handle.webhook.batches} batches, ${p.accepted} events stored (${p.duplicates} duplicates), ${p.alertsCreated} new alerts, ${p.alertsMerged} merged, ${p.suppressed} suppressed${refused ? `; refused: ${refused}` : ''}`;
      });
      setExit(EXIT.ok);
    } catch (e) {
      setExit(reportError(e, io));
    }
  });

  addLiveFlags(
    cmd
      .command('watch')
      .description('Follow an audit log file (JSON lines) through rotation, store its events and raise alerts; resumes where it stopped')
      .argument('<file>', 'audit log file')
      .option('--poll-interval <ms>', 'how often to look for new lines (default 250)', positiveInt('--poll-interval'))
      .option('--from-end', 'on the first run, start at the end of the file instead of its beginning'),
  ).action(async (file: string, flags: WatchFlags) => {
    try {
      const handle = watchAuditFile({ ...liveOptions(io, flags), file: resolve(file), ...(flags.pollInterval ? { pollMs: flags.pollInterval } : {}), ...(flags.fromEnd ? { fromEnd: true } : {}) });
      io.stderr(`palisade: following ${resolve(file)} (store ${handle.store.path})\n`);
      const stopped = handle.follower.done.then(
        () => 'done',
        (e: unknown) => Promise.reject(e),
      );
      await Promise.race([runUntilSignal(io, handle, () => {
        const p = handle.pipeline.stats;
        const refused = Object.entries(handle.rejected).map(([k, v]) => `${v} ${k}`).join(', ');
        return `${p.accepted} events stored (${p.duplicates} duplicates), ${p.alertsCreated} new alerts, ${p.alertsMerged} merged, ${p.suppressed} suppressed${refused ? `; refused: ${refused}` : ''}`;
      }), stopped]);
      setExit(EXIT.ok);
    } catch (e) {
      setExit(reportError(e, io));
    }
  });
}
