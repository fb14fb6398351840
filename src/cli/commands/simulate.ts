import { readFileSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { postEvents, SCENARIO_NAMES, SCENARIOS, simulateEvents, toJsonLines } from '../../app/simulate.js';
import { PalisadeError } from '../../model/errors.js';
import { EXIT, reportError, type Io } from '../io.js';

interface SimulateFlags {
  out?: string;
  post?: string;
  token?: string;
  caFile?: string;
  batchSize?: string;
  start?: string;
}

/** `palisade simulate <scenario>`: audit events of an attack scenario, written as JSON lines or posted to a webhook receiver. */
export function simulateCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command('simulate')
    .description(`Write or post audit events of an attack scenario, to test the detection pipeline end to end (${SCENARIO_NAMES.join(', ')}; "list" describes them)`)
    .addArgument(new Command().createArgument('<scenario>', 'scenario name, or list').choices([...SCENARIO_NAMES, 'list']))
    .option('--out <file>', 'write JSON lines to this file, or - for stdout (the default unless --post is given)')
    .option('--post <url>', 'POST the events as audit.k8s.io/v1 EventList batches to an audit webhook receiver')
    .option('--token <token>', 'bearer token for --post (default: $PALISADE_AUDIT_TOKEN)')
    .option('--ca-file <file>', 'CA certificate (PEM) to trust for an https --post')
    .option('--batch-size <n>', 'events per EventList batch for --post', '400')
    .addOption(new Option('--start <time>', 'time of the attack (ISO 8601); baseline traffic is dated up to 26 hours before (default: now)'))
    .action(async (scenario: string, flags: SimulateFlags) => {
      try {
        if (scenario === 'list') {
          io.stdout(SCENARIOS.map((s) => `${s.name.padEnd(22)} ${s.description}\n${''.padEnd(22)} expected rules: ${s.expectedRules.join(', ')}\n`).join(''));
          return;
        }
        const start = flags.start === undefined ? Date.now() : Date.parse(flags.start);
        if (Number.isNaN(start)) throw new PalisadeError('E_USAGE', `--start: "${flags.start}" is not a date and time`);
        const batchSize = Number(flags.batchSize);
        if (!Number.isInteger(batchSize) || batchSize < 1) throw new PalisadeError('E_USAGE', `--batch-size: "${flags.batchSize}" is not a positive integer`);
        const events = simulateEvents(scenario, start);
        const out = flags.out ?? (flags.post ? undefined : '-');
        if (out === '-') io.stdout(toJsonLines(events));
        else if (out !== undefined) writeFileSync(out, toJsonLines(events));
        if (flags.post) {
          const token = flags.token ?? io.env.PALISADE_AUDIT_TOKEN;
          const { batches } = await postEvents(flags.post, events, { batchSize, ...(token ? { token } : {}), ...(flags.caFile ? { ca: readFileSync(flags.caFile, 'utf8') } : {}) });
          io.stderr(`palisade: posted ${events.length} events of ${scenario} in ${batches} batches to ${new URL(flags.post).origin}\n`);
        }
        setExit(EXIT.ok);
      } catch (e) {
        setExit(reportError(e, io));
      }
    });
}
