import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, Option } from 'commander';
import pc from 'picocolors';
import { deliverAlerts, sinkConfigs } from '../../app/alert-delivery.js';
import { alertsAtOrAbove, scanAudit, type AuditScanResult } from '../../app/audit.js';
import { loadConfig } from '../../app/config.js';
import type { Alert } from '../../model/audit.js';
import { PalisadeError, formatPosition } from '../../model/errors.js';
import { SEVERITIES, type Severity } from '../../model/severity.js';
import { EXIT, reportError, useColor, type Io } from '../io.js';
import { addLiveAuditCommands } from './audit-live.js';

export const AUDIT_FORMATS = ['table', 'json'] as const;
type AuditFormat = (typeof AUDIT_FORMATS)[number];

interface AuditScanFlags {
  output: AuditFormat;
  outputFile?: string;
  config?: string;
  rulesOverride?: string[];
  rule?: string[];
  failOn?: Severity | 'none';
  dedupeWindow?: number;
  color?: boolean;
  sink?: string[];
}

/** `90s`, `5m`, `1h`, `0` -> milliseconds. */
export function parseWindow(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw new PalisadeError('E_USAGE', `--dedupe-window: "${v}" is not a duration like 30s, 5m or 1h`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit]!);
}

const SEVERITY_COLOR: Record<Severity, (s: string) => string> = { critical: pc.magenta, high: pc.red, medium: pc.yellow, low: pc.cyan, info: pc.dim };

/** One alert per line: time, severity, rule id, rendered output (and the count when merged). */
export function renderAlertsTable(r: AuditScanResult, color: boolean): string {
  const sev = (s: Severity) => (color ? SEVERITY_COLOR[s](s.toUpperCase().padEnd(8)) : s.toUpperCase().padEnd(8));
  const lines = r.alerts.map((a) => {
    const time = (a.time ?? '').replace(/\.\d+Z$/, 'Z');
    const count = a.count > 1 ? ` (x${a.count} until ${(a.lastTime ?? '').replace(/\.\d+Z$/, 'Z')})` : '';
    return `${time.padEnd(20)} ${sev(a.severity)} ${a.ruleId.padEnd(10)} ${a.title}: ${a.output}${count}`;
  });
  const bySeverity = SEVERITIES.map((s) => [s, r.alerts.filter((a) => a.severity === s).length] as const).filter(([, n]) => n > 0);
  const summary = [
    `${r.stats.events} events, ${r.alerts.length} alerts${bySeverity.length ? ` (${bySeverity.map(([s, n]) => `${n} ${s}`).join(', ')})` : ''}`,
    `${r.rules.enabled} of ${r.rules.total} rules enabled`,
    ...(r.errors.length ? [`${r.errors.length} input errors`] : []),
    ...(r.skipped ? [`${r.skipped} non-audit records skipped`] : []),
  ].join('; ');
  return `${lines.length ? `${lines.join('\n')}\n\n` : 'No alerts.\n\n'}${summary}\n`;
}

/** JSON document: alerts, input errors and the scan summary. */
export function renderAlertsJson(r: AuditScanResult): string {
  const summary = {
    events: r.stats.events,
    alerts: r.alerts.length,
    evaluations: r.stats.evaluations,
    rules: r.rules,
    skippedRecords: r.skipped,
    suppressed: r.stats.suppressed,
    evaluationErrors: r.stats.errors,
  };
  return `${JSON.stringify({ summary, alerts: r.alerts satisfies Alert[], errors: r.errors }, null, 2)}\n`;
}

function listFlag(v: string, prev: string[] = []): string[] {
  return [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];
}

/** `palisade audit scan`: threat detection over Kubernetes audit logs (batch). */
export function auditCommand(io: Io, setExit: (code: number) => void, stdin?: NodeJS.ReadableStream): Command {
  const cmd = new Command('audit').description('Detect threats in Kubernetes audit logs (native, GKE, EKS, AKS exports)');
  cmd
    .command('scan')
    .description('Run the threat rules over audit log files, folders or - (stdin); plain JSON lines, EventList, .gz, and managed-cluster exports')
    .argument('<paths...>', 'audit log files or folders, or - for stdin')
    .addOption(new Option('-o, --output <format>', 'output format').choices(AUDIT_FORMATS).default('table'))
    .option('--output-file <file>', 'write the report to a file instead of stdout')
    .option('-c, --config <file>', 'config file (default: ./palisade.yaml when present); threatRules.overrides applies')
    .option('--rules-override <file>', 'override file: lists, macros, rule switches, custom rules (repeatable; applied after the config ones)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--rule <ids>', 'only run these rules (ids or slugs, comma-separated; disabled ones included)', listFlag)
    .addOption(new Option('--fail-on <severity>', 'exit 1 when an alert is at least this severe').choices([...SEVERITIES, 'none']))
    .option('--dedupe-window <duration>', 'merge alerts of the same rule and entities within this window (30s, 5m, 1h; 0 = off)', parseWindow)
    .option('--no-color', 'disable colours')
    .option('--sink <spec>', 'also send the alerts to a sink (repeatable; added to alerts.sinks of the config): webhook=<url>, slack=<url>, syslog=udp://host:514, syslog=tcp://host:601, jsonl=<file>|-', (v: string, prev: string[] = []) => [...prev, v])
    .action(async (paths: string[], flags: AuditScanFlags) => {
      try {
        const loaded = loadConfig(flags.config);
        const sinks = sinkConfigs(loaded.config, flags.sink);
        const base = loaded.file ? dirname(resolve(loaded.file)) : process.cwd();
        const overrides = [...(loaded.config.threatRules?.overrides ?? []).map((f) => resolve(base, f)), ...(flags.rulesOverride ?? [])];
        const result = await scanAudit(paths, { overrides, only: flags.rule, dedupeWindowMs: flags.dedupeWindow ?? 0, ...(stdin ? { stdin } : {}) });
        const text = flags.output === 'json' ? renderAlertsJson(result) : renderAlertsTable(result, useColor(io) && flags.color !== false && !flags.outputFile);
        if (flags.outputFile) writeFileSync(flags.outputFile, text);
        else io.stdout(text);
        if (flags.output !== 'json') {
          for (const e of result.errors.slice(0, 20)) io.stderr(`palisade: ${formatPosition(e)}: ${e.message}\n`);
          if (result.errors.length > 20) io.stderr(`palisade: ... and ${result.errors.length - 20} more input errors (-o json lists them all)\n`);
        }
        if (sinks.length > 0) {
          for (const m of await deliverAlerts(result.alerts, sinks, { env: io.env, stdout: io.stdout })) {
            if (m.dropped > 0 || m.failed > 0) io.stderr(`palisade: sink ${m.name}: ${m.delivered} alerts delivered, ${m.failed} failed, ${m.dropped} dropped${m.lastError ? ` (last error: ${m.lastError})` : ''}\n`);
          }
        }
        const failOn = flags.failOn ?? loaded.config.failOn;
        let code: number = EXIT.ok;
        if (failOn && failOn !== 'none' && alertsAtOrAbove(result.alerts, failOn)) code |= EXIT.policy;
        if (result.errors.length > 0) code |= EXIT.inputErrors;
        setExit(code);
      } catch (e) {
        setExit(reportError(e, io));
      }
    });
  addLiveAuditCommands(cmd, io, setExit);
  return cmd;
}
