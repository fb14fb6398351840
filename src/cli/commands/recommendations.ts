import { Command, Option } from 'commander';
import { SEVERITIES } from '../../model/severity.js';
import { apiAction, apiOptionsFrom, apiRequest, serverOptions, withQuery } from '../api-client.js';
import type { Io } from '../io.js';
import { connectorId, listOutputOption, printData, printTable } from './inventory.js';

interface Recommendation {
  checkId: string;
  slug: string;
  title: string;
  severity: string;
  remediation: string;
  affected: number;
  findings: number;
}

/** `palisade recommendations`: a server's findings grouped by check, most severe first. */
export function recommendationsCommand(io: Io, setExit: (code: number) => void): Command {
  const cmd = new Command('recommendations')
    .description('List the recommendations of a Palisade server: findings grouped by check across assets, most severe first (--server, --token)')
    .option('--connector <name>', 'only this connector (name or id)')
    .addOption(new Option('--severity <level>', 'only this severity').choices([...SEVERITIES]));
  for (const o of serverOptions()) cmd.addOption(o);
  return cmd.addOption(listOutputOption()).action(
    apiAction(io, setExit, async (flags: { connector?: string; severity?: string; server?: string; token?: string; output: string }) => {
      const api = apiOptionsFrom(flags, io.env);
      const connector = await connectorId(api, flags.connector);
      const { items } = await apiRequest<{ items: Recommendation[] }>(api, 'GET', withQuery('/api/v1/recommendations', { connector, severity: flags.severity }));
      if (flags.output !== 'table') return printData(io, flags.output, items);
      printTable(
        io,
        ['SEVERITY', 'CHECK', 'AFFECTED', 'FINDINGS', 'TITLE'],
        items.map((r) => [r.severity, r.checkId, String(r.affected), String(r.findings), r.title]),
      );
    }),
  );
}
