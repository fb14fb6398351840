import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { findThreatRules, loadThreatRules, ruleInfo, type ThreatRuleInfo } from '../../app/audit.js';
import { EXIT, reportError, type Io } from '../io.js';

function table(list: ThreatRuleInfo[]): string {
  const rows = list.map((r) => [r.id, r.enabled ? 'on' : 'off', r.severity, r.slug, r.title]);
  const head = ['ID', 'ENABLED', 'SEVERITY', 'SLUG', 'TITLE'];
  const widths = [0, 1, 2, 3].map((i) => Math.max(head[i]!.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => (i < 4 ? v.padEnd(widths[i]!) : v)).join('  ');
  return `${[line(head), ...rows.map(line)].join('\n')}\n`;
}

function describe(r: ThreatRuleInfo): string {
  const eq = Object.entries(r.equivalents).map(([tool, ids]) => `  ${tool}: ${ids.join(', ')}`);
  return [
    `${r.id} ${r.slug}${r.enabled ? '' : ' (disabled)'}`,
    `Title:       ${r.title}`,
    `Severity:    ${r.severity}`,
    `MITRE:       ${[...r.mitre.tactics, ...r.mitre.techniques].join(', ')}`,
    ...(r.tags.length ? [`Tags:        ${r.tags.join(', ')}`] : []),
    `Matches:     verbs ${r.match.verbs.join(', ')}; resources ${r.match.resources.join(', ')}${r.match.declared ? ' (declared)' : ''}`,
    '',
    r.description,
    '',
    `Condition:   ${r.condition}`,
    `Output:      ${r.output}`,
    ...(r.exceptions.length ? ['Exceptions:', ...r.exceptions.map((x) => `  ${x.name}: ${x.condition}`)] : []),
    '',
    'Next steps:',
    ...r.nextSteps.map((s) => `  - ${s}`),
    ...(eq.length ? ['', 'Equivalents:', ...eq] : []),
    '',
  ].join('\n');
}

const overrideOption = () => new Option('--rules-override <file>', 'apply an override file first (repeatable), to see the effective rules').argParser((v: string, prev: string[] = []) => [...prev, v]);

/** `palisade rules list|show`: the threat rules catalogue. */
export function rulesCommand(io: Io, setExit: (code: number) => void): Command {
  const cmd = new Command('rules').description('Show the threat rules used by `palisade audit scan`');
  cmd
    .command('list')
    .description('List every threat rule')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .addOption(overrideOption())
    .option('--enabled', 'only enabled rules')
    .action((flags: { output: string; rulesOverride?: string[]; enabled?: boolean }) => {
      try {
        const set = loadThreatRules({ overrides: flags.rulesOverride });
        const list = set.rules.map(ruleInfo).filter((r) => !flags.enabled || r.enabled).sort((a, b) => a.id.localeCompare(b.id));
        io.stdout(flags.output === 'json' ? `${JSON.stringify(list, null, 2)}\n` : table(list));
      } catch (e) {
        setExit(reportError(e, io));
      }
    });
  cmd
    .command('show')
    .description('Show one rule; accepts an id, a slug, a Falco rule name or a Defender alert type')
    .argument('<id>', 'rule id, slug, or equivalent name in another tool')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json', 'yaml']).default('text'))
    .addOption(overrideOption())
    .action((id: string, flags: { output: string; rulesOverride?: string[] }) => {
      try {
        const found = findThreatRules(loadThreatRules({ overrides: flags.rulesOverride }), id).map(ruleInfo);
        if (found.length === 0) {
          io.stderr(`palisade: no threat rule matches "${id}" (see \`palisade rules list\`)\n`);
          setExit(EXIT.usage);
          return;
        }
        const value = found.length === 1 ? found[0] : found;
        if (flags.output === 'json') io.stdout(`${JSON.stringify(value, null, 2)}\n`);
        else if (flags.output === 'yaml') io.stdout(stringify(value));
        else io.stdout(found.map(describe).join('\n'));
      } catch (e) {
        setExit(reportError(e, io));
      }
    });
  return cmd;
}
