import { Command, Option } from 'commander';
import jsYaml from 'js-yaml';
import { PalisadeError } from '../../model/errors.js';
import { apiAction, apiOptionsFrom, apiRequest, serverOptions, withQuery, type ApiOptions } from '../api-client.js';
import type { Io } from '../io.js';
import type { AssetRow } from '../../storage/store.js';

/** `-o table|json|yaml` of the commands that read a server. */
export function listOutputOption(): Option {
  return new Option('-o, --output <format>', 'table, json or yaml').choices(['table', 'json', 'yaml']).default('table');
}

/** Prints rows as aligned columns (the last column is not padded). */
export function printTable(io: Io, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  io.stdout(`${[line(header), ...rows.map(line)].join('\n')}\n`);
}

/** Prints a value as JSON or YAML. */
export function printData(io: Io, format: string, value: unknown): void {
  io.stdout(format === 'yaml' ? jsYaml.dump(value, { noRefs: true, lineWidth: -1 }) : `${JSON.stringify(value, null, 2)}\n`);
}

/** A connector id from `--connector`, which takes a name or an id. */
export async function connectorId(api: ApiOptions, nameOrId: string | undefined): Promise<string | undefined> {
  if (!nameOrId) return undefined;
  const { items } = await apiRequest<{ items: Array<{ id: string; name: string }> }>(api, 'GET', '/api/v1/connectors');
  const c = items.find((x) => x.id === nameOrId) ?? items.find((x) => x.name === nameOrId);
  if (!c) throw new PalisadeError('E_USAGE', `--connector: no connector named "${nameOrId}" that you may read`);
  return c.id;
}

/** An asset as the API returns it: the store's row. */
type Asset = AssetRow;

/** `palisade inventory`: the assets a server's connectors found, filtered, every page. */
export function inventoryCommand(io: Io, setExit: (code: number) => void): Command {
  const cmd = new Command('inventory')
    .description('List the inventory of a Palisade server: clusters, namespaces, workloads, images, accounts... (--server, --token)')
    .option('--type <type>', 'asset type: cluster, namespace, workload, pod, container, image, service-account, role, role-binding, service, ingress, node, ...')
    .option('--namespace <ns>', 'only objects in this namespace')
    .option('--connector <name>', 'only this connector (name or id)')
    .option('-q, --search <text>', 'case-insensitive text in the key')
    .option('--limit <n>', 'at most this many assets (default: all)');
  for (const o of serverOptions()) cmd.addOption(o);
  return cmd.addOption(listOutputOption()).action(
    apiAction(io, setExit, async (flags: { type?: string; namespace?: string; connector?: string; search?: string; limit?: string; server?: string; token?: string; output: string }) => {
      const limit = flags.limit === undefined ? Infinity : Number(flags.limit);
      if (!(limit > 0) || !Number.isInteger(limit === Infinity ? 1 : limit)) throw new PalisadeError('E_USAGE', `--limit: "${flags.limit}" is not a positive whole number`);
      const api = apiOptionsFrom(flags, io.env);
      const connector = await connectorId(api, flags.connector);
      const assets: Asset[] = [];
      let cursor: string | undefined;
      do {
        const page = await apiRequest<{ items: Asset[]; next?: string }>(
          api,
          'GET',
          withQuery('/api/v1/assets', { type: flags.type, namespace: flags.namespace, connector, q: flags.search, limit: Math.min(1000, limit - assets.length), cursor }),
        );
        assets.push(...page.items);
        cursor = page.next;
      } while (cursor && assets.length < limit);
      if (flags.output !== 'table') return printData(io, flags.output, assets);
      const names = new Map((await apiRequest<{ items: Array<{ id: string; name: string }> }>(api, 'GET', '/api/v1/connectors')).items.map((c) => [c.id, c.name]));
      printTable(
        io,
        ['TYPE', 'CONNECTOR', 'KEY', 'LAST SEEN'],
        assets.map((a) => [a.type, a.connectorId ? (names.get(a.connectorId) ?? a.connectorId) : '-', a.key, a.lastSeen]),
      );
    }),
  );
}
