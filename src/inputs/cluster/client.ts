import { createConfiguration, HttpMethod, KubeConfig, ServerConfiguration, type Configuration } from '@kubernetes/client-node';
import { PalisadeError } from '../../model/errors.js';

/** Where the cluster's credentials come from. */
export interface ClusterAccess {
  /** kubeconfig file (default: `KUBECONFIG`, then ~/.kube/config, then the in-cluster service account). */
  kubeconfig?: string;
  /** kubeconfig content, when it is not in a file (a connector's stored credentials); wins over `kubeconfig`. */
  kubeconfigText?: string;
  /** Context of the kubeconfig (default: its current context). */
  context?: string;
  /** Use the pod's service account (token and CA under /var/run/secrets/kubernetes.io/serviceaccount). */
  inCluster?: boolean;
}

/** A loaded kubeconfig and the name Palisade gives the cluster in `cluster://` sources. */
export interface LoadedKubeConfig {
  kc: KubeConfig;
  /** The context name, or `in-cluster`. */
  context: string;
  server: string;
}

/** Loads the kubeconfig (file and context) or the in-cluster configuration; errors name what to fix. */
export function loadKubeConfig(access: ClusterAccess = {}): LoadedKubeConfig {
  const kc = new KubeConfig();
  try {
    if (access.inCluster) kc.loadFromCluster();
    else if (access.kubeconfigText !== undefined) kc.loadFromString(access.kubeconfigText);
    else if (access.kubeconfig) kc.loadFromFile(access.kubeconfig);
    else kc.loadFromDefault();
  } catch (e) {
    const where = access.inCluster ? 'the in-cluster service account' : access.kubeconfigText !== undefined ? 'the kubeconfig given' : access.kubeconfig ? `kubeconfig ${access.kubeconfig}` : 'the default kubeconfig';
    throw new PalisadeError('E_CLUSTER_CONFIG', `cannot load ${where}: ${(e as Error).message}`);
  }
  if (access.context) {
    if (!kc.getContextObject(access.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new PalisadeError('E_CLUSTER_CONFIG', `context "${access.context}" is not in the kubeconfig; known contexts: ${known.join(', ') || '(none)'}`);
    }
    kc.setCurrentContext(access.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new PalisadeError('E_CLUSTER_CONFIG', 'the kubeconfig names no cluster for its current context: pass --kubeconfig and --context, or run inside a cluster');
  }
  return { kc, context: access.inCluster ? 'in-cluster' : kc.getCurrentContext() || 'in-cluster', server: cluster.server };
}

/** A JSON answer of the API server. */
export interface ApiAnswer {
  status: number;
  body: unknown;
}

/** A Kubernetes `Status` object, as the API server sends with errors. */
export interface ApiStatus {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
}

/**
 * Raw JSON requests through the client library's own HTTP stack (kubeconfig authentication: tokens, client
 * certificates, exec plugins, custom CAs). Lists and reads go through here rather than the typed API
 * classes because those rebuild every object from the client's model classes: fields the model does not know
 * are dropped, some are renamed (`ipBlock.except` becomes `_except`) and timestamps become Dates, while the
 * posture checks must see objects exactly as the API server sends them (as `kubectl get -o yaml` shows them).
 */
export class KubeHttp {
  /** The client's configuration, for the typed API classes (same server and authentication). */
  readonly config: Configuration;

  constructor(readonly loaded: LoadedKubeConfig) {
    this.config = createConfiguration({ baseServer: new ServerConfiguration(loaded.server, {}), authMethods: { default: loaded.kc } });
  }

  /** Sends a request and parses the JSON answer (also for error statuses); network failures throw E_CLUSTER_API. */
  async request(method: 'GET' | 'POST', path: string, query: Record<string, string | number | undefined> = {}, opts: { accept?: string; body?: unknown } = {}): Promise<ApiAnswer> {
    const ctx = this.config.baseServer.makeRequestContext(path, method === 'GET' ? HttpMethod.GET : HttpMethod.POST);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) ctx.setQueryParam(k, String(v));
    ctx.setHeaderParam('Accept', opts.accept ?? 'application/json');
    if (opts.body !== undefined) {
      ctx.setHeaderParam('Content-Type', 'application/json');
      ctx.setBody(JSON.stringify(opts.body));
    }
    await this.loaded.kc.applySecurityAuthentication(ctx);
    let text: string;
    let status: number;
    try {
      const res = await this.config.httpApi.send(ctx).toPromise();
      status = res.httpStatusCode;
      text = await res.body.text();
    } catch (e) {
      throw new PalisadeError('E_CLUSTER_API', `cannot reach the API server ${this.loaded.server}: ${(e as Error).message}`);
    }
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = { message: text.slice(0, 200) };
    }
    return { status, body };
  }
}

/**
 * What {@link ClusterConnector} reads a cluster through: the API server ({@link KubeHttp}), or a saved
 * snapshot answering the same list and get requests. Only a live cluster has a KubeConfig, for watches.
 */
export interface KubeApi {
  readonly loaded: Pick<LoadedKubeConfig, 'context' | 'server'> & { kc?: KubeConfig };
  request: KubeHttp['request'];
}

/** Turns an error answer into a PalisadeError whose message says what to do. */
export function answerError(what: string, a: ApiAnswer): PalisadeError {
  const st = (a.body ?? {}) as ApiStatus;
  const msg = st.message ?? `HTTP ${a.status}`;
  if (a.status === 401) return new PalisadeError('E_CLUSTER_FORBIDDEN', `${what}: the API server did not accept the credentials (401 ${msg}); check the kubeconfig user or token`);
  if (a.status === 403) return new PalisadeError('E_CLUSTER_FORBIDDEN', `${what}: ${msg}; run \`palisade cluster preflight\` for the read-only ClusterRole to grant`);
  return new PalisadeError('E_CLUSTER_API', `${what}: the API server answered ${a.status}: ${msg}`);
}
