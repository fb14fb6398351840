import { Command, Option } from 'commander';
import {
  actorOf,
  addSuppression,
  alertDetail,
  changeAlertStatus,
  DEFAULT_STALE_AFTER_MS,
  describeSuppression,
  listAlerts,
  parseDuration,
  parseExpiry,
  removeSuppression,
  suppressionReport,
  suppressionState,
} from '../../app/alerts.js';
import { openAuditStore, resolveDataDir } from '../../app/audit-live.js';
import { PalisadeError } from '../../model/errors.js';
import { SEVERITIES, type Severity } from '../../model/severity.js';
import { ALERT_STATUSES, type AlertStatus, type AuditStore, type StoredAlert } from '../../storage/audit/index.js';
import { EXIT, reportError, type Io } from '../io.js';

const FORMATS = ['table', 'json'] as const;
type Format = (typeof FORMATS)[number];

interface Common {
  dataDir?: string;
  output?: Format;
  by?: string;
  reason?: string;
}

const short = (t: string | undefined): string => (t ?? '').replace(/\.\d+Z$/, 'Z');

function csv(v: string, prev: string[] = []): string[] {
  return [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];
}

function ids(args: string[]): number[] {
  return args.map((a) => {
    const n = Number(a);
    if (!Number.isInteger(n) || n <= 0) throw new PalisadeError('E_USAGE', `"${a}" is not an alert id`);
    return n;
  });
}

/** One alert per line: id, status, severity, rule, last seen, count, output. */
export function renderAlertTable(alerts: readonly StoredAlert[]): string {
  if (alerts.length === 0) return 'No alerts.\n';
  const lines = alerts.map((a) =>
    [String(a.id).padStart(5), a.status.padEnd(12), a.severity.toUpperCase().padEnd(8), a.ruleId.padEnd(10), short(a.lastSeen).padEnd(20), `x${a.count}`.padEnd(6), `${a.title}: ${a.output}`].join(' '),
  );
  return `${['   ID', 'STATUS      ', 'SEVERITY', 'RULE      ', 'LAST SEEN           ', 'COUNT ', 'ALERT'].join(' ')}\n${lines.join('\n')}\n`;
}

function withStore<T>(io: Io, flags: Common, fn: (store: AuditStore) => T): T {
  const store = openAuditStore(resolveDataDir(flags.dataDir, io.env));
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

function common(cmd: Command, output = true): Command {
  cmd.option('--data-dir <dir>', 'data folder (default: $PALISADE_DATA_DIR, else $XDG_DATA_HOME/palisade, else ~/.local/share/palisade)');
  if (output) cmd.addOption(new Option('-o, --output <format>', 'output format').choices(FORMATS).default('table'));
  return cmd;
}

/** `palisade alerts`: stored alerts of the live audit inputs, their lifecycle and suppression rules. */
export function alertsCommand(io: Io, setExit: (code: number) => void): Command {
  const run =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A): void => {
      try {
        fn(...args);
        setExit(EXIT.ok);
      } catch (e) {
        setExit(reportError(e, io));
      }
    };
  const cmd = new Command('alerts').description('Stored alerts of `audit serve` and `audit watch`: list, show, acknowledge, resolve, dismiss, suppress');

  common(cmd.command('list').description('List alerts, most recently seen first'))
    .option('--status <statuses>', `statuses to show, comma-separated (${ALERT_STATUSES.join(', ')}, all)`, csv)
    .option('--severity <severities>', `severities to show, comma-separated (${SEVERITIES.join(', ')})`, csv)
    .option('--rule <id>', 'only this rule (id or slug)')
    .option('--since <when>', 'seen within this duration (24h, 7d) or since this date')
    .option('--limit <n>', 'at most this many (default 100)', (v: string) => Number(v))
    .action(
      run((flags: Common & { status?: string[]; severity?: string[]; rule?: string; since?: string; limit?: number }) => {
        const statuses = flags.status?.includes('all') ? [] : ((flags.status ?? ['new', 'acknowledged']) as AlertStatus[]);
        for (const s of statuses) if (!ALERT_STATUSES.includes(s)) throw new PalisadeError('E_USAGE', `--status: unknown status "${s}"`);
        for (const s of flags.severity ?? []) if (!SEVERITIES.includes(s as Severity)) throw new PalisadeError('E_USAGE', `--severity: unknown severity "${s}"`);
        let since: string | undefined;
        if (flags.since) {
          const d = parseDuration(flags.since);
          const t = d !== undefined ? Date.now() - d : Date.parse(flags.since);
          if (Number.isNaN(t)) throw new PalisadeError('E_USAGE', `--since: "${flags.since}" is neither a duration nor a date`);
          since = new Date(t).toISOString();
        }
        if (flags.limit !== undefined && !(flags.limit > 0)) throw new PalisadeError('E_USAGE', '--limit must be a positive number');
        const alerts = withStore(io, flags, (s) =>
          listAlerts(s, { statuses, ...(flags.severity ? { severities: flags.severity as Severity[] } : {}), ...(flags.rule ? { ruleId: flags.rule } : {}), ...(since ? { since } : {}), ...(flags.limit ? { limit: flags.limit } : {}) }),
        );
        io.stdout(flags.output === 'json' ? `${JSON.stringify(alerts, null, 2)}\n` : renderAlertTable(alerts));
      }),
    );

  common(cmd.command('show').description('Show one alert: entities, evidence events, history').argument('<id>', 'alert id')).action(
    run((id: string, flags: Common) => {
      const d = withStore(io, flags, (s) => alertDetail(s, ids([id])[0]!));
      if (flags.output === 'json') return io.stdout(`${JSON.stringify(d, null, 2)}\n`);
      const a = d.alert;
      const lines = [
        `Alert ${a.id}: ${a.title} (${a.ruleId}, ${a.slug})`,
        `  status:     ${a.status}${a.statusBy ? ` by ${a.statusBy} at ${short(a.statusAt)}${a.statusReason ? `: ${a.statusReason}` : ''}` : ''}`,
        `  severity:   ${a.severity}`,
        `  output:     ${a.output}`,
        `  seen:       ${short(a.firstSeen)} .. ${short(a.lastSeen)} (${a.count} events)`,
        `  entities:   ${Object.entries(a.entities).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join(' ')}`,
        `  mitre:      ${[...a.mitre.tactics, ...a.mitre.techniques].join(', ')}`,
        `  audit IDs:  ${a.auditIds.join(', ') || '<none>'}`,
        `  source:     ${a.source.file}`,
        ...(Object.keys(a.equivalents).length ? [`  equivalents: ${Object.entries(a.equivalents).map(([k, v]) => `${k}: ${v.join(', ')}`).join('; ')}`] : []),
        `  evidence:   ${d.events.length} event(s) kept${d.events.length ? '' : ' (journal pruned)'}`,
        ...d.events.map((e) => `    #${e.seq} ${short(e.receivedAt)} ${e.source}`),
        `  history:`,
        `    ${short(a.createdAt)} created`,
        ...d.history.map((h) => `    ${short(h.at)} ${h.action} by ${h.actor}${h.reason ? `: ${h.reason}` : ''}`),
      ];
      io.stdout(`${lines.join('\n')}\n`);
    }),
  );

  const lifecycle = (name: string, to: 'acknowledged' | 'resolved' | 'dismissed', description: string, reasonRequired: boolean): void => {
    const sub = common(cmd.command(name).description(description).argument('<ids...>', 'alert ids'), false)
      .option('--by <name>', 'who is acting (default: the operating-system user)');
    if (reasonRequired) sub.requiredOption('--reason <text>', 'why (kept in the audit trail)');
    else sub.option('--reason <text>', 'why (kept in the audit trail)');
    sub.action(
      run((args: string[], flags: Common) => {
        const changed = withStore(io, flags, (s) => changeAlertStatus(s, ids(args), to, actorOf(flags.by, io.env), flags.reason));
        for (const a of changed) io.stdout(`alert ${a.id} ${to} by ${a.statusBy}\n`);
      }),
    );
  };
  lifecycle('ack', 'acknowledged', 'Acknowledge new alerts (someone is looking)', false);
  lifecycle('resolve', 'resolved', 'Resolve alerts (handled)', false);
  lifecycle('dismiss', 'dismissed', 'Dismiss alerts (false positive or accepted); a reason is required', true);

  const sup = new Command('suppress').description('Suppression rules: alerts matching one are not raised (each match is counted)');
  common(sup.command('add').description('Add a suppression rule (audited)'), true)
    .option('--rule <id>', 'rule id or slug')
    .option('--user <name>', 'username (* matches any characters)')
    .option('--namespace <ns>', 'namespace (* matches any characters)')
    .option('--resource <resource>', 'resource, or resource/subresource (pods/exec)')
    .option('--source-ip <ip>', 'source IP address or CIDR range')
    .requiredOption('--reason <text>', 'why these alerts are expected')
    .option('--owner <name>', 'who answers for it (default: --by)')
    .option('--expires <when>', 'expiry: a duration (30d, 12h) or a date (2025-01-31)')
    .option('--by <name>', 'who is acting (default: the operating-system user)')
    .action(
      run((flags: Common & { rule?: string; user?: string; namespace?: string; resource?: string; sourceIp?: string; owner?: string; expires?: string }) => {
        const actor = actorOf(flags.by, io.env);
        const s = withStore(io, flags, (store) =>
          addSuppression(
            store,
            {
              ...(flags.rule ? { rule: flags.rule } : {}),
              ...(flags.user ? { user: flags.user } : {}),
              ...(flags.namespace ? { namespace: flags.namespace } : {}),
              ...(flags.resource ? { resource: flags.resource } : {}),
              ...(flags.sourceIp ? { sourceIp: flags.sourceIp } : {}),
              reason: flags.reason ?? '',
              owner: flags.owner ?? actor,
              ...(flags.expires ? { expiresAt: parseExpiry(flags.expires, new Date()) } : {}),
            },
            actor,
          ),
        );
        io.stdout(flags.output === 'json' ? `${JSON.stringify(s, null, 2)}\n` : `suppression ${s.id} added: ${describeSuppression(s)}${s.expiresAt ? ` until ${s.expiresAt}` : ' (no expiry)'}\n`);
      }),
    );
  common(sup.command('list').description('List suppression rules with their state (active, expired, stale) and matches'), true)
    .option('--all', 'include removed ones')
    .option('--stale-after <duration>', 'report rules unmatched for this long (default 30d)')
    .action(
      run((flags: Common & { all?: boolean; staleAfter?: string }) => {
        const staleAfter = flags.staleAfter ? parseDuration(flags.staleAfter) : DEFAULT_STALE_AFTER_MS;
        if (staleAfter === undefined) throw new PalisadeError('E_USAGE', `--stale-after: "${flags.staleAfter}" is not a duration like 30d`);
        const now = new Date();
        const list = withStore(io, flags, (s) => s.listSuppressions({ includeRemoved: flags.all === true }));
        const rows = list.map((s) => ({ ...s, state: suppressionState(s, now, staleAfter) }));
        if (flags.output === 'json') return io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
        if (rows.length === 0) return io.stdout('No suppression rules.\n');
        const out = rows.map((s) =>
          [String(s.id).padStart(4), s.state.padEnd(8), `x${s.matchCount}`.padEnd(7), short(s.expiresAt ?? 'never').padEnd(20), s.owner.padEnd(12), `${describeSuppression(s)}: ${s.reason}`].join(' '),
        );
        io.stdout(`${['  ID', 'STATE   ', 'MATCHES', 'EXPIRES             ', 'OWNER       ', 'MATCHES ON: REASON'].join(' ')}\n${out.join('\n')}\n`);
        for (const line of suppressionReport(list, now, staleAfter).lines) io.stderr(`palisade: ${line}\n`);
      }),
    );
  common(sup.command('remove').description('Remove a suppression rule (kept in the audit trail)').argument('<id>', 'suppression id'), false)
    .option('--reason <text>', 'why')
    .option('--by <name>', 'who is acting (default: the operating-system user)')
    .action(
      run((id: string, flags: Common) => {
        const s = withStore(io, flags, (store) => removeSuppression(store, ids([id])[0]!, actorOf(flags.by, io.env), flags.reason));
        io.stdout(`suppression ${s.id} removed by ${s.removedBy}\n`);
      }),
    );
  for (const c of sup.commands) c.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  cmd.addCommand(sup);
  return cmd;
}
