/**
 * The audit webhook of `palisade serve` over loopback: EventList batches of 400 generated events (the realistic
 * mix of `bench/audit.bench.ts`: controller reads and writes with some attacks) posted one after another over one
 * keep-alive HTTP connection with an ingest token, each answered only after its events are committed to the
 * server's store and run through every rule. One line per store (SQLite file; PostgreSQL when installed): events
 * per second, and the ratio to JSON.parse alone over the same bodies in the same run.
 *
 *   npx tsx bench/serve-ingest.bench.ts [batches]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/api/server.js';
import { loadThreatRules } from '../src/app/audit.js';
import { createIngestTokenFor } from '../src/app/ingest-tokens.js';
import { ServerAudit } from '../src/app/server-audit.js';
import { openPostgresStore } from '../src/storage/postgres/index.js';
import { openSqliteStore } from '../src/storage/sqlite/index.js';
import type { Store } from '../src/storage/store.js';
import { postgresUnavailable, startPostgres } from '../test/helpers/postgres.js';
import { auditLogLines } from './audit.bench.js';

const BATCHES = Number(process.argv[2] ?? 50);
const BATCH = 400;

const lines = [...auditLogLines(BATCHES * BATCH, 11)];
const bodies = Array.from({ length: BATCHES }, (_, b) => `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[${lines.slice(b * BATCH, (b + 1) * BATCH).join(',')}]}`);

function post(port: number, path: string, token: string, agent: Agent, body: string): Promise<number> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => ok(res.statusCode ?? 0));
    });
    req.on('error', fail);
    req.end(body);
  });
}

async function run(name: string, store: Store, parseMs: number): Promise<void> {
  await store.migrate();
  const audit = new ServerAudit({ store, ruleSet: loadThreatRules() });
  const app = await buildApp({ store, audit });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const port = Number(new URL(address).port);
  const connector = await store.createConnector({ kind: 'cluster', name: 'bench', config: {}, secrets: null });
  const { token } = (await createIngestTokenFor(store, { name: 'system', role: 'owner' }, { connectorId: connector.id, name: 'bench' }))!;
  const path = `/api/v1/audit/connectors/${connector.id}/events`;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const t = process.hrtime.bigint();
    for (const body of bodies) {
      const status = await post(port, path, token, agent, body);
      if (status !== 200) throw new Error(`${name}: answered ${status}`);
    }
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    const events = BATCHES * BATCH;
    console.log(`server audit webhook ${name}: ${events} events in ${BATCHES} batches, ${Math.round(events / (ms / 1000))} events/s, ${(ms / parseMs).toFixed(1)}x JSON.parse, ${audit.stats.processed} processed, ${audit.stats.alertsCreated} alerts raised, ${audit.stats.alertsMerged} merged`);
  } finally {
    agent.destroy();
    await app.close();
    await store.close();
  }
}

async function main(): Promise<void> {
  const t = process.hrtime.bigint();
  for (const b of bodies) JSON.parse(b);
  const parseMs = Number(process.hrtime.bigint() - t) / 1e6;
  const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-server-audit-'));
  try {
    await run('sqlite', openSqliteStore(join(dir, 'palisade.db')), parseMs);
    const skip = postgresUnavailable();
    if (skip) console.log(`server audit webhook postgres: skipped (${skip})`);
    else {
      const pg = await startPostgres();
      try {
        await run('postgres', openPostgresStore(await pg.createDatabase('bench')), parseMs);
      } finally {
        await pg.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
