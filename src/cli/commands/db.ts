import { Command, Option } from 'commander';
import { dbStatus, exportDb, importDb, updateVulnDb, type DocumentOutcome, type UpdateProgress, type UpdateResult, type VulnDbStatus, type VulnDbStore } from '../../app/db.js';
import { EXIT, reportError, type Io } from '../io.js';
import { progress } from '../progress.js';

/** What the CLI can be given from outside (tests give an in-memory store and a loopback `fetch`). */
export interface DbDeps {
  vulnDbStore?: VulnDbStore;
  fetch?: typeof globalThis.fetch;
}

/** Entry errors printed per document before the rest are counted. */
const ENTRY_ERRORS_SHOWN = 5;

function mb(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} kB`;
}

/** One progress line on a terminal: `Updating vulnerability database 12/41 osv/npm 35.2 MB`. */
function updateProgress(io: Io): { onProgress: (p: UpdateProgress) => void; done: () => void } {
  const bar = progress(io, 'Updating vulnerability database');
  let index = 0;
  let total = 0;
  let name = '';
  return {
    onProgress(p) {
      switch (p.phase) {
        case 'document':
          index = p.index;
          total = p.total;
          name = `${p.feed}/${p.document}`;
          bar.update(index, total, name);
          break;
        case 'download':
          bar.update(index, total, `${name} ${mb(p.received)}${p.totalBytes ? ` of ${mb(p.totalBytes)}` : ''}`);
          break;
        case 'retry':
          bar.update(index, total, `${name}: ${p.reason}; retrying in ${Math.round(p.delayMs / 100) / 10} s`);
          break;
        case 'import':
          bar.update(index, total, `${name} importing`);
          break;
        case 'done':
          bar.update(index + 1, total, name);
          break;
      }
    },
    done: () => bar.done(),
  };
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** The lines a person reads after `db update`: failures, skipped entries, then one summary line. */
export function renderUpdateSummary(r: UpdateResult): { stderr: string; stdout: string } {
  let err = '';
  const name = (d: DocumentOutcome) => `${d.feed}/${d.document}`;
  for (const d of r.documents) {
    if (d.result === 'failed') err += `palisade: ${name(d)} (${d.location}): ${d.message ?? 'failed'}; its previous rows are kept\n`;
    if (d.entryErrors.length) {
      err += `palisade: warning: ${name(d)}: ${plural(d.entryErrors.length, 'entry', 'entries')} did not validate and ${d.entryErrors.length === 1 ? 'was' : 'were'} left out:\n`;
      for (const e of d.entryErrors.slice(0, ENTRY_ERRORS_SHOWN)) err += `  ${e.entry}: ${e.message}\n`;
      if (d.entryErrors.length > ENTRY_ERRORS_SHOWN) err += `  ... and ${d.entryErrors.length - ENTRY_ERRORS_SHOWN} more\n`;
    }
  }
  const by = (result: DocumentOutcome['result']) => r.documents.filter((d) => d.result === result);
  const imported = by('imported');
  const vulns = imported.reduce((n, d) => n + (d.vulnerabilities ?? 0), 0);
  const rows = imported.reduce((n, d) => n + (d.affected ?? 0), 0);
  const parts = [`${plural(imported.length, 'document')} imported (${plural(vulns, 'vulnerability', 'vulnerabilities')}, ${plural(rows, 'affected-package row')})`];
  if (by('not-modified').length) parts.push(`${by('not-modified').length} not modified`);
  if (by('unchanged').length) parts.push(`${by('unchanged').length} unchanged`);
  if (r.failed) parts.push(`${r.failed} failed`);
  return { stderr: err, stdout: `${r.failed ? 'Partly updated' : 'Updated'} ${r.dbPath}: ${parts.join(', ')}\n` };
}

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, ...v.split(',').map((x) => x.trim()).filter(Boolean)];
}

/** Lays out rows under a header; the columns after `leftColumns` are numbers, aligned right. */
function columns(head: string[], rows: string[][], leftColumns: number): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= leftColumns ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd() + '\n';
  return line(head) + rows.map(line).join('');
}

const utc = (iso: string | undefined) => (iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : 'never');

/**
 * Renders `db status` as text: the file (schema, size, times), one line per data source with its counts,
 * then one line per feed document.
 */
export function renderStatusTable(dbPath: string, s: VulnDbStatus): string {
  let out = `Database: ${dbPath}\n`;
  out += `Schema:   ${s.schemaVersion}${s.fileSize ? `, ${mb(s.fileSize)}` : ''}\n`;
  out += `Updated:  ${utc(s.updatedAt)}\n`;
  if (s.exportedAt) out += `Exported: ${utc(s.exportedAt)}\n`;
  if (s.documents.length === 0) return `${out}No feed documents imported yet: run \`palisade db update\`.\n`;
  const t = s.totals;
  out += `Totals:   ${plural(t.vulnerabilities, 'vulnerability', 'vulnerabilities')}, ${plural(t.affected, 'affected-package row')} from ${plural(t.sources, 'source')} (${plural(t.documents, 'document')})\n`;
  out += '\n' + columns(
    ['SOURCE', 'NAME', 'LAST IMPORT (UTC)', 'DOCS', 'VULNS', 'AFFECTED'],
    s.sources.map((x) => [x.id, x.name, (x.lastImport ?? '').slice(0, 19).replace('T', ' '), String(x.documents), String(x.vulnerabilities), String(x.affected)]),
    3,
  );
  out += '\n' + columns(
    ['SOURCE', 'DOCUMENT', 'IMPORTED (UTC)', 'VULNS', 'AFFECTED'],
    s.documents.map((d) => [d.source, d.documentKey, d.importedAt.slice(0, 19).replace('T', ' '), String(d.vulnerabilities), String(d.affected)]),
    3,
  );
  return out;
}

/** `palisade db`: update, inspect, export and import the vulnerability database. */
export function dbCommand(io: Io, setExit: (code: number) => void, deps: DbDeps = {}): Command {
  const cmd = new Command('db').description('Manage the vulnerability database (advisory feeds)');

  cmd
    .command('update')
    .description('Download the advisory feeds (or read a mirror) and import what changed')
    .option('--source <url|dir>', 'mirror to read instead of the upstream feeds: an http(s) base URL or a local folder holding <feed>/<path>')
    .option('--feed <id...>', 'only these feeds (osv, debian-tracker, alpine-secdb; repeatable or comma-separated)', collect)
    .option('--db <path>', 'vulnerability database (default: ~/.cache/palisade/vuln.db, or under $PALISADE_CACHE_DIR or $XDG_CACHE_HOME)')
    .action(async (flags: { source?: string; feed?: string[]; db?: string }) => {
      try {
        const bar = updateProgress(io);
        let result: UpdateResult;
        try {
          result = await updateVulnDb({ dbPath: flags.db, source: flags.source, feeds: flags.feed, onProgress: bar.onProgress, store: deps.vulnDbStore, fetch: deps.fetch });
        } finally {
          bar.done();
        }
        const text = renderUpdateSummary(result);
        io.stderr(text.stderr);
        io.stdout(text.stdout);
        setExit(result.failed > 0 ? EXIT.inputErrors : EXIT.ok);
      } catch (e) {
        setExit(reportError(e, io));
      }
    });

  cmd
    .command('status')
    .description('Show what the vulnerability database holds and when each feed document was imported')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--db <path>', 'vulnerability database (default: ~/.cache/palisade/vuln.db, or under $PALISADE_CACHE_DIR or $XDG_CACHE_HOME)')
    .action(async (flags: { output: 'table' | 'json'; db?: string }) => {
      try {
        const { dbPath, status } = await dbStatus({ dbPath: flags.db, store: deps.vulnDbStore });
        io.stdout(flags.output === 'json' ? `${JSON.stringify({ ...status, path: dbPath }, null, 2)}\n` : renderStatusTable(dbPath, status));
        setExit(EXIT.ok);
      } catch (e) {
        setExit(reportError(e, io));
      }
    });

  cmd
    .command('export')
    .description('Write a copy of the vulnerability database to a file, for machines without network access')
    .argument('<file>', 'file to write')
    .option('--db <path>', 'vulnerability database (default: ~/.cache/palisade/vuln.db, or under $PALISADE_CACHE_DIR or $XDG_CACHE_HOME)')
    .action(async (file: string, flags: { db?: string }) => {
      try {
        const r = await exportDb(file, { dbPath: flags.db, store: deps.vulnDbStore });
        io.stderr(`Exported ${r.dbPath} to ${r.file}\n`);
        setExit(EXIT.ok);
      } catch (e) {
        setExit(reportError(e, io));
      }
    });

  cmd
    .command('import')
    .description('Replace the vulnerability database with a file written by `palisade db export`')
    .argument('<file>', 'exported database')
    .option('--db <path>', 'vulnerability database (default: ~/.cache/palisade/vuln.db, or under $PALISADE_CACHE_DIR or $XDG_CACHE_HOME)')
    .action(async (file: string, flags: { db?: string }) => {
      try {
        const r = await importDb(file, { dbPath: flags.db, store: deps.vulnDbStore });
        io.stderr(`Imported ${r.file} into ${r.dbPath}\n`);
        setExit(EXIT.ok);
      } catch (e) {
        setExit(reportError(e, io));
      }
    });

  return cmd;
}
