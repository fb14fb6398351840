import { PalisadeError, formatPosition } from '../model/errors.js';

/** Exit codes, as bit flags so CI can tell policy failures from broken input. */
export const EXIT = {
  ok: 0,
  /** Findings at or above --fail-on, or score below --min-score. */
  policy: 1,
  /** Some input could not be read or parsed (the rest was still scanned). */
  inputErrors: 2,
  /** Bad flags or arguments. */
  usage: 64,
  /** Invalid palisade.yaml or framework file. */
  config: 78,
  /** A resource another process holds (the vulnerability database during an update): try again later. */
  busy: 75,
  /** A bug. */
  internal: 70,
} as const;

/** Where output goes; injectable so commands are testable without spawning a process. */
export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stdoutIsTty: boolean;
  stderrIsTty: boolean;
  columns?: number;
  env: NodeJS.ProcessEnv;
  /** Reads all of standard input (`--password-stdin`); the process's stdin when absent. */
  readStdin?: () => Promise<string>;
}

export function processIo(): Io {
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    stdoutIsTty: Boolean(process.stdout.isTTY),
    stderrIsTty: Boolean(process.stderr.isTTY),
    columns: process.stdout.columns,
    env: process.env,
    readStdin: readProcessStdin,
  };
}

async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Colour when writing to a terminal, unless NO_COLOR; FORCE_COLOR forces it. */
export function useColor(io: Io): boolean {
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0') return true;
  return io.stdoutIsTty;
}

/** Renders an expected error for the terminal and picks its exit code. */
export function reportError(e: unknown, io: Io): number {
  if (e instanceof PalisadeError) {
    io.stderr(`palisade: ${e.message}\n`);
    if (e.code === 'E_CONFIG' || e.code === 'E_FRAMEWORK' || e.code === 'E_VULN_DB_MISSING' || e.code === 'E_THREAT_RULE') return EXIT.config;
    if (e.code === 'E_VULN_DB_LOCKED') return EXIT.busy;
    return EXIT.usage;
  }
  io.stderr(`palisade: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  return EXIT.internal;
}

export { formatPosition };
