import { join } from 'node:path';
import { Command } from 'commander';
import { parseDuration } from '../../app/alerts.js';
import { PalisadeError } from '../../model/errors.js';
import { EXIT, reportError, type Io } from '../io.js';

interface ServeFlags {
  host: string;
  port?: string;
  dataDir?: string;
  logLevel: string;
  trustProxy?: boolean;
  syncInterval: string;
  watch: boolean;
  config?: string;
  queue?: string;
  inactiveDays: string;
  retentionDays: string;
  demo?: boolean;
}

/** What tests give `serve`: a promise whose settling stops the server (instead of SIGINT/SIGTERM), and where to report the address. */
export interface ServeDeps {
  until?: Promise<unknown>;
  onListening?: (url: string) => void;
}

/** The port: --port, else $PORT, else 8080. */
export function servePort(flag: string | undefined, env: NodeJS.ProcessEnv): number {
  const text = flag ?? env.PORT ?? '8080';
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new PalisadeError('E_USAGE', `--port: "${text}" is not a port number`);
  return port;
}

/** `--sync-interval`: a duration of at least 10 s. */
export function syncInterval(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms < 10_000) throw new PalisadeError('E_USAGE', `--sync-interval: "${text}" is not a duration of at least 10s (e.g. 15m, 1h)`);
  return ms;
}

/** A whole number of days (offboarding periods). */
function wholeDays(flag: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new PalisadeError('E_USAGE', `${flag}: "${text}" is not a whole number of days`);
  return Number(text);
}

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const done = (s: string) => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve(s);
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

/** `palisade serve`: the HTTP API, health, readiness and metrics, on the store of the data directory or DATABASE_URL. */
export function serveCommand(io: Io, setExit: (code: number) => void, deps: ServeDeps = {}): Command {
  return new Command('serve')
    .description('Run the Palisade server: HTTP API (/api/v1, /openapi.json), /healthz, /readyz and /metrics')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (default: $PORT, else 8080)')
    .option('--data-dir <dir>', 'data directory (default: $PALISADE_DATA_DIR, else $XDG_DATA_HOME/palisade or ~/.local/share/palisade)')
    .option('--log-level <level>', 'log level: fatal, error, warn, info, debug, trace', 'info')
    .option('--trust-proxy', 'honour X-Forwarded-For/-Proto from a reverse proxy in front')
    .option('--sync-interval <duration>', 'how often every cluster connector is synced and assessed', '15m')
    .option('--no-watch', 'do not watch the clusters between syncs (by default a change is reassessed 10 s after it settles)')
    .option('-c, --config <file>', 'config file for the audit webhook (default: ./palisade.yaml when present): threatRules.overrides and alerts.sinks')
    .option('--queue <kind>', 'where background jobs run: in-process, or pg-boss (shared by every server on one PostgreSQL; the default with DATABASE_URL)')
    .option('--inactive-days <n>', 'offboarding: days without data or heartbeat after which a connector counts as inactive', '30')
    .option('--retention-days <n>', 'offboarding: days an offboarded connector\'s data is kept before it is purged', '30')
    .option('--demo', 'load the bundled demo environment (a cluster snapshot, an audit log, an image) first: no cluster or network needed; its own data directory (default: palisade-demo under the normal one) and SQLite store')
    .action(async (flags: ServeFlags) => {
      try {
        const port = servePort(flags.port, io.env);
        const intervalMs = syncInterval(flags.syncInterval);
        const inactiveDays = wholeDays('--inactive-days', flags.inactiveDays);
        const retentionDays = wholeDays('--retention-days', flags.retentionDays);
        // Loaded on use: the server and its cluster client are heavy imports that other commands do not need.
        const { buildApp, loggerOptions } = await import('../../api/server.js');
        const { describeStoreLocation, openJobQueue, prepareServer, queueKindOf, resolveDataDir, startAssessment } = await import('../../app/serve.js');
        let env = io.env;
        let dataDir = flags.dataDir;
        let demoLogin: import('../../app/demo.js').DemoLogin | undefined;
        if (flags.demo) {
          const demo = await import('../../app/demo.js');
          dataDir = flags.dataDir ?? join(resolveDataDir(undefined, io.env), demo.DEMO_DATA_FOLDER);
          // The demo keeps to its own folder and SQLite store, so it never mixes with a real server's data.
          env = { ...io.env, DATABASE_URL: undefined };
          demoLogin = demo.demoLogin(dataDir, env);
          if (demoLogin.password) env = { ...env, PALISADE_ADMIN_USER: demoLogin.username, PALISADE_ADMIN_PASSWORD: demoLogin.password };
        }
        const queue = queueKindOf(flags.queue, env);
        const server = await prepareServer({ dataDir, env });
        let demoDbPath: string | undefined;
        if (demoLogin) {
          const login = demoLogin;
          const { applyDemoLogin, loadDemoEnvironment } = await import('../../app/demo.js');
          const summary = await Promise.resolve()
            .then(async () => {
              await applyDemoLogin(server.store, login);
              return loadDemoEnvironment(server, { dataDir: server.dataDir });
            })
            .catch(async (e: unknown) => {
              await server.store.close();
              throw e;
            });
          demoDbPath = summary.dbPath;
          io.stderr(`palisade: demo environment loaded into ${server.dataDir}: cluster "${summary.connectorName}" with ${summary.findings} findings, ${summary.alerts} alerts, ${summary.vulnerabilities} vulnerabilities in running images\n`);
        }
        const { serverAuditOptions, startServerAudit } = await import('../../app/server-audit.js');
        const audit = await Promise.resolve()
          .then(() => startServerAudit(server.store, serverAuditOptions(flags.config, env, (line) => io.stderr(`palisade: ${line}\n`))))
          .catch(async (e: unknown) => {
            await server.store.close();
            throw e;
          });
        const { createImageScanning } = await import('../../app/registry-connector-scheduler.js');
        // The scans log through the server's logger, which exists once the app is built.
        const logTo: { app?: { log: Record<'info' | 'warn', (msg: string) => void> } } = {};
        // The demo's images are matched against the database built from its bundled advisories.
        const logToApp = (level: 'info' | 'warn', msg: string) => logTo.app?.log[level](msg);
        // On pg-boss, image scans and registry syncs are jobs of the same queue as cluster syncs, shared by every
        // server process on the database; in one process they keep a queue of their own beside the syncs'.
        const jobs = queue === 'pg-boss' ? await openJobQueue(queue, env, logToApp) : undefined;
        const images = createImageScanning(server, { log: logToApp, ...(jobs ? { queue: jobs } : {}), ...(demoDbPath ? { dbPath: demoDbPath } : {}) });
        // Offboarding writes its bundles to the data directory and stops connectors in this process's scheduler once it runs.
        let running: { scheduler: import('../../app/offboarding.js').MonitoringControl } | undefined;
        const offboarding = { dataDir: server.dataDir, monitoring: () => (running ? [running.scheduler] : []), inactiveDays, retentionDays };
        const app = await buildApp({ store: server.store, secrets: server.secrets, logger: loggerOptions(flags.logLevel), trustProxy: flags.trustProxy, offboarding, audit: audit.audit, images: images.scans, syncLocks: server.syncLocks });
        logTo.app = app;
        try {
          if (demoLogin) {
            // The demo's login is printed on every start, below.
          } else if (server.createdOwner?.password) {
            io.stderr(
              `palisade: created the first Owner "${server.createdOwner.username}" with this one-time password (it is shown only now):\n\n    ${server.createdOwner.password}\n\n` +
                `Log in and add your own users, or set PALISADE_ADMIN_PASSWORD before the first start.\n`,
            );
          } else if (server.createdOwner) {
            io.stderr(`palisade: created the first Owner "${server.createdOwner.username}" with the password from PALISADE_ADMIN_PASSWORD\n`);
          }
          const address = await app.listen({ host: flags.host, port });
          io.stderr(`palisade: listening on ${address} (store: ${describeStoreLocation(server.dataDir, env)})\n`);
          if (demoLogin) {
            const password = demoLogin.password
              ? `password ${demoLogin.password}\n          (kept in ${demoLogin.file}, readable only by you, so every demo start can show it)`
              : 'the password from PALISADE_ADMIN_PASSWORD';
            io.stderr(`\npalisade: demo ready at ${address}\n          log in as "${demoLogin.username}" with ${password}\n\n`);
          }
          const assessment = await startAssessment(server, { intervalMs, watch: flags.watch, queue, jobs, env, log: (level, msg) => app.log[level](msg) });
          await images.start(assessment.scheduler);
          running = assessment;
          // Offboarded connectors whose retention period is over are purged hourly.
          const { startOffboardingPurges } = await import('../../app/offboarding.js');
          const purges = startOffboardingPurges({ store: server.store, secrets: server.secrets, ...offboarding }, { log: (level, msg) => app.log[level](msg) });
          try {
            deps.onListening?.(address);
            await (deps.until ?? untilSignal());
          } finally {
            await purges.stop();
            await images.stop();
            await assessment.stop();
          }
        } finally {
          await app.close();
          await audit.stop();
          await server.syncLocks.close?.();
          await server.store.close();
        }
        setExit(EXIT.ok);
      } catch (e) {
        setExit(reportError(e, io));
      }
    });
}
