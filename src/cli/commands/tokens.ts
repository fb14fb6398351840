import { Command, Option } from 'commander';
import { createToken, publicToken, revokeToken } from '../../app/users.js';
import { PalisadeError } from '../../model/errors.js';
import { ROLES, type Role } from '../../storage/store.js';
import type { Io } from '../io.js';
import { action, cliActor, dataDirOption, withStore } from './users.js';

/** `palisade tokens create|list|revoke`: API tokens, on the store directly. */
export function tokensCommand(io: Io, setExit: (code: number) => void): Command {
  const cmd = new Command('tokens').description('Manage API tokens (works on the store directly; run where the data directory is)');
  cmd
    .command('create')
    .description('Create an API token for a user; the token is printed once and only its hash is kept')
    .requiredOption('--user <username>', 'the user the token acts as')
    .requiredOption('--name <name>', 'what the token is for, e.g. "prometheus" or "ci"')
    .addOption(new Option('--role <role>', 'reader, contributor or owner (default: the user\'s role; never above it)').choices([...ROLES]))
    .option('--expires <time>', 'expiry, as an ISO 8601 date and time')
    .addOption(dataDirOption())
    .action(
      action(io, setExit, async (flags: { user: string; name: string; role?: Role; expires?: string; dataDir?: string }) => {
        if (flags.expires !== undefined && Number.isNaN(Date.parse(flags.expires))) throw new PalisadeError('E_USAGE', `--expires: "${flags.expires}" is not a date and time`);
        await withStore(io, flags.dataDir, async (store) => {
          const user = await store.getUserByName(flags.user);
          if (!user) throw new PalisadeError('E_USAGE', `no user "${flags.user}"`);
          const { token, info } = await createToken(store, cliActor(), { userId: user.id, name: flags.name, role: flags.role ?? user.role, expiresAt: flags.expires ? new Date(flags.expires).toISOString() : null });
          io.stderr(`palisade: created ${info.role} token "${info.name}" (${info.prefix}...) for ${user.username}; it is shown only now:\n`);
          io.stdout(`${token}\n`);
        });
      }),
    );
  cmd
    .command('list')
    .description('List API tokens (prefix, name, role, user, last use; never the token)')
    .addOption(dataDirOption())
    .option('-o, --output <format>', 'table or json', 'table')
    .action(
      action(io, setExit, async (flags: { dataDir?: string; output: string }) => {
        await withStore(io, flags.dataDir, async (store) => {
          const names = new Map((await store.listUsers()).map((u) => [u.id, u.username]));
          const tokens = (await store.listApiTokens()).map(publicToken).map((t) => ({ ...t, user: names.get(t.userId) ?? t.userId }));
          if (flags.output === 'json') io.stdout(`${JSON.stringify(tokens, null, 2)}\n`);
          else {
            const rows = tokens.map((t) => `${t.prefix.padEnd(14)} ${t.name.padEnd(16)} ${t.role.padEnd(12)} ${t.user.padEnd(16)} ${t.revokedAt ? 'revoked' : t.expiresAt && t.expiresAt <= new Date().toISOString() ? 'expired' : 'active'}   ${t.lastUsedAt ?? '-'}`);
            io.stdout(['PREFIX         NAME             ROLE         USER             STATE     LAST USED', ...rows].join('\n') + '\n');
          }
        });
      }),
    );
  cmd
    .command('revoke <idOrPrefix>')
    .description('Revoke a token by id or prefix')
    .addOption(dataDirOption())
    .action(
      action(io, setExit, async (idOrPrefix: string, flags: { dataDir?: string }) => {
        await withStore(io, flags.dataDir, async (store) => {
          if (!(await revokeToken(store, cliActor(), idOrPrefix))) throw new PalisadeError('E_USAGE', `no active token "${idOrPrefix}"`);
          io.stdout(`Revoked ${idOrPrefix}\n`);
        });
      }),
    );
  return cmd;
}
