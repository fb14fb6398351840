import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import jsYaml from 'js-yaml';
import { PalisadeError } from '../../model/errors.js';
import { ApiError, apiAction, apiOptionsFrom, apiRequest, serverOptions, withQuery } from '../api-client.js';
import type { Io } from '../io.js';

/** Exit code when the server refused to save the connector because its preflight failed. */
export const PREFLIGHT_FAILED_EXIT = 1;

interface ServerFlags {
  server?: string;
  token?: string;
  output: string;
}

/** The cluster preflight as the API answers it. */
interface ClusterPreflight {
  ok: boolean;
  context: string;
  server: string;
  checks: number;
  missing: Array<{ verb: string; group: string; resource: string; namespace?: string; feature: string }>;
  grant: string;
  extraGrants: Array<{ features: string[]; note: string; yaml: string }>;
}

/** The registry preflight as the API answers it. */
interface RegistryPreflight {
  ok: boolean;
  registry: string;
  checks: Array<{ name: string; ok: boolean; skipped?: boolean; detail: string; fix?: string }>;
  repositories: number;
}

interface Saved<P> {
  connector: { id: string; name: string; kind: string };
  preflight: P;
}

/** The answer of a dry run: the preflight, nothing saved. */
interface DryRun<P> {
  dryRun: true;
  preflight: P;
}

/** How the connector is sent: saved when the preflight passes, saved anyway, or only checked. */
type CreateMode = 'save' | 'force' | 'dry-run';

function modeOf(flags: { force?: boolean; dryRun?: boolean }): CreateMode {
  if (flags.force && flags.dryRun) throw new PalisadeError('E_USAGE', '--force and --dry-run do not go together: a dry run saves nothing');
  return flags.dryRun ? 'dry-run' : flags.force ? 'force' : 'save';
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A connector name from a context or host: the characters the API accepts, at most 200. */
export function connectorName(from: string): string {
  const name = from.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 200);
  if (!NAME.test(name)) throw new PalisadeError('E_USAGE', `cannot make a connector name of "${from}": give --name`);
  return name;
}

/** The content of a file a flag names, or a usage error that says which flag and why. */
function readFlagFile(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new PalisadeError('E_USAGE', `${flag}: cannot read ${file}: ${(e as Error).message}`);
  }
}

function list(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

function outputOption(): Option {
  return new Option('-o, --output <format>', 'text or json').choices(['text', 'json']).default('text');
}

function withServer(cmd: Command): Command {
  for (const o of serverOptions()) cmd.addOption(o);
  return cmd.addOption(outputOption());
}

function permission(m: ClusterPreflight['missing'][number]): string {
  return `${m.verb} ${m.group ? `${m.group}/` : ''}${m.resource}${m.namespace ? ` in ${m.namespace}` : ''} (${m.feature})`;
}

/**
 * Sends a new connector and prints the outcome: the saved connector and its preflight, or, when the server
 * refused it (422), what failed and what to do; the refusal ends with {@link PREFLIGHT_FAILED_EXIT}. A dry run
 * prints the preflight alone and ends the same way when it failed.
 */
async function create<P extends { ok: boolean }>(io: Io, flags: ServerFlags, body: Record<string, unknown>, mode: CreateMode, print: (p: P, saved: boolean) => void): Promise<number> {
  const api = apiOptionsFrom(flags, io.env);
  try {
    const r = await apiRequest<Saved<P> | DryRun<P>>(api, 'POST', withQuery('/api/v1/connectors', { force: mode === 'force' ? 'true' : undefined, dryRun: mode === 'dry-run' ? 'true' : undefined }), body);
    if ('dryRun' in r) {
      if (flags.output === 'json') io.stdout(`${JSON.stringify(r, null, 2)}\n`);
      else {
        print(r.preflight, r.preflight.ok);
        io.stderr(`palisade: dry run: nothing was saved${r.preflight.ok ? '; run it again without --dry-run to connect' : ''}\n`);
      }
      return r.preflight.ok ? 0 : PREFLIGHT_FAILED_EXIT;
    }
    if (flags.output === 'json') io.stdout(`${JSON.stringify(r, null, 2)}\n`);
    else {
      print(r.preflight, true);
      io.stdout(`Connected ${r.connector.kind} "${r.connector.name}" (${r.connector.id}).\n`);
    }
    return 0;
  } catch (e) {
    const refused = e instanceof ApiError && e.status === 422 ? (e.body as { message?: string; preflight?: P } | undefined) : undefined;
    if (!refused?.preflight) throw e;
    if (flags.output === 'json') io.stdout(`${JSON.stringify(refused, null, 2)}\n`);
    else print(refused.preflight, false);
    io.stderr(`palisade: not connected: ${refused.message ?? 'the preflight failed'}\n`);
    return PREFLIGHT_FAILED_EXIT;
  }
}

/** `palisade connect cluster`: onboard a cluster on a server from a kubeconfig file. */
function clusterSubcommand(io: Io, setExit: (code: number) => void): Command {
  return withServer(
    new Command('cluster')
      .description('Onboard a Kubernetes cluster on a Palisade server: the server checks the permissions first and prints the grant to apply when some are missing')
      .requiredOption('--kubeconfig <file>', 'kubeconfig file (sent to the server, which stores it encrypted)')
      .option('--context <name>', 'context of the kubeconfig (default: its current context)')
      .option('--name <name>', 'connector name (default: the context)')
      .option('--namespaces <list>', 'only these namespaces (comma-separated, repeatable)', list)
      .option('--exclude-namespaces <list>', 'namespaces or globs to leave out, e.g. kube-*', list)
      .option('--force', 'save the connector even when permissions are missing')
      .option('--dry-run', 'only run the preflight and print it; save nothing'),
  ).action(
    apiAction(io, setExit, async (flags: ServerFlags & { kubeconfig: string; context?: string; name?: string; namespaces?: string[]; excludeNamespaces?: string[]; force?: boolean; dryRun?: boolean }) => {
      const kubeconfig = readFlagFile('--kubeconfig', flags.kubeconfig);
      let context = flags.context;
      if (!context) {
        const doc = (() => {
          try {
            return jsYaml.load(kubeconfig) as { 'current-context'?: unknown } | undefined;
          } catch {
            return undefined;
          }
        })();
        context = typeof doc?.['current-context'] === 'string' && doc['current-context'] ? doc['current-context'] : undefined;
      }
      if (!flags.name && !context) throw new PalisadeError('E_USAGE', `${flags.kubeconfig} has no current context: give --context or --name`);
      const scope = flags.namespaces || flags.excludeNamespaces ? { namespaces: flags.namespaces, excludeNamespaces: flags.excludeNamespaces } : undefined;
      const body = { kind: 'cluster', name: flags.name ?? connectorName(context!), kubeconfig, context, scope };
      return create<ClusterPreflight>(io, flags, body, modeOf(flags), (p, saved) => {
        const out = saved ? io.stdout : io.stderr;
        out(`Preflight of context ${p.context} (${p.server}): ${p.checks} permissions checked, ${p.missing.length ? `${p.missing.length} missing` : 'none missing'}.\n`);
        for (const m of p.missing) out(`  missing: ${permission(m)}\n`);
        if (p.missing.length) {
          if (!saved) io.stderr(`The minimal read-only grant is on standard output: pipe it to "kubectl --context ${p.context} apply -f -", then run this command again.\n`);
          // The grant goes to standard output on its own, so it can be piped to kubectl.
          if (!saved) io.stdout(p.grant.endsWith('\n') ? p.grant : `${p.grant}\n`);
        }
      });
    }),
  );
}

/** `palisade connect registry <url>`: onboard a container registry on a server. */
function registrySubcommand(io: Io, setExit: (code: number) => void): Command {
  return withServer(
    new Command('registry')
      .description('Onboard a container registry on a Palisade server: the server checks the catalog and a pull first')
      .argument('<url>', 'registry URL, e.g. https://registry.example.com')
      .option('--name <name>', 'connector name (default: the registry host)')
      .option('--username <user>', 'user or robot account; the password comes from PALISADE_REGISTRY_PASSWORD or --password-stdin')
      .option('--password-stdin', 'read the password (or, without --username, a bearer token) from standard input')
      .option('--ca <file>', 'PEM file of a private certificate authority')
      .option('--plain-http', 'allow an http:// registry')
      .option('--include <globs>', 'repositories to scan (comma-separated, repeatable; default: all)', list)
      .option('--exclude <globs>', 'repositories to leave out', list)
      .option('--tags <globs>', 'tags to scan (default: all)', list)
      .option('--exclude-tags <globs>', 'tags to leave out', list)
      .option('--rescan-interval <duration>', 'time between scheduled rescans (default 24h)')
      .option('--dry-run', 'only run the preflight and print it; save nothing'),
  ).action(
    apiAction(
      io,
      setExit,
      async (
        url: string,
        flags: ServerFlags & { name?: string; username?: string; passwordStdin?: boolean; ca?: string; plainHttp?: boolean; include?: string[]; exclude?: string[]; tags?: string[]; excludeTags?: string[]; rescanInterval?: string; dryRun?: boolean },
      ) => {
        let host: string;
        try {
          host = new URL(url).host;
        } catch {
          throw new PalisadeError('E_USAGE', `"${url}" is not a URL (e.g. https://registry.example.com)`);
        }
        const secret = flags.passwordStdin ? (await (io.readStdin ?? (async () => ''))()).replace(/\r?\n$/, '') : io.env.PALISADE_REGISTRY_PASSWORD;
        if (flags.username && !secret) throw new PalisadeError('E_USAGE', '--username needs a password: set PALISADE_REGISTRY_PASSWORD or use --password-stdin');
        const auth = flags.username ? { username: flags.username, password: secret! } : flags.passwordStdin && secret ? { token: secret } : undefined;
        const ca = flags.ca ? readFlagFile('--ca', flags.ca) : undefined;
        const patterns = (include?: string[], exclude?: string[]) => (include || exclude ? { include, exclude } : undefined);
        const body = {
          kind: 'registry',
          name: flags.name ?? connectorName(host),
          url,
          auth,
          ca,
          plainHttp: flags.plainHttp,
          repositories: patterns(flags.include, flags.exclude),
          tags: patterns(flags.tags, flags.excludeTags),
          rescanInterval: flags.rescanInterval,
        };
        return create<RegistryPreflight>(io, flags, body, modeOf(flags), (p, saved) => {
          const out = saved ? io.stdout : io.stderr;
          out(`Preflight of ${p.registry}: ${p.repositories} repositories seen.\n`);
          for (const c of p.checks) out(`  ${(c.skipped ? 'skipped' : c.ok ? 'ok' : 'FAILED').padEnd(7)} ${c.name}: ${c.detail}${!c.ok && c.fix ? `\n          fix: ${c.fix}` : ''}\n`);
        });
      },
    ),
  );
}

/** `palisade connect cluster|registry`: onboard a connector on a Palisade server (`--server`, `--token`). */
export function connectCommand(io: Io, setExit: (code: number) => void): Command {
  return new Command('connect')
    .description('Onboard a cluster or a registry on a Palisade server (--server or PALISADE_SERVER, --token or PALISADE_TOKEN)')
    .addCommand(clusterSubcommand(io, setExit))
    .addCommand(registrySubcommand(io, setExit));
}
