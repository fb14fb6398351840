import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../inputs/manifests/parse.js';
import type { Check } from '../check.js';
import { evaluate } from '../engine.js';
import { resolveParameters } from '../parameters.js';
import type { Parameters } from '../../model/config.js';
import { ALL_CHECKS } from './index.js';
import { apparmorProfileNotAllowed } from './apparmor-profile-not-allowed.js';
import { capabilityNotAllowed } from './capability-not-allowed.js';
import { hostPathNotAllowed } from './host-path-not-allowed.js';
import { hostPort } from './host-port.js';
import { runAsNonRootNotSet } from './run-as-non-root-not-set.js';
import { seccompProfileMissing } from './seccomp-profile-missing.js';

/** The pod-security section of the registry (PAL-001..029). */
const POD_SECURITY = ALL_CHECKS.filter((c) => Number(c.id.slice(4)) <= 29);

function run(check: Check, yaml: string, params?: Parameters) {
  const parsed = parseManifestText('test.yaml', yaml);
  expect(parsed.errors).toEqual([]);
  const result = evaluate(parsed.resources, { checks: [check], params: resolveParameters(params), annotationExemptions: 'off', now: new Date('2026-06-01T00:00:00Z'), listApplied: true });
  expect(result.errors).toEqual([]);
  return { findings: result.findings, applied: result.outcomes.get(check.id)!.applied };
}

const hostPathPod = (path: string) => `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: c, image: busybox:1.36}]
  volumes:
    - name: v
      hostPath: {path: "${path}"}
`;

describe('parameterised pod-security checks', () => {
  it('host-port accepts the ports listed in allowedHostPorts only', () => {
    const yaml = `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: c
      image: agent:1
      ports: [{containerPort: 9100, hostPort: 9100}, {containerPort: 80, hostPort: 8080}]
`;
    expect(run(hostPort, yaml).findings).toHaveLength(2);
    const { findings } = run(hostPort, yaml, { allowedHostPorts: [9100] });
    expect(findings.map((f) => f.path)).toEqual(['spec.containers[0].ports[1].hostPort']);
    expect(findings[0]!.message).toContain('8080');
  });

  it('host-path-not-allowed matches allowed paths segment by segment, after normalisation', () => {
    const params = { allowedHostPaths: ['/var/log/'] };
    expect(run(hostPathNotAllowed, hostPathPod('/var/log'), params).findings).toEqual([]);
    expect(run(hostPathNotAllowed, hostPathPod('/var/log/pods'), params).findings).toEqual([]);
    expect(run(hostPathNotAllowed, hostPathPod('/var/logs'), params).findings).toHaveLength(1);
    expect(run(hostPathNotAllowed, hostPathPod('/var/log/../../etc'), params).findings).toHaveLength(1);
    // The default empty list allows no host path at all.
    expect(run(hostPathNotAllowed, hostPathPod('/var/log'), {}).findings).toHaveLength(1);
  });

  it('capability-not-allowed follows allowedCapabilities (empty list: no capability may be added)', () => {
    const yaml = `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: c
      image: web:1
      securityContext: {capabilities: {add: [NET_BIND_SERVICE, CAP_SYS_TIME]}}
`;
    const byDefault = run(capabilityNotAllowed, yaml).findings;
    expect(byDefault.map((f) => f.path)).toEqual(['spec.containers[0].securityContext.capabilities.add[1]']);
    expect(byDefault[0]!.fix?.operations).toEqual([{ op: 'replace', path: ['spec', 'containers', 0, 'securityContext', 'capabilities', 'add'], value: ['NET_BIND_SERVICE'] }]);
    expect(run(capabilityNotAllowed, yaml, { allowedCapabilities: ['SYS_TIME', 'NET_BIND_SERVICE'] }).findings).toEqual([]);
    expect(run(capabilityNotAllowed, yaml, { allowedCapabilities: [] }).findings).toHaveLength(2);
  });

  it('apparmor-profile-not-allowed matches annotation and field forms, with globs', () => {
    const yaml = `
apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    container.apparmor.security.beta.kubernetes.io/a: localhost/k8s-nginx
spec:
  containers:
    - {name: a, image: web:1}
    - name: b
      image: web:1
      securityContext: {appArmorProfile: {type: Localhost, localhostProfile: custom}}
`;
    expect(run(apparmorProfileNotAllowed, yaml).findings).toEqual([]);
    const narrowed = run(apparmorProfileNotAllowed, yaml, { allowedAppArmorProfiles: ['localhost/k8s-*'] }).findings;
    expect(narrowed).toHaveLength(1);
    expect(narrowed[0]!.container).toBe('b');
    expect(narrowed[0]!.message).toContain('"localhost/custom"');
  });
});

describe('pod and container security context inheritance', () => {
  it('run-as-non-root-not-set fixes the pod when nothing is set, and the container that overrides it', () => {
    const yaml = `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - {name: a, image: web:1}
    - {name: b, image: web:1, securityContext: {runAsNonRoot: false}}
`;
    const { findings } = run(runAsNonRootNotSet, yaml);
    expect(findings.map((f) => [f.container, f.path])).toEqual([
      ['a', 'spec.containers[0].securityContext.runAsNonRoot'],
      ['b', 'spec.containers[1].securityContext.runAsNonRoot'],
    ]);
    expect(findings[0]!.fix?.operations[0]).toEqual({ op: 'add', path: ['spec', 'securityContext', 'runAsNonRoot'], value: true });
    expect(findings[1]!.fix?.operations[0]).toEqual({ op: 'add', path: ['spec', 'containers', 1, 'securityContext', 'runAsNonRoot'], value: true });
  });

  it('seccomp-profile-missing reports the inherited pod value at the pod field', () => {
    const yaml = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      securityContext: {seccompProfile: {type: Unconfined}}
      containers:
        - {name: a, image: web:1}
        - {name: b, image: web:1, securityContext: {seccompProfile: {type: RuntimeDefault}}}
`;
    const { findings } = run(seccompProfileMissing, yaml);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.path).toBe('spec.template.spec.securityContext.seccompProfile.type');
    expect(findings[0]!.container).toBe('a');
  });

  it('Linux-only restricted controls do not apply to Windows pods', () => {
    const yaml = `
apiVersion: v1
kind: Pod
metadata: {name: w}
spec:
  os: {name: windows}
  containers: [{name: iis, image: iis:ltsc2022}]
`;
    expect(run(seccompProfileMissing, yaml).applied).toEqual([]);
    expect(run(runAsNonRootNotSet, yaml).applied).toEqual(['Pod/w']);
  });
});

describe('malformed input', () => {
  const malformed = `
apiVersion: v1
kind: Pod
metadata:
  name: odd
  annotations: "not a map"
spec:
  securityContext: "runAsUser:65534"
  volumes: {name: v, hostPath: /var/run/docker.sock}
  containers:
    - name: a
      image: web:1
      ports: {containerPort: 80}
      securityContext:
        capabilities: {add: SYS_ADMIN, drop: [1, null, {x: 1}]}
        seLinuxOptions: [spc_t]
        seccompProfile: Unconfined
        appArmorProfile: {type: 7}
        windowsOptions: true
        runAsUser: "0"
    - null
    - "just a string"
---
apiVersion: v1
kind: Pod
metadata: {name: odd2}
spec:
  securityContext: {sysctls: [null, {name: 5}], seLinuxOptions: {type: 3}}
  volumes: [null, "x", {name: v, hostPath: null}, {name: w, hostPath: {path: 42}}]
  containers:
    - {name: a, image: web:1, securityContext: null, ports: [null, {hostPort: "8080"}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: empty}
spec:
  jobTemplate:
    spec: null
`;

  it('never throws on fields of the wrong type', () => {
    const parsed = parseManifestText('odd.yaml', malformed);
    const result = evaluate(parsed.resources, { checks: POD_SECURITY, annotationExemptions: 'off', now: new Date('2026-06-01T00:00:00Z') });
    expect(result.errors.filter((e) => !/PAL-00[12]\b/.test(e.message))).toEqual([]);
  });
});
