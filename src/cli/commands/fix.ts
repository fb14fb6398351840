import { Command } from 'commander';
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import { fixManifests, type FixResult } from '../../app/fix.js';
import type { Finding } from '../../model/finding.js';
import { EXIT, formatPosition, reportError, type Io } from '../io.js';

interface FixFlags {
  dryRun?: boolean;
  config?: string;
  framework?: string;
  check?: string[];
  disallowAnnotationExemptions?: boolean;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function who(f: Finding): string {
  return f.container !== undefined ? `${f.resourceId} [${f.container}]` : f.resourceId;
}

/** Unified diff of every changed file, as `diff -u` prints it (usable with `git apply -p0` or `patch -p0`). */
export function renderFixDiff(result: FixResult): string {
  return result.files
    .map((f) => createTwoFilesPatch(f.file, f.file, f.before, f.after, undefined, undefined, { context: 3, headerOptions: FILE_HEADERS_ONLY }))
    .join('');
}

/** The human summary: what was fixed per file, what needs a manual fix, what could not be fixed and why. */
export function renderFixSummary(result: FixResult): string {
  const out: string[] = [];
  const verb = result.dryRun ? 'Would fix' : 'Fixed';
  if (result.applied.length > 0) {
    out.push(`${verb} ${plural(result.applied.length, 'finding')} in ${plural(result.files.length, 'file')}:`);
    for (const file of result.files) {
      out.push(`  ${file.file} (${plural(file.fixes, 'fix', 'fixes')})`);
      for (const a of result.applied.filter((x) => x.file === file.file)) {
        out.push(`    ${a.finding.checkId} ${a.finding.slug}  ${who(a.finding)}: ${a.finding.fix!.description}`);
      }
      if (file.reformattedDocuments.length > 0) {
        out.push(`    note: document ${file.reformattedDocuments.map((d) => d + 1).join(', ')} had to be re-serialised; check its formatting`);
      }
    }
  }
  if (result.manual.length > 0) {
    out.push(`Manual fix needed (${result.manual.length}):`);
    for (const f of result.manual) out.push(`  ${formatPosition(f.location)}  ${f.checkId} ${f.slug}  ${who(f)}: ${f.message}`);
  }
  if (result.notApplied.length > 0) {
    out.push(`Not fixed (${result.notApplied.length}):`);
    for (const u of result.notApplied) out.push(`  ${formatPosition(u.finding.location)}  ${u.finding.checkId} ${u.finding.slug}  ${who(u.finding)}: ${u.reason}`);
  }
  if (result.errors.length > 0) {
    out.push(`Input errors (${result.errors.length}):`);
    for (const e of result.errors) out.push(`  ${formatPosition(e)}: ${e.message}`);
  }
  const parts = [
    result.applied.length === 0
      ? 'Nothing to fix'
      : `${plural(result.applied.length, 'fix', 'fixes')} ${result.dryRun ? 'would be applied' : 'applied'} in ${plural(result.files.length, 'file')}`,
  ];
  if (result.manual.length > 0) parts.push(`${plural(result.manual.length, 'finding')} without a mechanical fix (manual)`);
  if (result.notApplied.length > 0) parts.push(`${result.notApplied.length} not fixed`);
  if (result.skippedFiles.length > 0) parts.push(`${plural(result.skippedFiles.length, 'file')} skipped (parse errors)`);
  out.push(parts.join('; ') + (result.dryRun ? ' (dry run: nothing written)' : ''));
  return `${out.join('\n')}\n`;
}

/** 0 when fixes applied or nothing to do; 2 when input could not be read, parsed or edited. */
export function fixExitCode(result: FixResult): number {
  const inputProblems = result.errors.length > 0 || result.skippedFiles.length > 0 || result.notApplied.some((u) => u.kind === 'failed' || u.kind === 'skipped');
  return inputProblems ? EXIT.inputErrors : EXIT.ok;
}

export function fixCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command('fix')
    .description('Apply the suggested fixes of findings to manifest files in place, keeping comments and formatting')
    .argument('<paths...>', 'files or folders (.yaml, .yml, .json); stdin is not accepted')
    .option('--dry-run', 'print a unified diff of the changes and write nothing')
    .option('-c, --config <file>', 'config file (default: ./palisade.yaml when present)')
    .option('--framework <id>', "only fix findings of one framework's checks")
    .option('--check <ids>', 'only fix findings of these checks (ids or slugs, comma-separated)', (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)])
    .option('--disallow-annotation-exemptions', 'ignore exemptions written in manifests (their findings are fixed too)')
    .action(async (paths: string[], flags: FixFlags) => {
      try {
        const result = await fixManifests({
          paths,
          configFile: flags.config,
          framework: flags.framework,
          only: flags.check,
          dryRun: flags.dryRun,
          disallowAnnotationExemptions: flags.disallowAnnotationExemptions,
        });
        if (flags.dryRun) {
          io.stdout(renderFixDiff(result));
          io.stderr(renderFixSummary(result));
        } else io.stdout(renderFixSummary(result));
        setExit(fixExitCode(result));
      } catch (e) {
        setExit(reportError(e, io));
      }
    });
}
