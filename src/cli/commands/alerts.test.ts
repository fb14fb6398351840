import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openAuditStore } from '../../app/audit-live.js';
import { AuditPipeline } from '../../app/audit-pipeline.js';
import { loadThreatRules } from '../../app/audit.js';
import type { AuditEvent } from '../../model/audit.js';
import type { Io } from '../io.js';
import { main } from '../main.js';

function capture(env: NodeJS.ProcessEnv): Io & { out: string; err: string } {
  const io = { out: '', err: '', stdout: (s: string) => void (io.out += s), stderr: (s: string) => void (io.err += s), stdoutIsTty: false, stderrIsTty: false, columns: 120, env };
  return io;
}

const exec = (id: string, user: string): AuditEvent => ({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', auditID: id, stage: 'ResponseStarted', verb: 'create', user: { username: user }, sourceIPs: ['192.0.2.200'], objectRef: { resource: 'pods', namespace: 'shop', name: 'cart-0', subresource: 'exec' }, responseStatus: { code: 101 }, stageTimestamp: '2024-05-14T10:00:00Z' });

/** A data folder holding two alerts (alice and bob exec into a pod). */
function seeded(): string {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-alerts-cli-'));
  const store = openAuditStore(dir);
  const p = new AuditPipeline({ store, ruleSet: loadThreatRules() });
  p.ingest({ source: 'test', events: [exec('a1', 'alice'), exec('b1', 'bob')].map((event) => ({ event, body: JSON.stringify(event), format: 'kubernetes' })) });
  store.close();
  return dir;
}

describe('palisade alerts', () => {
  it('lists, shows and moves alerts through their lifecycle, recording who and why', async () => {
    const dir = seeded();
    const run = async (args: string[]) => {
      const io = capture({ PALISADE_DATA_DIR: dir });
      return { code: await main(['node', 'palisade', 'alerts', ...args], io), io };
    };
    const list = await run(['list']);
    expect(list.code).toBe(0);
    expect(list.io.out).toMatch(/^ +1 new +LOW +PAL-RT-010 .*alice opened exec/m);
    const json = JSON.parse((await run(['list', '-o', 'json'])).io.out) as Array<{ id: number; status: string }>;
    expect(json.map((a) => a.status)).toEqual(['new', 'new']);
    const alice = (JSON.parse((await run(['list', '-o', 'json'])).io.out) as Array<{ id: number; entities: { user: string } }>).find((a) => a.entities.user === 'alice')!.id;

    expect((await run(['ack', String(alice), '--by', 'carol'])).io.out).toBe(`alert ${alice} acknowledged by carol\n`);
    const again = await run(['ack', String(alice), '--by', 'carol']);
    expect(again.code).toBe(64);
    expect(again.io.err).toMatch(/is acknowledged \(by carol/);
    expect((await run(['dismiss', String(alice)])).code).toBe(64); // --reason is required
    expect((await run(['resolve', String(alice), '--by', 'dave', '--reason', 'pod rebuilt'])).code).toBe(0);
    expect((await run(['resolve', '999'])).io.err).toMatch(/no alert 999/);

    const show = await run(['show', String(alice)]);
    expect(show.io.out).toMatch(/status: +resolved by dave at .*: pod rebuilt/);
    expect(show.io.out).toMatch(/alert\.acknowledge by carol/);
    expect(show.io.out).toMatch(/evidence: +1 event\(s\) kept/);
    const detail = JSON.parse((await run(['show', String(alice), '-o', 'json'])).io.out) as { events: Array<{ event: { auditID: string } }>; history: unknown[] };
    expect(detail.events.map((e) => e.event.auditID)).toEqual(['a1']);
    expect(detail.history).toHaveLength(2);

    expect((await run(['list'])).io.out).not.toMatch(/alice/);
    expect((await run(['list', '--status', 'resolved'])).io.out).toMatch(/alice/);
    expect((await run(['list', '--status', 'bogus'])).code).toBe(64);
  });

  it('adds, lists and removes suppression rules, reporting expired and stale ones', async () => {
    const dir = seeded();
    const run = async (args: string[]) => {
      const io = capture({});
      return { code: await main(['node', 'palisade', 'alerts', 'suppress', ...args, '--data-dir', dir], io), io };
    };
    expect((await run(['add', '--reason', 'x'])).io.err).toMatch(/at least one of --rule/);
    expect((await run(['add', '--rule', 'PAL-RT-010', '--source-ip', 'nope', '--reason', 'x'])).io.err).toMatch(/not an IP address/);
    expect((await run(['add', '--rule', 'PAL-RT-010', '--expires', '2001-01-01', '--reason', 'x'])).io.err).toMatch(/already past/);
    const added = await run(['add', '--rule', 'PAL-RT-010', '--user', 'ci-*', '--source-ip', '10.0.0.0/8', '--reason', 'CI smoke tests', '--owner', 'platform', '--expires', '30d', '--by', 'alice']);
    expect(added.code).toBe(0);
    expect(added.io.out).toMatch(/^suppression 1 added: rule=PAL-RT-010 user=ci-\* source-ip=10.0.0.0\/8 until /);
    const list = await run(['list']);
    expect(list.io.out).toMatch(/^ +1 active +x0 .* platform +rule=PAL-RT-010 user=ci-\* source-ip=10.0.0.0\/8: CI smoke tests/m);
    // Unmatched since it was added: stale when the period is short enough.
    const stale = await run(['list', '--stale-after', '0s', '-o', 'json']);
    expect((JSON.parse(stale.io.out) as Array<{ state: string }>)[0]!.state).toBe('stale');
    const staleTable = await run(['list', '--stale-after', '0s']);
    expect(staleTable.io.err).toMatch(/suppression 1 .* has matched nothing since it was added/);
    expect((await run(['remove', '1', '--reason', 'moved', '--by', 'bob'])).io.out).toBe('suppression 1 removed by bob\n');
    expect((await run(['remove', '1'])).code).toBe(64);
    expect((await run(['list'])).io.out).toBe('No suppression rules.\n');
    expect((JSON.parse((await run(['list', '--all', '-o', 'json'])).io.out) as Array<{ state: string; removedBy: string }>)[0]).toMatchObject({ state: 'removed', removedBy: 'bob' });
  });
});
