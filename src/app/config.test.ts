import { describe, expect, it } from 'vitest';
import { PalisadeError } from '../model/errors.js';
import { parseConfig } from './config.js';

function errorOf(text: string): PalisadeError {
  try {
    parseConfig(text, 'palisade.yaml');
  } catch (e) {
    return e as PalisadeError;
  }
  throw new Error('expected an error');
}

describe('palisade.yaml', () => {
  it('accepts a full config and fills defaults', () => {
    const c = parseConfig(`# team defaults
parameters:
  trustedRegistries: [registry.example.com, ghcr.io/acme]
  allowedServicePorts: [443]
checks:
  disabled: [PAL-002]
  severity: {PAL-001: high}
exemptions:
  - checks: [privileged-container]
    namespace: kube-system
    reason: CNI needs it
    expires: 2027-01-31
failOn: high
`, 'palisade.yaml');
    expect(c.parameters.trustedRegistries).toEqual(['registry.example.com', 'ghcr.io/acme']);
    expect(c.exemptions[0]!.expires).toBe('2027-01-31');
    expect(c.annotationExemptions).toEqual({ enabled: true, foreign: true });
    expect(c.failOn).toBe('high');
  });

  it('names the file, line and field of a wrong value', () => {
    const e = errorOf(`parameters:\n  allowedServicePorts:\n    - 443\n    - https\n`);
    expect(e.code).toBe('E_CONFIG');
    expect(e.position).toMatchObject({ file: 'palisade.yaml', line: 4, field: 'parameters.allowedServicePorts[3]'.replace('[3]', '[1]') });
  });

  it('rejects unknown keys (a typo must not silently disable a setting)', () => {
    const e = errorOf(`parameters:\n  trustedRegistry: [x]\n`);
    expect(e.message).toMatch(/trustedRegistry/);
    expect(e.position?.line).toBe(1);
  });

  it('requires a reason on every exemption', () => {
    const e = errorOf(`exemptions:\n  - checks: [PAL-001]\n    namespace: x\n`);
    expect(e.position).toMatchObject({ line: 2, field: 'exemptions[0].reason' });
  });

  it('reports YAML syntax errors with a line', () => {
    const e = errorOf(`checks:\n  disabled: [a\n`);
    expect(e.code).toBe('E_CONFIG');
    expect(e.position?.line).toBeGreaterThan(0);
  });
});
