import type { Parameters } from '../model/config.js';

/** Parameters with every allow-list filled in. */
export type ResolvedParameters = Required<Parameters>;

/**
 * Defaults of the parameterised checks. They follow Microsoft Defender for Containers' policy defaults
 * and the Pod Security Standards where those define a list; teams override them in palisade.yaml.
 */
export const DEFAULT_PARAMETERS: ResolvedParameters = {
  // Empty means "not configured": the trusted-registry check (PAL-033) then does not run at all.
  // Entries are registry hosts (`registry.example.com`), host/path prefixes (`ghcr.io/acme`) or host
  // wildcards (`*.azurecr.io`); an image that names no registry comes from `docker.io`.
  trustedRegistries: [],
  // Pod Security Standards baseline: the capabilities a container may add.
  allowedCapabilities: ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'],
  allowedAppArmorProfiles: ['runtime/default', 'localhost/*', 'RuntimeDefault', 'Localhost'],
  allowedServicePorts: [80, 443, 8080, 8443],
  allowedHostPaths: [],
  allowedHostPorts: [],
  // CVE-2020-8554: externalIPs let a Service capture traffic for any address; none allowed until listed.
  allowedExternalIPs: [],
  minReplicas: 2,
  // Key names (env vars, ConfigMap keys) that hold credentials; case-insensitive regular expressions.
  // Covers Polaris' sensitive names (AWS_SECRET_ACCESS_KEY, AZURE_*KEY, OCI_CLI_KEY_CONTENT, bearer).
  secretKeyPatterns: [
    'password', 'passwd', 'secret', 'token', 'bearer', 'api[_-]?key', 'access[_-]?key', 'private[_-]?key',
    'credentials?', 'auth[_-]?(key|header)', 'basic[_-]?auth', 'htpasswd', 'connection[_-]?string',
    '^azure_.+key$', '^oci_cli_key_content$',
  ],
  // `latest`: every API version deprecated in any release so far is reported (PAL-048).
  kubernetesVersion: 'latest',
};

/** Merges user parameters over the defaults. */
export function resolveParameters(p: Parameters | undefined): ResolvedParameters {
  return { ...DEFAULT_PARAMETERS, ...(p ?? {}) } as ResolvedParameters;
}
