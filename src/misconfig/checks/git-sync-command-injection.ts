import { describeContainer, inContainer, show, type Check, type CheckResult } from '../check.js';
import { POD_KINDS } from '../pod-view.js';
import { isRecord } from './lib/cross-resource.js';

/** Env vars (git-sync v4 and v3 names) and flags that choose the git binary git-sync executes. */
const GIT_BINARY_ENV = new Set(['GITSYNC_GIT', 'GIT_SYNC_GIT']);
const GIT_CONFIG_ENV = new Set(['GITSYNC_GIT_CONFIG', 'GIT_SYNC_GIT_CONFIG']);

/** Paths where images ship git itself: pointing there is the default behaviour, not an injection. */
const STANDARD_GIT = new Set(['git', '/usr/bin/git', '/bin/git', '/usr/local/bin/git']);

/**
 * git config keys whose value git runs as a command (or that load hooks or helpers), so setting them
 * through `--git-config` executes arbitrary code in the git-sync container.
 */
const EXECUTING_CONFIG = /(^|[,\s])(core\.(sshcommand|fsmonitor|hookspath|pager|editor|askpass|gitproxy)|credential\.[^:,\s]*helper|uploadpack\.packobjectshook|protocol\.ext\.allow|diff\.external|filter\.[^:,\s]+\.(clean|smudge|process)|alias\.[^:,\s]+)\s*:/i;

function source(e: Record<string, unknown>): string {
  const vf = isRecord(e.valueFrom) ? e.valueFrom : {};
  const [kind, ref] = Object.entries(vf)[0] ?? ['valueFrom', {}];
  const name = isRecord(ref) && typeof ref.name === 'string' ? ` ${show(ref.name)}` : '';
  return `${kind}${name}`;
}

export const gitSyncCommandInjection = {
  id: 'PAL-105',
  slug: 'git-sync-command-injection',
  title: 'git-sync configured to run an arbitrary command',
  description:
    'git-sync executes whatever binary `--git` (GITSYNC_GIT) names, and `--git-config` can set git options that run ' +
    'commands (core.sshCommand, core.fsmonitor, credential helpers). Whoever controls that configuration, for example ' +
    'through a Helm value or a ConfigMap, runs code inside the pod with its service account and mounted credentials.',
  remediation:
    'Remove GITSYNC_GIT / `--git` (and GIT_SYNC_GIT) so git-sync uses the git shipped in its image, and do not set ' +
    'command-executing keys through `--git-config`.',
  severity: 'high',
  category: 'configuration',
  kinds: POD_KINDS,
  equivalents: {
    checkov: ['CKV_K8S_159'],
  },
  evaluate({ pod }) {
    const out: CheckResult[] = [];
    for (const c of pod!.allContainers) {
      const env = c.container.env;
      if (Array.isArray(env)) {
        env.forEach((e, i) => {
          if (!isRecord(e) || typeof e.name !== 'string') return;
          if (GIT_BINARY_ENV.has(e.name)) {
            // An empty value leaves nothing to execute; a value from a ConfigMap or Secret cannot be vetted here
            // and puts the choice of binary in the hands of whoever edits that object.
            const literal = typeof e.value === 'string' ? e.value.trim() : '';
            if (literal === '' ? !isRecord(e.valueFrom) : STANDARD_GIT.has(literal)) return;
            const what = literal !== '' ? `to ${show(e.value)}` : `from ${source(e)}`;
            out.push(inContainer(c, ['env', i], `${describeContainer(c)} sets ${e.name} ${what}: git-sync will execute that binary instead of git`));
          } else if (GIT_CONFIG_ENV.has(e.name) && typeof e.value === 'string') {
            const m = EXECUTING_CONFIG.exec(e.value);
            if (m) out.push(inContainer(c, ['env', i, 'value'], `${describeContainer(c)} sets ${e.name} with ${m[2]}, which makes git run a command`));
          }
        });
      }
      // Flags are only read on git-sync's own image: `--git` means other things to other tools.
      const isGitSync = typeof c.container.image === 'string' && c.container.image.includes('git-sync');
      for (const field of isGitSync ? (['command', 'args'] as const) : []) {
        const list = c.container[field];
        if (!Array.isArray(list)) continue;
        list.forEach((a, i) => {
          if (typeof a !== 'string') return;
          const flag = /^--?(git|git-config)(?:=(.*))?$/.exec(a);
          if (!flag) return;
          const next = list[i + 1];
          const value = flag[2] ?? (typeof next === 'string' ? next : '');
          if (flag[1] === 'git') {
            if (STANDARD_GIT.has(value.trim())) return;
            out.push(inContainer(c, [field, i], `${describeContainer(c)} passes --git ${show(value)}: git-sync will execute that binary instead of git`));
          } else {
            const m = EXECUTING_CONFIG.exec(value);
            if (m) out.push(inContainer(c, [field, i], `${describeContainer(c)} passes --git-config with ${m[2]}, which makes git run a command`));
          }
        });
      }
    }
    return out;
  },
} satisfies Check;
