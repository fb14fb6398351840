import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { RegistryOptions, WalkProgress } from '../inputs/image/index.js';
import { PalisadeError } from '../model/errors.js';
import type { Io } from './io.js';
import { progress } from './progress.js';

/** The flags that say how to open an image, shared by `scan image` and `sbom`. */
export interface ImageFlags {
  platform?: string;
  username?: string;
  passwordStdin?: boolean;
  insecure?: boolean;
  caFile?: string[];
}

/** Adds `--platform`, `--username`, `--password-stdin`, `--insecure` and `--ca-file` to a command. */
export function addImageOptions(cmd: Command): Command {
  return cmd
    .option('--platform <os/arch[/variant]>', 'platform to pick from a multi-platform image (default linux/amd64)')
    .option('--username <user>', 'registry user name (with --password-stdin); default: ~/.docker/config.json')
    .option('--password-stdin', 'read the registry password or token from standard input')
    .option('--insecure', 'talk to the registry over plain HTTP')
    .option('--ca-file <file>', 'PEM file of extra certificate authorities for the registry (repeatable)', (v: string, prev: string[] = []) => [...prev, v]);
}

/** Registry options from the flags; reads the password from standard input when asked. */
export async function registryOptions(flags: ImageFlags, io: Io): Promise<RegistryOptions> {
  const opts: RegistryOptions = {};
  if (flags.passwordStdin && !flags.username) throw new PalisadeError('E_USAGE', '--password-stdin needs --username');
  if (flags.username && !flags.passwordStdin) throw new PalisadeError('E_USAGE', '--username needs --password-stdin (passwords are never taken on the command line)');
  if (flags.username) {
    const read = io.readStdin;
    if (!read) throw new PalisadeError('E_USAGE', '--password-stdin: standard input is not available');
    // Like `docker login --password-stdin`: the trailing newline of `echo` is not part of the password.
    const password = (await read()).replace(/\r?\n$/, '');
    if (!password) throw new PalisadeError('E_USAGE', '--password-stdin: standard input was empty');
    opts.username = flags.username;
    opts.password = password;
  }
  if (flags.insecure) opts.insecure = true;
  if (flags.caFile?.length) {
    opts.ca = flags.caFile.map((f) => {
      try {
        return readFileSync(f);
      } catch (e) {
        throw new PalisadeError('E_USAGE', `--ca-file ${f}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    });
  }
  return opts;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

/** A progress line for layer streaming on a terminal (`Reading layers 2/5 34.1 MB decompressed`: layers done of all); silent otherwise. */
export function layerProgress(io: Io): { onProgress: (p: WalkProgress) => void; done: () => void } {
  const bar = progress(io, 'Reading layers');
  return {
    onProgress: (p) => bar.update(p.layer, p.layers, `${mb(p.bytes)} decompressed`),
    done: () => bar.done(),
  };
}
