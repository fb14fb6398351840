import { X509Certificate } from 'node:crypto';
import jsYaml from 'js-yaml';
import { GRANT_NAME } from '../inputs/cluster/index.js';
import type { ConnectorRow } from '../storage/store.js';
import type { SecretBox } from './secrets.js';

/** Who Palisade's access was granted to, as far as the stored credentials tell. */
export interface AccessSubject {
  kind: 'ServiceAccount' | 'User';
  name: string;
  namespace?: string;
  /** `token`: read from the kubeconfig's service-account token; `certificate`: its client certificate; `default`: the subject the preflight's grant names; `in-cluster`: the server's own service account. */
  from: 'token' | 'certificate' | 'default' | 'in-cluster';
}

/** What to do, outside Palisade, to remove the access Palisade had: exact commands, YAML, and notes. */
export interface AccessRemoval {
  kind: string;
  subject?: AccessSubject;
  /** Shell commands, in order. */
  commands: string[];
  /** The objects to delete, for `kubectl delete -f - --ignore-not-found`. */
  yaml?: string;
  notes: string[];
}

/** The subject the preflight's printed grant binds when none is given (`palisade cluster preflight`). */
const GRANT_SUBJECT = { name: 'palisade', namespace: 'palisade' };

/** A word safe to paste in a POSIX shell as is, else single-quoted. */
function shq(s: string): string {
  return /^[A-Za-z0-9._:/@=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The service account a Kubernetes service-account token (a JWT) was issued to; the signature is not checked, only the claims read. */
export function serviceAccountOfToken(token: string): { name: string; namespace: string; secretName?: string } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const k8s = claims['kubernetes.io'] as { namespace?: string; serviceaccount?: { name?: string } } | undefined;
  const sub = typeof claims.sub === 'string' ? /^system:serviceaccount:([^:]+):([^:]+)$/.exec(claims.sub) : null;
  const namespace = k8s?.namespace ?? (claims['kubernetes.io/serviceaccount/namespace'] as string | undefined) ?? sub?.[1];
  const name = k8s?.serviceaccount?.name ?? (claims['kubernetes.io/serviceaccount/service-account.name'] as string | undefined) ?? sub?.[2];
  if (!namespace || !name) return undefined;
  // Long-lived tokens of a Secret (before Kubernetes 1.24) name it: delete it with the account.
  const secretName = claims['kubernetes.io/serviceaccount/secret.name'] as string | undefined;
  return { name, namespace, ...(secretName ? { secretName } : {}) };
}

interface KubeUser {
  token?: string;
  'client-certificate-data'?: string;
  exec?: { command?: string };
  'auth-provider'?: { name?: string };
}

/** The user entry of a kubeconfig's context (the current one when none is named). */
function kubeconfigUser(text: string, context: string | undefined): { name?: string; user?: KubeUser } {
  try {
    const kc = jsYaml.load(text) as { 'current-context'?: string; contexts?: Array<{ name: string; context?: { user?: string } }>; users?: Array<{ name: string; user?: KubeUser }> } | undefined;
    const ctx = kc?.contexts?.find((c) => c.name === (context ?? kc['current-context']));
    const name = ctx?.context?.user;
    return { name, user: kc?.users?.find((u) => u.name === name)?.user };
  } catch {
    return {};
  }
}

/** The subject of a client certificate: its common name (the Kubernetes user name). */
function certificateUser(data: string): string | undefined {
  try {
    const cn = /(?:^|\n)CN=([^\n]+)/.exec(new X509Certificate(Buffer.from(data, 'base64')).subject)?.[1];
    return cn?.trim() || undefined;
  } catch {
    return undefined;
  }
}

function clusterRemoval(c: ConnectorRow, secrets: Record<string, unknown> | undefined): AccessRemoval {
  const context = typeof c.config.context === 'string' ? c.config.context : undefined;
  const inCluster = c.config.inCluster === true;
  const notes: string[] = [];
  let subject: AccessSubject;
  let tokenSecret: string | undefined;
  if (inCluster) {
    subject = { kind: 'ServiceAccount', ...GRANT_SUBJECT, from: 'in-cluster' };
    notes.push("The connector used the Palisade server's own service account: its binding and role go, the account itself goes with the Palisade deployment (it may serve other purposes until then).");
  } else {
    const { user } = kubeconfigUser(typeof secrets?.kubeconfig === 'string' ? secrets.kubeconfig : '', context);
    const sa = user?.token ? serviceAccountOfToken(user.token) : undefined;
    const cn = user?.['client-certificate-data'] ? certificateUser(user['client-certificate-data']) : undefined;
    if (sa) {
      subject = { kind: 'ServiceAccount', name: sa.name, namespace: sa.namespace, from: 'token' };
      tokenSecret = sa.secretName;
    } else if (cn) {
      subject = { kind: 'User', name: cn, from: 'certificate' };
      notes.push(`The connector authenticated with a client certificate for user "${cn}": Kubernetes cannot revoke a certificate, so delete the bindings below and let the certificate expire (or rotate the cluster's client CA).`);
    } else {
      subject = { kind: 'ServiceAccount', ...GRANT_SUBJECT, from: 'default' };
      const how = user?.exec?.command ? `an exec plugin (${user.exec.command})` : user?.['auth-provider']?.name ? `the ${user['auth-provider'].name} auth provider` : secrets ? 'credentials that do not name their account' : 'credentials that could no longer be read';
      notes.push(`The connector authenticated through ${how}: the commands name the service account of the printed grant (${GRANT_SUBJECT.namespace}/${GRANT_SUBJECT.name}); if the grant was bound to another subject, delete that one, and revoke the identity at its provider.`);
    }
  }
  const names = [GRANT_NAME, `${GRANT_NAME}-secrets`];
  const kubectl = `kubectl${context && !inCluster ? ` --context ${shq(context)}` : ''}`;
  const commands = [`${kubectl} delete clusterrolebinding ${names.join(' ')} --ignore-not-found`, `${kubectl} delete clusterrole ${names.join(' ')} --ignore-not-found`];
  const objects: Array<Record<string, unknown>> = names.flatMap((name) => [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name } },
  ]);
  if (subject.kind === 'ServiceAccount' && subject.from !== 'in-cluster') {
    commands.push(`${kubectl} -n ${shq(subject.namespace!)} delete serviceaccount ${shq(subject.name)} --ignore-not-found`);
    objects.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: subject.name, namespace: subject.namespace } });
    if (tokenSecret) {
      commands.push(`${kubectl} -n ${shq(subject.namespace!)} delete secret ${shq(tokenSecret)} --ignore-not-found`);
      objects.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: tokenSecret, namespace: subject.namespace } });
    }
  }
  notes.push(`${GRANT_NAME}-secrets exists only where the Secrets grant was applied; --ignore-not-found makes the commands safe either way. Check afterwards: ${kubectl} auth can-i list pods --all-namespaces --as=${subject.kind === 'ServiceAccount' ? `system:serviceaccount:${subject.namespace}:${subject.name}` : shq(subject.name)} (answers "no").`);
  const yaml = jsYaml.dump({ apiVersion: 'v1', kind: 'List', items: objects }, { lineWidth: -1 });
  return { kind: 'cluster', subject, commands, yaml, notes };
}

function registryRemoval(c: ConnectorRow, secrets: Record<string, unknown> | undefined): AccessRemoval {
  const url = typeof c.config.url === 'string' ? c.config.url : String(c.config.host ?? 'the registry');
  const auth = secrets?.auth as { username?: string; token?: string } | undefined;
  const who = auth?.username ? `the account "${auth.username}"` : auth?.token ? 'the access token Palisade was given' : 'the credentials Palisade was given (none were stored, or they could no longer be read)';
  return {
    kind: 'registry',
    commands: [],
    notes: [
      `Delete or disable ${who} at ${url}: a robot account (Harbor: Administration > Robot Accounts; Quay: robot accounts of the organisation), a deploy or access token (GitLab, GitHub: revoke it in the token settings; Docker Hub: Account settings > Personal access tokens), or the IAM identity that read the registry (ECR, Artifact Registry, ACR).`,
      'Palisade has destroyed its copy of the credentials; revoking them at the registry is what stops anyone else from using a copy.',
    ],
  };
}

/**
 * What to remove outside Palisade once a connector is offboarded, derived from the grant the preflight
 * prints (`palisade-read` and `palisade-read-secrets`, bound to the account of the stored credentials) for
 * clusters, and the robot account or token for registries. Reads the sealed credentials, when the box can
 * open them, only to name the account: nothing secret is returned.
 */
export function accessRemovalOf(c: ConnectorRow, box: SecretBox | undefined): AccessRemoval {
  let secrets: Record<string, unknown> | undefined;
  if (c.secrets && box) {
    try {
      secrets = JSON.parse(box.open(c.secrets, c.id)) as Record<string, unknown>;
    } catch {
      secrets = undefined;
    }
  }
  if (c.kind === 'cluster') return clusterRemoval(c, secrets);
  if (c.kind === 'registry') return registryRemoval(c, secrets);
  return { kind: c.kind, commands: [], notes: [`Revoke, where it was issued, whatever access was given to Palisade for this ${c.kind} connector.`] };
}
