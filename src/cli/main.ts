import { Command, CommanderError } from 'commander';
import { toolVersion } from '../app/content.js';
import { alertsCommand } from './commands/alerts.js';
import { auditCommand } from './commands/audit.js';
import { checksCommand } from './commands/checks.js';
import { clusterCommand, scanClusterCommand } from './commands/cluster.js';
import { connectCommand } from './commands/connect.js';
import { dbCommand, type DbDeps } from './commands/db.js';
import { docsCommand } from './commands/docs.js';
import { fixCommand } from './commands/fix.js';
import { inventoryCommand } from './commands/inventory.js';
import { offboardCommand } from './commands/offboard.js';
import { sbomCommand } from './commands/sbom.js';
import { recommendationsCommand } from './commands/recommendations.js';
import { rulesCommand } from './commands/rules.js';
import { simulateCommand } from './commands/simulate.js';
import { scanCommand } from './commands/scan.js';
import { serveCommand } from './commands/serve.js';
import { tokensCommand } from './commands/tokens.js';
import { usersCommand } from './commands/users.js';
import type { ScanImageDeps } from './commands/scan-image.js';
import { EXIT, processIo, reportError, type Io } from './io.js';

/** Builds the CLI. Commands never call process.exit: they report an exit code. */
export function buildProgram(io: Io, setExit: (code: number) => void, deps: ScanImageDeps & DbDeps = {}): Command {
  const program = new Command('palisade')
    .description('Security posture for Kubernetes: scan manifests and clusters for misconfigurations')
    .version(toolVersion(), '-v, --version')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    // Each command parses its own options, so `scan image -o cyclonedx` reaches the subcommand untouched.
    .enablePositionalOptions();
  // `scan cluster` is added here: it reuses scan.ts's renderers, so scan.ts cannot import it.
  for (const cmd of [scanCommand(io, setExit, deps).addCommand(scanClusterCommand(io, setExit)), clusterCommand(io, setExit), sbomCommand(io, setExit), fixCommand(io, setExit), checksCommand(io, setExit), auditCommand(io, setExit), alertsCommand(io, setExit), rulesCommand(io, setExit), simulateCommand(io, setExit), dbCommand(io, setExit, deps), docsCommand(io, setExit), serveCommand(io, setExit), usersCommand(io, setExit), tokensCommand(io, setExit), offboardCommand(io, setExit), connectCommand(io, setExit), inventoryCommand(io, setExit), recommendationsCommand(io, setExit)]) {
    cmd.exitOverride();
    cmd.configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    for (const sub of cmd.commands) sub.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    program.addCommand(cmd);
  }
  return program;
}

/** Runs the CLI and returns the exit code. */
export async function main(argv: string[], io: Io = processIo(), deps: ScanImageDeps & DbDeps = {}): Promise<number> {
  let code = EXIT.ok as number;
  const program = buildProgram(io, (c) => (code = c), deps);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    return reportError(e, io);
  }
  return code;
}
