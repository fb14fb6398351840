import type { Parameters } from '../model/config.js';

/** Parameters with every allow-list filled in. */
export type ResolvedParameters = Required<Parameters>;

/**
 * Defaults of the parameterised checks. They follow Microsoft Defender for Containers' policy defaults
 * and the Pod Security Standards where those define a list; teams override them in palisade.yaml.
 */
export const DEFAULT_PARAMETERS: ResolvedParameters = {
  // Empty means "not configured": the trusted-registry check then only passes digests from no registry,
  // so it reports every image until the team lists its registries.
  trustedRegistries: [],
  // Pod Security Standards baseline: the capabilities a container may add.
  allowedCapabilities: ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'],
  allowedAppArmorProfiles: ['runtime/default', 'localhost/*', 'RuntimeDefault', 'Localhost'],
  allowedServicePorts: [80, 443, 8080, 8443],
  allowedHostPaths: [],
  allowedHostPorts: [],
  minReplicas: 2,
  secretKeyPatterns: ['password', 'passwd', 'secret', 'token', 'api[_-]?key', 'access[_-]?key', 'private[_-]?key', 'credentials?', 'auth'],
};

/** Merges user parameters over the defaults. */
export function resolveParameters(p: Parameters | undefined): ResolvedParameters {
  return { ...DEFAULT_PARAMETERS, ...(p ?? {}) } as ResolvedParameters;
}
