import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { Command, Option } from 'commander';
import { loadConfig } from '../../app/config.js';
import { scanManifests } from '../../app/scan.js';
import { PalisadeError } from '../../model/errors.js';
import { atLeast, SEVERITIES, type Severity } from '../../model/severity.js';
import type { ScanReport } from '../../model/report.js';
import { renderJson, renderJsonChunks } from '../../report/json.js';
import { renderJunit } from '../../report/junit.js';
import { renderSarif } from '../../report/sarif.js';
import { renderTable } from '../../report/table.js';
import { renderYaml } from '../../report/yaml.js';
import { EXIT, reportError, useColor, type Io } from '../io.js';
import { progress } from '../progress.js';
import { scanImageCommand, type ScanImageDeps } from './scan-image.js';

export const SCAN_FORMATS = ['table', 'json', 'yaml', 'sarif', 'junit'] as const;
type ScanFormat = (typeof SCAN_FORMATS)[number];

/** The report, policy and exemption flags every posture scan shares (files or a live cluster). */
export interface ScanFlags {
  output: ScanFormat;
  outputFile?: string;
  config?: string;
  framework?: string;
  check?: string[];
  failOn?: Severity | 'none';
  minScore?: number;
  disallowAnnotationExemptions?: boolean;
  color?: boolean;
  threads?: number;
}

/** Renders a report in the chosen format. */
export function render(report: ScanReport, format: ScanFormat, color: boolean, width?: number): string {
  switch (format) {
    case 'json': return renderJson(report);
    case 'yaml': return renderYaml(report);
    case 'sarif': return renderSarif(report);
    case 'junit': return renderJunit(report);
    default: return renderTable(report, { color, width });
  }
}

/** Writes text given in pieces to a file, or to standard output. */
function writeChunks(chunks: Iterable<string>, file: string | undefined, io: Io): void {
  if (!file) {
    for (const c of chunks) io.stdout(c);
    return;
  }
  const fd = openSync(file, 'w');
  try {
    for (const c of chunks) writeSync(fd, c);
  } finally {
    closeSync(fd);
  }
}

/** Writes a posture report in the format and to the place the flags ask for. */
export function writeScanReport(report: ScanReport, flags: Pick<ScanFlags, 'output' | 'outputFile' | 'color'>, io: Io): void {
  if (flags.output === 'json') {
    // Written piece by piece: the JSON of a large scan is too big to hold as one string.
    writeChunks(renderJsonChunks(report), flags.outputFile, io);
    return;
  }
  const color = flags.color !== false && useColor(io) && !flags.outputFile;
  const text = render(report, flags.output, color, io.stdoutIsTty ? io.columns : undefined);
  if (flags.outputFile) writeFileSync(flags.outputFile, text);
  else io.stdout(text);
}

/** Exit code of a finished scan: policy bit (findings/score) and input-error bit. */
export function scanExitCode(report: ScanReport, failOn: Severity | 'none' | undefined, minScore: number | undefined): number {
  let code = EXIT.ok;
  if (failOn && failOn !== 'none' && report.findings.some((f) => atLeast(f.severity, failOn))) code |= EXIT.policy;
  if (minScore !== undefined && report.score.value < minScore) code |= EXIT.policy;
  if (report.errors.length > 0) code |= EXIT.inputErrors;
  return code;
}

/** Adds the output, policy and exemption options of `palisade scan` to a command. */
export function addScanReportOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-o, --output <format>', 'output format').choices(SCAN_FORMATS).default('table'))
    .option('--output-file <file>', 'write the report to a file instead of stdout')
    .option('-c, --config <file>', 'config file (default: ./palisade.yaml when present)')
    .option('--framework <id>', 'only run the checks of one framework and print its control summary')
    .option('--check <ids>', 'only run these checks (ids or slugs, comma-separated)', (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)])
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at least this severe').choices([...SEVERITIES, 'none']))
    .option('--min-score <n>', 'exit 1 when the score is below n (0-100)', (v: string) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0 || n > 100) throw new PalisadeError('E_USAGE', `--min-score: "${v}" is not a number between 0 and 100`);
      return n;
    })
    .option('--disallow-annotation-exemptions', 'ignore exemptions written in manifests (they are reported, not applied)')
    .option('--no-color', 'disable colours');
}

export function scanCommand(io: Io, setExit: (code: number) => void, deps: ScanImageDeps = {}): Command {
  const cmd = new Command('scan')
    .description('Scan Kubernetes manifests (files, folders, - for stdin) for misconfigurations; `scan image` scans container images')
    // `scan image ...` goes to the subcommand with all its options; `scan <paths>` keeps its own.
    .enablePositionalOptions()
    .addCommand(scanImageCommand(io, setExit, deps))
    .argument('[paths...]', 'files or folders (.yaml, .yml, .json), or - for stdin', ['.']);
  return addScanReportOptions(cmd)
    .option(
      '--threads <n>',
      'worker threads that read, parse and check files beside the main thread (0: the main thread alone; default: cores - 2, at most 3, and on 2 cores one thread that only reads files)',
      (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 64) throw new PalisadeError('E_USAGE', `--threads: "${v}" is not a whole number between 0 and 64`);
        return n;
      },
    )
    .action(async (paths: string[], flags: ScanFlags) => {
      try {
        const loaded = loadConfig(flags.config);
        const bar = progress(io, 'Scanning files');
        const report = await scanManifests({
          paths,
          config: loaded.config,
          configFile: loaded.file,
          framework: flags.framework,
          only: flags.check,
          disallowAnnotationExemptions: flags.disallowAnnotationExemptions,
          includeApplied: flags.output === 'junit',
          onFile: (_f, done, total) => bar.update(done, total),
          threads: flags.threads === undefined ? undefined : { threads: flags.threads },
        });
        bar.done();
        writeScanReport(report, flags, io);
        // Config file values apply when the flag is absent.
        setExit(scanExitCode(report, flags.failOn ?? loaded.config.failOn, flags.minScore ?? loaded.config.minScore));
      } catch (e) {
        setExit(reportError(e, io));
      }
    });
}
