import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { catalogue, checkInfo, findCheck } from '../../app/catalogue.js';
import type { CheckInfo } from '../../model/check-info.js';
import { EXIT, reportError, type Io } from '../io.js';

function table(list: CheckInfo[]): string {
  const rows = list.map((c) => [c.id, c.severity, c.category, c.slug, c.title]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['ID', 'SEVERITY', 'CATEGORY', 'SLUG'][i]!.length));
  const line = (r: string[]) => r.map((v, i) => (i < 4 ? v.padEnd(widths[i]!) : v)).join('  ');
  return `${[line(['ID', 'SEVERITY', 'CATEGORY', 'SLUG', 'TITLE']), ...rows.map(line)].join('\n')}\n`;
}

function describe(c: CheckInfo): string {
  const eq = Object.entries(c.equivalents).map(([tool, ids]) => `  ${tool}: ${(ids as string[]).join(', ')}`);
  const fw = c.frameworks.map((f) => `  ${f.framework} ${f.control}${f.title ? ` (${f.title})` : ''}`);
  return [
    `${c.id} ${c.slug}`,
    `Title:       ${c.title}`,
    `Severity:    ${c.severity}`,
    `Category:    ${c.category}`,
    `Kinds:       ${c.kinds.join(', ')}`,
    ...(c.parameters ? [`Parameters:  ${c.parameters.join(', ')} (palisade.yaml parameters.*)`] : []),
    '',
    c.description,
    '',
    `Remediation: ${c.remediation}`,
    ...(eq.length ? ['', 'Equivalents:', ...eq] : []),
    ...(fw.length ? ['', 'Frameworks:', ...fw] : []),
    '',
  ].join('\n');
}

export function checksCommand(io: Io, setExit: (code: number) => void): Command {
  const cmd = new Command('checks').description('Show the checks catalogue');
  cmd
    .command('list')
    .description('List every check')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']).default('table'))
    .option('--category <category>', 'only this category')
    .option('--severity <severity>', 'only this severity')
    .action((flags: { output: string; category?: string; severity?: string }) => {
      try {
        const list = catalogue().filter((c) => (!flags.category || c.category === flags.category) && (!flags.severity || c.severity === flags.severity));
        io.stdout(flags.output === 'json' ? `${JSON.stringify(list, null, 2)}\n` : flags.output === 'yaml' ? stringify(list) : table(list));
      } catch (e) {
        setExit(reportError(e, io));
      }
    });
  cmd
    .command('show')
    .description('Show one check; accepts an id, a slug, or a peer tool id (CKV_K8S_16, runAsPrivileged...)')
    .argument('<id>', 'check id, slug, or equivalent id in another tool')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json', 'yaml']).default('text'))
    .action((id: string, flags: { output: string }) => {
      try {
        const found = findCheck(id).map((c) => checkInfo(c));
        if (found.length === 0) {
          io.stderr(`palisade: no check matches "${id}" (see \`palisade checks list\`)\n`);
          setExit(EXIT.usage);
          return;
        }
        if (flags.output === 'json') io.stdout(`${JSON.stringify(found.length === 1 ? found[0] : found, null, 2)}\n`);
        else if (flags.output === 'yaml') io.stdout(stringify(found.length === 1 ? found[0] : found));
        else io.stdout(found.map(describe).join('\n'));
      } catch (e) {
        setExit(reportError(e, io));
      }
    });
  return cmd;
}
