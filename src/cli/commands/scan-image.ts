import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { loadConfig } from '../../app/config.js';
import { parseDuration, scanImage, type ImageScanResult, type VulnBackend } from '../../app/scan-image.js';
import { loadVulnBackend } from '../../app/vuln-backend.js';
import { PalisadeError } from '../../model/errors.js';
import type { ImageScanReport } from '../../model/image-report.js';
import { atLeast, SEVERITIES, type Severity } from '../../model/severity.js';
import { renderCycloneDx } from '../../report/cyclonedx.js';
import { renderImageJson } from '../../report/image-json.js';
import { renderImageSarif } from '../../report/image-sarif.js';
import { renderImageTable } from '../../report/image-table.js';
import { renderSpdx } from '../../report/spdx.js';
import { addImageOptions, layerProgress, registryOptions, type ImageFlags } from '../image-options.js';
import { EXIT, reportError, useColor, type Io } from '../io.js';

export const IMAGE_SCAN_FORMATS = ['table', 'json', 'sarif', 'cyclonedx', 'spdx'] as const;
type ImageScanFormat = (typeof IMAGE_SCAN_FORMATS)[number];

interface ScanImageFlags extends ImageFlags {
  output: ImageScanFormat;
  outputFile?: string;
  config?: string;
  severity?: Severity[];
  ignoreUnfixed?: boolean;
  failOn?: Severity | 'none';
  ignoreFile?: string;
  db?: string;
  maxDbAge?: string;
  color?: boolean;
}

/** What the CLI can be given from outside (tests give an in-memory vulnerability database). */
export interface ScanImageDeps {
  vulnBackend?: VulnBackend;
}

/** Renders an image scan in the chosen format. */
export function renderImageScan(result: ImageScanResult, format: ImageScanFormat, color: boolean, width?: number): string {
  const { report, inventory } = result;
  const sbom = { toolVersion: report.tool.version, generatedAt: report.generatedAt };
  switch (format) {
    case 'json': return renderImageJson(report);
    case 'sarif': return renderImageSarif(report);
    case 'cyclonedx': return renderCycloneDx(inventory, { ...sbom, vulnerabilities: report.vulnerabilities, ignored: report.ignored });
    case 'spdx': return renderSpdx(inventory, { ...sbom, vulnerabilities: report.vulnerabilities });
    default: return renderImageTable(report, { color, width });
  }
}

/** Exit code of an image scan: 1 when a reported vulnerability is at least `failOn`, plus 2 when some file could not be analysed. */
export function imageScanExitCode(report: ImageScanReport, failOn: Severity | 'none' | undefined): number {
  let code = EXIT.ok as number;
  if (failOn && failOn !== 'none' && report.vulnerabilities.some((v) => atLeast(v.severity, failOn))) code |= EXIT.policy;
  if (report.errors.length > 0) code |= EXIT.inputErrors;
  return code;
}

function parseSeverities(v: string, prev: Severity[] = []): Severity[] {
  const out = [...prev];
  for (const s of v.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean)) {
    if (!(SEVERITIES as readonly string[]).includes(s)) throw new PalisadeError('E_USAGE', `--severity: "${s}" is not one of ${SEVERITIES.join(', ')}`);
    if (!out.includes(s as Severity)) out.push(s as Severity);
  }
  return out;
}


/** `palisade scan image <ref|path>`: vulnerabilities of the packages in an image, a root folder or an SBOM. */
export function scanImageCommand(io: Io, setExit: (code: number) => void, deps: ScanImageDeps = {}): Command {
  const cmd = new Command('image')
    .description('Scan a container image (registry reference, OCI layout, docker/podman save archive, root folder) or an SBOM for vulnerable packages')
    .argument('<image>', 'registry reference, OCI layout folder, docker save archive, root folder, or a CycloneDX/SPDX JSON file')
    .addOption(new Option('-o, --output <format>', 'output format').choices(IMAGE_SCAN_FORMATS).default('table'))
    .option('--output-file <file>', 'write the report to a file instead of stdout')
    .option('-c, --config <file>', 'config file (default: ./palisade.yaml when present)')
    .option('--severity <list>', 'only report these severities (comma-separated: critical,high)', parseSeverities)
    .option('--ignore-unfixed', 'leave out vulnerabilities that have no fixed version yet')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a reported vulnerability is at least this severe').choices([...SEVERITIES, 'none']))
    .option('--ignore-file <file>', 'ignore file (default: ./.palisadeignore.yaml when present)')
    .option('--db <path>', 'vulnerability database (default: the one `palisade db update` writes)')
    .option('--max-db-age <duration>', 'warn when the database is older than this (7d, 36h, 2w; default 7d or vulnerabilities.maxDbAge)');
  addImageOptions(cmd).option('--no-color', 'disable colours');
  return cmd.action(async (image: string, flags: ScanImageFlags) => {
    try {
      const loaded = loadConfig(flags.config);
      const maxAge = flags.maxDbAge ?? loaded.config.vulnerabilities.maxDbAge;
      const maxDbAgeHours = maxAge === undefined ? undefined : parseDuration(maxAge, flags.maxDbAge !== undefined ? '--max-db-age' : `${loaded.file}: vulnerabilities.maxDbAge`);
      const registry = await registryOptions(flags, io);
      const backend = deps.vulnBackend ?? loadVulnBackend();
      const bar = layerProgress(io);
      let result: ImageScanResult;
      try {
        result = await scanImage(
          {
            source: image,
            platform: flags.platform,
            registry,
            dbPath: flags.db,
            maxDbAgeHours,
            ignoreFile: flags.ignoreFile,
            severities: flags.severity,
            ignoreUnfixed: flags.ignoreUnfixed,
            onProgress: bar.onProgress,
          },
          backend,
        );
      } finally {
        bar.done();
      }
      const color = flags.color !== false && useColor(io) && !flags.outputFile;
      const text = renderImageScan(result, flags.output, color, io.stdoutIsTty ? io.columns : undefined);
      if (flags.outputFile) writeFileSync(flags.outputFile, text);
      else io.stdout(text);
      // The table shows warnings and ignore issues itself; other formats carry them in the document, and a
      // person still needs to see them.
      if (flags.output !== 'table' || flags.outputFile) {
        for (const w of result.report.warnings) io.stderr(`palisade: warning: ${w}\n`);
        for (const x of result.report.ignoreIssues) io.stderr(`palisade: warning: ${x.message}\n`);
        for (const e of result.report.errors) io.stderr(`palisade: ${e.analyzer ?? 'sbom'}: ${e.path}: ${e.message}\n`);
      }
      setExit(imageScanExitCode(result.report, flags.failOn));
    } catch (e) {
      setExit(reportError(e, io));
    }
  });
}
