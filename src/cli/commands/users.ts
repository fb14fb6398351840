import { userInfo } from 'node:os';
import { Command, Option } from 'commander';
import { addUser, generatePassword, removeUser, type Actor } from '../../app/users.js';
import { PalisadeError } from '../../model/errors.js';
import { ROLES, type Role, type Store } from '../../storage/store.js';
import { EXIT, reportError, type Io } from '../io.js';

/** The CLI acts on the store directly, as whoever can read the data directory: an Owner, audited by OS user name. */
export function cliActor(): Actor {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // No passwd entry (some containers): keep "unknown".
  }
  return { name: `cli:${name}`, role: 'owner' };
}

/** Runs `fn` on the migrated store of `--data-dir` (or DATABASE_URL), then closes it. */
export async function withStore(io: Io, dataDir: string | undefined, fn: (store: Store) => Promise<void>): Promise<void> {
  const { openMigratedStore } = await import('../../app/serve.js');
  const store = await openMigratedStore({ dataDir, env: io.env });
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

/** Runs a command action with the usual error reporting. */
export function action<A extends unknown[]>(io: Io, setExit: (code: number) => void, fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
      setExit(EXIT.ok);
    } catch (e) {
      setExit(reportError(e, io));
    }
  };
}

/** `--data-dir`, shared by the commands that open the server's store. */
export const dataDirOption = () => new Option('--data-dir <dir>', 'data directory of the server (default: $PALISADE_DATA_DIR, else the user data directory); DATABASE_URL selects PostgreSQL');
/** `--role` with a default. */
export const roleOption = (def: Role) => new Option('--role <role>', 'reader, contributor or owner').choices([...ROLES]).default(def);

/** `palisade users add|list|remove`: local users of the server, on its store directly. */
export function usersCommand(io: Io, setExit: (code: number) => void): Command {
  const cmd = new Command('users').description('Manage the server\'s local users (works on the store directly; run where the data directory is)');
  cmd
    .command('add <username>')
    .description('Add a user; prints a generated password unless --password-stdin is given')
    .addOption(roleOption('reader'))
    .option('--password-stdin', 'read the password from standard input')
    .addOption(dataDirOption())
    .action(
      action(io, setExit, async (username: string, flags: { role: Role; passwordStdin?: boolean; dataDir?: string }) => {
        let password = flags.passwordStdin ? (await (io.readStdin ?? (async () => ''))()).replace(/\r?\n$/, '') : undefined;
        const generated = password === undefined;
        password ??= generatePassword();
        await withStore(io, flags.dataDir, async (store) => {
          const u = await addUser(store, cliActor(), { username, role: flags.role, password: password! });
          io.stdout(`Added ${u.role} "${u.username}"${generated ? ` with password: ${password}` : ''}\n`);
        });
      }),
    );
  cmd
    .command('list')
    .description('List users')
    .addOption(dataDirOption())
    .option('-o, --output <format>', 'table or json', 'table')
    .action(
      action(io, setExit, async (flags: { dataDir?: string; output: string }) => {
        await withStore(io, flags.dataDir, async (store) => {
          const users = (await store.listUsers()).map((u) => ({ username: u.username, role: u.role, createdAt: u.createdAt }));
          if (flags.output === 'json') io.stdout(`${JSON.stringify(users, null, 2)}\n`);
          else io.stdout(['USERNAME             ROLE         CREATED', ...users.map((u) => `${u.username.padEnd(20)} ${u.role.padEnd(12)} ${u.createdAt}`)].join('\n') + '\n');
        });
      }),
    );
  cmd
    .command('remove <username>')
    .description('Remove a user with their sessions and tokens')
    .addOption(dataDirOption())
    .action(
      action(io, setExit, async (username: string, flags: { dataDir?: string }) => {
        await withStore(io, flags.dataDir, async (store) => {
          if (!(await removeUser(store, cliActor(), username))) throw new PalisadeError('E_USAGE', `no user "${username}"`);
          io.stdout(`Removed "${username}"\n`);
        });
      }),
    );
  return cmd;
}
