import { Command, Option } from 'commander';
import jsYaml from 'js-yaml';
import { loadConfig } from '../../app/config.js';
import type { ClusterAccess, ClusterFeature, GrantSubject, PreflightResult } from '../../inputs/cluster/index.js';
import { CLUSTER_KINDS } from '../../inputs/cluster/kinds.js';
import { PalisadeError } from '../../model/errors.js';
import { EXIT, reportError, type Io } from '../io.js';
import { addScanReportOptions, scanExitCode, writeScanReport, type ScanFlags } from './scan.js';

interface AccessFlags {
  kubeconfig?: string;
  context?: string;
  inCluster?: boolean;
  namespace?: string[];
  secrets: 'none' | 'metadata' | 'data';
  configmaps: 'metadata' | 'data';
}

const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

/** The connection and reading options both cluster commands share. */
function addAccessOptions(cmd: Command): Command {
  return cmd
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the in-cluster service account)')
    .option('--context <name>', 'kubeconfig context (default: its current context)')
    .option('--in-cluster', "use the pod's service account instead of a kubeconfig")
    .option('-n, --namespace <names>', 'only these namespaces (repeatable or comma-separated; default: all)', collect)
    .addOption(new Option('--secrets <mode>', 'read Secrets: not at all, their metadata, or their values').choices(['none', 'metadata', 'data']).default('none'))
    .addOption(new Option('--configmaps <mode>', 'read ConfigMaps as metadata only, or with their data').choices(['metadata', 'data']).default('metadata'));
}

function accessOf(flags: AccessFlags): ClusterAccess {
  return { kubeconfig: flags.kubeconfig, context: flags.context, inCluster: flags.inCluster };
}

function featuresOf(flags: AccessFlags): ClusterFeature[] {
  const f: ClusterFeature[] = [];
  if (flags.secrets === 'metadata') f.push('secrets-metadata');
  if (flags.secrets === 'data') f.push('secret-data');
  if (flags.configmaps === 'data') f.push('configmap-data');
  return f;
}

interface ScanClusterFlags extends AccessFlags, ScanFlags {
  excludeNamespace?: string[];
  excludeLabel?: string[];
}

/** `palisade scan cluster`: the posture scan of a live cluster, with every output format of `palisade scan`. */
export function scanClusterCommand(io: Io, setExit: (code: number) => void): Command {
  const cmd = new Command('cluster').description('Scan a live Kubernetes cluster (one snapshot through the API server) for misconfigurations');
  addAccessOptions(cmd)
    .option('--exclude-namespace <names>', 'leave out these namespaces (names or globs such as kube-*; repeatable)', collect)
    .option('--exclude-label <selectors>', 'leave out objects, and whole namespaces, with this label (key=value or key; repeatable)', collect);
  addScanReportOptions(cmd);
  return cmd.action(async (flags: ScanClusterFlags) => {
    try {
      const loaded = loadConfig(flags.config);
      // Loaded on use: the Kubernetes client takes about a second to import, which every other command would pay.
      const { scanCluster } = await import('../../app/cluster.js');
      const { report, snapshot } = await scanCluster({
        access: accessOf(flags),
        scope: { namespaces: flags.namespace, excludeNamespaces: flags.excludeNamespace, excludeLabels: flags.excludeLabel, features: featuresOf(flags) },
        config: loaded.config,
        configFile: loaded.file,
        framework: flags.framework,
        only: flags.check,
        disallowAnnotationExemptions: flags.disallowAnnotationExemptions,
        includeApplied: flags.output === 'junit',
      });
      if (io.stderrIsTty) io.stderr(`palisade: read ${snapshot.resources.length} objects from ${snapshot.context} (${snapshot.excluded} excluded)\n`);
      writeScanReport(report, flags, io);
      if (flags.output !== 'table' || flags.outputFile) for (const e of report.errors) io.stderr(`palisade: ${e.file}: ${e.message}\n`);
      setExit(scanExitCode(report, flags.failOn ?? loaded.config.failOn, flags.minScore ?? loaded.config.minScore));
    } catch (e) {
      setExit(reportError(e, io));
    }
  });
}

interface PreflightFlags extends AccessFlags {
  output: 'table' | 'json' | 'yaml';
  serviceAccount?: string;
  user?: string;
}

function subjectOf(flags: PreflightFlags): GrantSubject | undefined {
  if (flags.user) return { kind: 'User', name: flags.user };
  if (!flags.serviceAccount) return undefined;
  const [ns, name] = flags.serviceAccount.split('/');
  if (!ns || !name) throw new PalisadeError('E_USAGE', `--service-account: expected <namespace>/<name>, got "${flags.serviceAccount}"`);
  return { kind: 'ServiceAccount', namespace: ns, name };
}

/** The preflight as text: each refused permission, what it is for, and the grant. */
export function renderPreflight(r: PreflightResult): string {
  const out: string[] = [`Cluster ${r.context} (${r.server}), features: ${r.features.join(', ')}${r.namespaces ? `, namespaces: ${r.namespaces.join(', ')}` : ''}`];
  if (r.ok) {
    out.push(`All ${r.checks.length} permissions Palisade needs are granted.`);
  } else {
    out.push(`${r.missing.length} of ${r.checks.length} permissions are missing:`);
    // One line per resource and scope, with its refused verbs.
    const lines = new Map<string, { verbs: string[]; text: string }>();
    for (const m of r.missing) {
      const purpose = CLUSTER_KINDS.find((k) => k.kind === m.kind)?.purpose ?? '';
      const where = m.namespace ? `in namespace ${m.namespace}` : 'in all namespaces';
      const text = `${m.resource}${m.group ? `.${m.group}` : ''} ${where}${purpose ? ` (${purpose})` : ''}`;
      const line = lines.get(text) ?? { verbs: [], text };
      line.verbs.push(m.verb);
      lines.set(text, line);
    }
    for (const l of lines.values()) out.push(`  - ${l.verbs.join(', ')} ${l.text}`);
    out.push('', 'Grant them with this read-only ClusterRole and binding (kubectl apply -f -), then run the preflight again:');
  }
  if (r.rulesIncomplete) out.push('Note: the rules review is incomplete (another authorizer decides too); the access reviews above are authoritative.');
  if (r.ok) out.push('', 'The read-only grant Palisade needs:');
  out.push('', r.grant.trimEnd());
  for (const x of r.extraGrants) {
    out.push('', `# Optional: ${x.note}`);
    if (x.yaml) out.push(x.yaml.trimEnd());
  }
  return out.join('\n') + '\n';
}

/** `palisade cluster preflight`: the permission check before a cluster is connected. */
export function clusterCommand(io: Io, setExit: (code: number) => void): Command {
  const preflight = new Command('preflight').description('Check that the credentials may read everything Palisade needs, and print the read-only ClusterRole to grant');
  addAccessOptions(preflight)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']).default('table'))
    .option('--service-account <namespace/name>', 'subject of the printed ClusterRoleBinding (default: palisade/palisade)')
    .option('--user <name>', 'bind the printed ClusterRole to this user instead of a service account')
    .action(async (flags: PreflightFlags) => {
      try {
        const { clusterPreflight } = await import('../../app/cluster.js');
        const result = await clusterPreflight(accessOf(flags), { features: featuresOf(flags), namespaces: flags.namespace, subject: subjectOf(flags) });
        if (flags.output === 'json') io.stdout(JSON.stringify(result, null, 2) + '\n');
        else if (flags.output === 'yaml') io.stdout(jsYaml.dump(result, { lineWidth: -1, noRefs: true }));
        else io.stdout(renderPreflight(result));
        setExit(result.ok ? EXIT.ok : EXIT.policy);
      } catch (e) {
        setExit(reportError(e, io));
      }
    });
  return new Command('cluster').description('Kubernetes cluster connection: permission preflight').addCommand(preflight);
}
