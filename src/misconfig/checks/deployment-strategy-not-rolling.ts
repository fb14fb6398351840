import { setField, show, type Check } from '../check.js';
import { describeServices, targetingOf } from './lib/workloads.js';

export const deploymentStrategyNotRolling = {
  id: 'PAL-051',
  slug: 'deployment-strategy-not-rolling',
  title: 'Deployment does not use the RollingUpdate strategy',
  description:
    'The Recreate strategy stops every old pod before starting new ones, so each rollout is an outage for the ' +
    'clients of the Deployment. When the input holds Services, only Deployments that a Service selects are checked.',
  remediation:
    'Use `strategy.type: RollingUpdate` (the default) unless the application cannot run two versions side by side ' +
    '(e.g. it holds a ReadWriteOnce volume); then exempt the Deployment with a reason.',
  severity: 'low',
  category: 'reliability',
  kinds: ['Deployment'],
  crossResource: true,
  equivalents: {
    kubeScore: ['deployment-strategy'],
    kubeLinter: ['no-rolling-update-strategy'],
  },
  appliesTo(ctx) {
    if (!ctx.pod) return false;
    const t = targetingOf(ctx);
    return !t.known || t.services.length > 0;
  },
  evaluate(ctx) {
    const strategy = (ctx.object.spec as { strategy?: unknown } | undefined)?.strategy;
    if (strategy === undefined || strategy === null) return [];
    const type = typeof strategy === 'object' ? (strategy as { type?: unknown }).type : strategy;
    if (type === undefined || type === null || type === 'RollingUpdate') return [];
    const t = targetingOf(ctx);
    const served = t.services.length > 0 ? `; clients of ${describeServices(t.services)} see an outage on every rollout` : '';
    return [{
      path: ['spec', 'strategy', 'type'],
      message: `Deployment uses strategy ${show(type)}${served}`,
      fix: setField(['spec', 'strategy', 'type'], 'RollingUpdate', 'set strategy.type to RollingUpdate'),
    }];
  },
} satisfies Check;
