import { Command, CommanderError } from 'commander';
import { toolVersion } from '../app/content.js';
import { checksCommand } from './commands/checks.js';
import { docsCommand } from './commands/docs.js';
import { fixCommand } from './commands/fix.js';
import { scanCommand } from './commands/scan.js';
import { EXIT, processIo, reportError, type Io } from './io.js';

/** Builds the CLI. Commands never call process.exit: they report an exit code. */
export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('palisade')
    .description('Security posture for Kubernetes: scan manifests and clusters for misconfigurations')
    .version(toolVersion(), '-v, --version')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  for (const cmd of [scanCommand(io, setExit), fixCommand(io, setExit), checksCommand(io, setExit), docsCommand(io, setExit)]) {
    cmd.exitOverride();
    cmd.configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    for (const sub of cmd.commands) sub.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    program.addCommand(cmd);
  }
  return program;
}

/** Runs the CLI and returns the exit code. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let code = EXIT.ok as number;
  const program = buildProgram(io, (c) => (code = c));
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
