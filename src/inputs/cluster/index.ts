export { loadKubeConfig, KubeHttp, answerError, type ClusterAccess, type KubeApi, type LoadedKubeConfig } from './client.js';
export { ClusterConnector, ClusterMirror, ExpiredError, rvKey, type ClusterChange, type ClusterScope, type ClusterSnapshot, type MirrorOptions } from './connector.js';
export { CLUSTER_KINDS, CLUSTER_VERBS, apiVersionOf, kindsFor, readsData, type ClusterFeature, type ClusterKind, type ClusterVerb } from './kinds.js';
export { clusterSource, normalizeObject, objectYaml, toResource, LAST_APPLIED } from './normalize.js';
export { GRANT_NAME, grantRules, grantYaml, rulesAllow, runPreflight, type ExtraGrant, type GrantSubject, type PermissionCheck, type PreflightOptions, type PreflightResult } from './preflight.js';
export { SnapshotFile } from './snapshot-file.js';
