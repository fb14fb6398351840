import { Command, Option } from 'commander';
import type { ConnectorActivitySummary, OffboardingPlan, OffboardingReport } from '../../app/offboarding.js';
import { PalisadeError } from '../../model/errors.js';
import { API_EXIT, ApiError, apiAction, apiOptionsFrom, apiRequest, serverOptions, withQuery, type ApiOptions } from '../api-client.js';
import type { Io } from '../io.js';

interface OffboardFlags {
  plan?: boolean;
  execute?: boolean;
  report?: boolean;
  purge?: boolean;
  listInactive?: boolean;
  reason?: string;
  purgeNow?: boolean;
  retentionDays?: string;
  force?: boolean;
  bundleDir?: string;
  days?: string;
  output: 'table' | 'json';
  server?: string;
  token?: string;
}

function days(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new PalisadeError('E_USAGE', `${flag}: "${text}" is not a whole number of days`);
  return Number(text);
}

/** The id of a connector given by id or name; an offboarded one that was purged is found among the offboardings. */
async function resolveConnector(api: ApiOptions, given: string): Promise<string> {
  const { items } = await apiRequest<{ items: Array<{ id: string; name: string }> }>(api, 'GET', '/api/v1/connectors');
  const c = items.find((x) => x.id === given) ?? items.find((x) => x.name === given);
  if (c) return c.id;
  const gone = await apiRequest<{ items: Array<{ connector: { id: string; name: string } }> }>(api, 'GET', '/api/v1/offboarding');
  const o = gone.items.find((x) => x.connector.id === given) ?? gone.items.find((x) => x.connector.name === given);
  if (o) return o.connector.id;
  throw new ApiError(`no connector "${given}" on the server (palisade offboard --list-inactive lists candidates)`, 404, undefined, API_EXIT.notFound);
}

function printInactive(io: Io, thresholdDays: number, items: ConnectorActivitySummary[]): void {
  if (items.length === 0) {
    io.stdout(`No connector has been without data or heartbeat for ${thresholdDays} days.\n`);
    return;
  }
  const rows = items.map((s) => `${s.connector.name.padEnd(24)} ${s.connector.kind.padEnd(9)} ${String(s.idleDays).padStart(5)}  ${s.lastActivityAt ?? 'never'}`);
  io.stdout([`Connectors without data or heartbeat for ${thresholdDays} days or more:`, `${'NAME'.padEnd(24)} ${'KIND'.padEnd(9)} ${'IDLE'.padStart(5)}  LAST ACTIVITY`, ...rows].join('\n') + '\n');
}

function printAccess(io: Io, a: OffboardingPlan['accessRemoval']): void {
  if (a.commands.length) io.stdout(a.commands.map((c) => `  $ ${c}`).join('\n') + '\n');
  if (a.yaml) io.stdout(`  or: kubectl delete --ignore-not-found -f - <<'EOF'\n${a.yaml.trimEnd().replace(/^/gm, '  ')}\n  EOF\n`);
  for (const n of a.notes) io.stdout(`  note: ${n}\n`);
}

function printPlan(io: Io, p: OffboardingPlan): void {
  const d = p.dependencies;
  const ids = (l: { ids: string[]; truncated?: boolean }) => (l.ids.length ? `  ${l.ids.join(', ')}${l.truncated ? ', ...' : ''}` : '');
  const lines = [
    `Offboarding plan for connector ${p.connector.name} (${p.connector.kind}, ${p.connector.id})`,
    `Identify: ${p.identify.inactive ? 'inactive' : 'ACTIVE'}: last data or heartbeat ${p.identify.lastActivityAt ?? 'never'} (${p.identify.idleDays} days idle; threshold ${p.identify.thresholdDays})${p.identify.inactive ? '' : '; executing needs --force'}`,
    'Dependencies:',
    `  schedule            ${d.schedule.monitored ? 'monitored' : 'stopped'}: ${d.schedule.note}`,
    `  exemptions          ${d.exemptions.count}${ids(d.exemptions)}`,
    `  alert suppressions  ${d.notificationRules.alertSuppressions.count}${ids(d.notificationRules.alertSuppressions)}`,
    `  alert sinks         ${d.notificationRules.sinks}`,
    `  alerts              ${d.alerts.count} (${d.alerts.open} open)`,
    `  ingest tokens       ${d.ingestTokens.count} (${d.ingestTokens.active} active)${ids(d.ingestTokens)}`,
    `  role bindings       ${d.roleBindings.count}${ids(d.roleBindings)}`,
    `  inventory           ${d.assets} assets, ${d.relations} relations, ${d.findings} findings, ${d.scores} score points, ${d.auditEvents} audit events`,
    'Changes:',
    ...p.changes.map((c) => `  ${String(['identify', 'review', 'plan', 'backup', 'stop', 'revoke', 'record', 'validate', 'decommission'].indexOf(c.step) + 1)} ${c.step.padEnd(13)} ${c.action}`),
    `Remove Palisade's access in the ${p.connector.kind} (the report repeats this after executing):`,
  ];
  io.stdout(lines.join('\n') + '\n');
  printAccess(io, p.accessRemoval);
}

function printReport(io: Io, r: OffboardingReport): void {
  const lines = [
    `Offboarding of ${r.connector.name} (${r.connector.kind}, ${r.connector.id}): ${r.state}${r.complete ? '' : ' (not finished)'}`,
    `  reason: ${r.reason}; asked by ${r.requestedBy} at ${r.startedAt}`,
    ...(r.offboardedAt ? [`  offboarded by ${r.offboardedBy} at ${r.offboardedAt}; ${r.purgedAt ? `data purged at ${r.purgedAt}` : `data purged after ${r.purgeAfter}`}`] : []),
    'Steps:',
    ...r.steps.map((s) => `  ${s.number} ${s.step.padEnd(13)} ${s.status.padEnd(9)} ${s.at ?? ''}${s.error ? `  ${s.error}` : ''}`),
  ];
  if (r.bundle) lines.push(`Bundle: ${r.bundle.dir} (${r.bundle.rows} rows, ${r.bundle.files.length} files; verify with: sha256sum -c SHA256SUMS)`);
  if (r.validation) lines.push(`Validation: ${r.validation.ok ? 'passed' : 'FAILED'}`, ...r.validation.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`));
  if (r.purge) lines.push(`Purge: ${Object.entries(r.purge.removed).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ') || 'nothing'} removed, verified`);
  io.stdout(lines.join('\n') + '\n');
  if (r.accessRemoval) {
    io.stdout(`Remove Palisade's access in the ${r.connector.kind}:\n`);
    printAccess(io, r.accessRemoval);
  }
}

/**
 * `palisade offboard <connector> --plan|--execute|--report|--purge` and `palisade offboard --list-inactive`:
 * the offboarding workflow of a Palisade server, through its API (an Owner's token).
 */
export function offboardCommand(io: Io, setExit: (code: number) => void): Command {
  const cmd = new Command('offboard')
    .description('Offboard a connector through a Palisade server: plan (dry run), execute or resume the nine steps, report, purge')
    .argument('[connector]', 'connector name or id')
    .option('--plan', 'show everything that would change (dry run; nothing changes)')
    .option('--execute', 'run the offboarding, or resume it where it stopped')
    .option('--report', 'show the report of its offboarding')
    .option('--purge', 'purge the data of an offboarded connector now, before its retention period ends')
    .option('--list-inactive', 'list connectors without data or heartbeat for --days')
    .option('--reason <text>', 'why (required to start an offboarding; kept with the record)')
    .option('--purge-now', 'with --execute: purge the data at the end instead of after the retention period')
    .option('--retention-days <n>', 'days before the purge (default: the server\'s, 30)')
    .option('--force', 'with --execute: offboard a connector that is not inactive')
    .option('--bundle-dir <path>', 'absolute path of a new folder on the server for the export bundle')
    .option('--days <n>', 'with --list-inactive: the inactivity period (default: the server\'s, 30)')
    .addOption(new Option('-o, --output <format>', 'table or json').choices(['table', 'json']).default('table'));
  for (const o of serverOptions()) cmd.addOption(o);
  return cmd.action(
    apiAction(io, setExit, async (given: string | undefined, flags: OffboardFlags) => {
      const modes = (['plan', 'execute', 'report', 'purge', 'listInactive'] as const).filter((m) => flags[m]);
      if (modes.length !== 1) throw new PalisadeError('E_USAGE', 'give one of --plan, --execute, --report, --purge or --list-inactive');
      const api = apiOptionsFrom(flags, io.env);
      const json = (v: unknown) => io.stdout(`${JSON.stringify(v, null, 2)}\n`);
      const retentionDays = days('--retention-days', flags.retentionDays);
      if (flags.listInactive) {
        const r = await apiRequest<{ days: number; items: ConnectorActivitySummary[] }>(api, 'GET', withQuery('/api/v1/offboarding/inactive', { days: days('--days', flags.days) }));
        if (flags.output === 'json') json(r);
        else printInactive(io, r.days, r.items);
        return;
      }
      if (!given) throw new PalisadeError('E_USAGE', 'name the connector to offboard (its name or id)');
      const id = await resolveConnector(api, given);
      const base = `/api/v1/connectors/${encodeURIComponent(id)}/offboarding`;
      if (flags.plan) {
        const p = await apiRequest<OffboardingPlan>(api, 'GET', withQuery(`${base}/plan`, { purgeNow: flags.purgeNow ? 'true' : undefined, retentionDays }));
        if (flags.output === 'json') return json(p);
        printPlan(io, p);
        io.stdout(`Nothing was changed (dry run). To execute: palisade offboard ${given} --execute --reason "..."${p.identify.inactive ? '' : ' --force'}\n`);
        return;
      }
      let report: OffboardingReport;
      try {
        if (flags.report) report = await apiRequest<OffboardingReport>(api, 'GET', base);
        else if (flags.purge) report = await apiRequest<OffboardingReport>(api, 'POST', `${base}/purge`);
        else {
          const body = { reason: flags.reason ?? '', purgeNow: flags.purgeNow, retentionDays, force: flags.force, bundleDir: flags.bundleDir };
          const existing = await apiRequest<OffboardingReport>(api, 'GET', base).catch((e: unknown) => (e instanceof ApiError && e.status === 404 ? undefined : Promise.reject(e)));
          if (!existing && !flags.reason) throw new PalisadeError('E_USAGE', '--execute: give --reason (kept with the record of who offboarded it, when and why)');
          report = await apiRequest<OffboardingReport>(api, 'POST', base, { ...body, reason: body.reason || existing?.reason || 'resume' });
        }
      } catch (e) {
        // A step that failed: the report says which and why, and what is already done.
        if (e instanceof ApiError && (e.body as { error?: string } | undefined)?.error === 'offboarding_step_failed') {
          io.stderr(`palisade: ${e.message}\n`);
          const r = await apiRequest<OffboardingReport>(api, 'GET', base);
          if (flags.output === 'json') json(r);
          else printReport(io, r);
          return e.exitCode;
        }
        throw e;
      }
      if (flags.output === 'json') json(report);
      else printReport(io, report);
      return report.complete || flags.report ? undefined : API_EXIT.dataError;
    }),
  );
}
