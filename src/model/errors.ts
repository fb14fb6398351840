/** Closed set of error codes; each one names a class of expected failure. */
export type ErrorCode =
  | 'E_READ'
  | 'E_YAML_SYNTAX'
  | 'E_JSON_SYNTAX'
  | 'E_NOT_K8S_OBJECT'
  | 'E_DOC_TOO_LARGE'
  | 'E_ALIAS_LIMIT'
  | 'E_DEPTH_LIMIT'
  | 'E_CONFIG'
  | 'E_FRAMEWORK'
  | 'E_UNKNOWN_CHECK'
  | 'E_USAGE'
  | 'E_CHECK_CRASH'
  /** Image inputs: a reference or path that names no readable image. */
  | 'E_IMAGE_SOURCE'
  /** Image inputs: the registry or store has no such manifest, tag or platform. */
  | 'E_IMAGE_NOT_FOUND'
  /** Image inputs: the registry refused the credentials, or asked for some that were not given. */
  | 'E_IMAGE_AUTH'
  /** Image inputs: network failure, timeout or server error that retries did not cure. */
  | 'E_IMAGE_NETWORK'
  /** Image inputs: malformed manifest, config, archive or layer, or an unsupported media type. */
  | 'E_IMAGE_FORMAT'
  /** Image inputs: a blob whose digest or size differs from its descriptor (tampered or truncated). */
  | 'E_IMAGE_DIGEST'
  /** Image inputs: a size limit (decompressed total, kept file, entries) was reached. */
  | 'E_IMAGE_LIMIT'
  /** SBOM inputs: a document that is not CycloneDX 1.4-1.6 or SPDX 2.2/2.3 JSON, or a malformed field. */
  | 'E_SBOM_FORMAT'
  /** Vulnerability scans: no vulnerability database where one was expected, or one that cannot be opened. */
  | 'E_VULN_DB_MISSING'
  /** Vulnerability database: a file written by another schema version of Palisade. */
  | 'E_VULN_DB_SCHEMA'
  /** Vulnerability database: a file that is not one, fails its integrity check, or does not match its checksum. */
  | 'E_VULN_DB_INVALID'
  /** Vulnerability database: another process is updating or replacing it. */
  | 'E_VULN_DB_LOCKED'
  /** Audit inputs: a line or document that is not a Kubernetes audit event in any supported log format. */
  | 'E_AUDIT_EVENT'
  /** Threat rules: a rule, list, macro or override file that does not validate or compile. */
  | 'E_THREAT_RULE'
  /** Audit store: a data file of a newer schema, or one that cannot be opened or written. */
  | 'E_AUDIT_STORE'
  /** Cluster inputs: no usable kubeconfig, context or in-cluster service account. */
  | 'E_CLUSTER_CONFIG'
  /** Cluster inputs: the API server refused a request (401 or 403); `palisade cluster preflight` says what to grant. */
  | 'E_CLUSTER_FORBIDDEN'
  /** Cluster inputs: the API server could not be reached or answered with an error. */
  | 'E_CLUSTER_API'
  /** CLI client: a Palisade server that cannot be reached, refused the request or answered with an error. */
  | 'E_SERVER_API';

/** Where an input problem was found. Lines and columns are 1-based. */
export interface SourcePosition {
  file: string;
  line?: number;
  column?: number;
  /** Field path, when the problem is about one field. */
  field?: string;
}

/** An input problem reported as a value: one bad document never stops the rest. */
export interface InputError extends SourcePosition {
  code: ErrorCode;
  message: string;
}

/** The one error class of the project; thrown only across boundaries that cannot return a value. */
export class PalisadeError extends Error {
  readonly code: ErrorCode;
  readonly position?: SourcePosition;
  constructor(code: ErrorCode, message: string, position?: SourcePosition) {
    super(position ? `${formatPosition(position)}: ${message}` : message);
    this.name = 'PalisadeError';
    this.code = code;
    this.position = position;
  }
}

/** `file:line:column (field)` for messages. */
export function formatPosition(p: SourcePosition): string {
  let s = p.file;
  if (p.line !== undefined) s += `:${p.line}`;
  if (p.line !== undefined && p.column !== undefined) s += `:${p.column}`;
  if (p.field) s += ` (${p.field})`;
  return s;
}
