import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../inputs/manifests/parse.js';
import { evaluate } from '../engine.js';
import { resolveParameters } from '../parameters.js';
import { deprecatedApiVersion } from './deprecated-api-version.js';
import type { CheckContext } from '../check.js';

function messages(yaml: string, kubernetesVersion: string): string[] {
  const parsed = parseManifestText('test.yaml', yaml);
  const r = evaluate(parsed.resources, { checks: [deprecatedApiVersion], params: resolveParameters({ kubernetesVersion }), annotationExemptions: 'off' });
  return r.findings.map((f) => f.message);
}

const cronjob = 'apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\nspec: {schedule: "* * * * *"}\n';
const statefulset = 'apiVersion: apps/v1beta1\nkind: StatefulSet\nmetadata: {name: s}\nspec: {}\n';

describe('deprecated-api-version and parameters.kubernetesVersion', () => {
  it('reports only what the target version has deprecated', () => {
    expect(messages(cronjob, '1.18')).toEqual([]);
    expect(messages(cronjob, '1.21')).toEqual(['CronJob apiVersion "batch/v1beta1" is deprecated since Kubernetes 1.21 and removed in 1.25; use batch/v1']);
    expect(messages(cronjob, 'v1.30.2')[0]).toContain('was removed in Kubernetes 1.25');
    expect(messages(statefulset, '1.4')).toEqual([]);
    expect(messages(statefulset, '1.18')).toHaveLength(1);
  });
  it('treats latest as every deprecation so far', () => {
    expect(messages(cronjob, 'latest')).toHaveLength(1);
  });
  it('ignores prototype keys in apiVersion and kind', () => {
    const params = resolveParameters(undefined);
    for (const [apiVersion, kind] of [['constructor', 'name'], ['batch/v1beta1', 'constructor'], ['__proto__', 'toString']]) {
      const object = { apiVersion, kind, metadata: { name: 'x' } };
      const ctx = { object, params } as unknown as CheckContext;
      expect(deprecatedApiVersion.evaluate(ctx)).toEqual([]);
    }
  });
});
