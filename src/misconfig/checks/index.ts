import type { Check } from '../check.js';
import { hostPid } from './host-pid.js';
import { privilegedContainer } from './privileged-container.js';
import { hostNetwork } from './host-network.js';
import { hostIpc } from './host-ipc.js';
import { hostPort } from './host-port.js';
import { hostPathVolume } from './host-path-volume.js';
import { hostPathNotAllowed } from './host-path-not-allowed.js';
import { containerRuntimeSocket } from './container-runtime-socket.js';
import { capabilityNotAllowed } from './capability-not-allowed.js';
import { capabilitiesNotDropped } from './capabilities-not-dropped.js';
import { sysAdminCapability } from './sys-admin-capability.js';
import { dangerousCapabilities } from './dangerous-capabilities.js';
import { netRawNotDropped } from './net-raw-not-dropped.js';
import { apparmorUnconfined } from './apparmor-unconfined.js';
import { apparmorProfileNotAllowed } from './apparmor-profile-not-allowed.js';
import { selinuxOptions } from './selinux-options.js';
import { procMount } from './proc-mount.js';
import { seccompUnconfined } from './seccomp-unconfined.js';
import { seccompProfileMissing } from './seccomp-profile-missing.js';
import { unsafeSysctls } from './unsafe-sysctls.js';
import { volumeTypeNotAllowed } from './volume-type-not-allowed.js';
import { privilegeEscalationAllowed } from './privilege-escalation-allowed.js';
import { runAsNonRootNotSet } from './run-as-non-root-not-set.js';
import { runAsRootUser } from './run-as-root-user.js';
import { rootUserAllowed } from './root-user-allowed.js';
import { windowsHostProcess } from './windows-host-process.js';
import { writableRootFilesystem } from './writable-root-filesystem.js';
import { lowUserGroupId } from './low-user-group-id.js';
import { linuxHardeningMissing } from './linux-hardening-missing.js';
import { podNotIsolatedByNetworkPolicy } from './pod-not-isolated-by-network-policy.js';
import { networkPolicySelectsNoPod } from './network-policy-selects-no-pod.js';
import { serviceSelectsNoPod } from './service-selects-no-pod.js';
import { ingressBackendNotFound } from './ingress-backend-not-found.js';
import { ingressWithoutTls } from './ingress-without-tls.js';
import { loadBalancerServiceExposed } from './load-balancer-service-exposed.js';
import { serviceTypeNodePort } from './service-type-node-port.js';
import { servicePortNotAllowed } from './service-port-not-allowed.js';
import { serviceExternalIps } from './service-external-ips.js';
import { defaultNamespace } from './default-namespace.js';
import { workloadWithoutPodDisruptionBudget } from './workload-without-pod-disruption-budget.js';
import { podDisruptionBudgetWithoutPolicy } from './pod-disruption-budget-without-policy.js';
import { podDisruptionBudgetBlocksEviction } from './pod-disruption-budget-blocks-eviction.js';
import { podDisruptionBudgetBlocksHpaMinimum } from './pod-disruption-budget-blocks-hpa-minimum.js';
import { hpaMinReplicasTooLow } from './hpa-min-replicas-too-low.js';
import { hpaCannotScale } from './hpa-cannot-scale.js';
import { hpaTargetNotFound } from './hpa-target-not-found.js';
import { hpaTargetSetsReplicas } from './hpa-target-sets-replicas.js';
import { statefulsetWithoutHeadlessService } from './statefulset-without-headless-service.js';
import { networkPolicyAllowsAll } from './network-policy-allows-all.js';
import { rbacWildcardRule } from './rbac-wildcard-rule.js';
import { rbacRoleAllowsExec } from './rbac-role-allows-exec.js';
import { rbacRoleAllowsEscalate } from './rbac-role-allows-escalate.js';
import { rbacRoleAllowsBind } from './rbac-role-allows-bind.js';
import { rbacRoleWritesAdmissionConfig } from './rbac-role-writes-admission-config.js';
import { rbacRoleApprovesCsr } from './rbac-role-approves-csr.js';
import { rbacBindingClusterAdmin } from './rbac-binding-cluster-admin.js';
import { rbacBindingAllowsExec } from './rbac-binding-allows-exec.js';
import { rbacBindingReadsSecrets } from './rbac-binding-reads-secrets.js';
import { rbacBindingAllowsImpersonate } from './rbac-binding-allows-impersonate.js';
import { rbacBindingWritesServiceStatus } from './rbac-binding-writes-service-status.js';
import { rbacBindingAllowsEscalation } from './rbac-binding-allows-escalation.js';
import { rbacBindingCreatesPods } from './rbac-binding-creates-pods.js';
import { rbacBindingDefaultServiceAccount } from './rbac-binding-default-service-account.js';
import { defaultServiceAccountAutomount } from './default-service-account-automount.js';
import { workloadDefaultServiceAccount } from './workload-default-service-account.js';
import { serviceAccountTokenAutomount } from './service-account-token-automount.js';
import { rbacBindingRoleNotFound } from './rbac-binding-role-not-found.js';
import { rbacBindingGrantsAnonymous } from './rbac-binding-grants-anonymous.js';
import { imageLatestTag } from './image-latest-tag.js';
import { imageNotPinnedByDigest } from './image-not-pinned-by-digest.js';
import { imagePullPolicyNotAlways } from './image-pull-policy-not-always.js';
import { imageFromUntrustedRegistry } from './image-from-untrusted-registry.js';
import { cpuLimitMissing } from './cpu-limit-missing.js';
import { memoryLimitMissing } from './memory-limit-missing.js';
import { cpuRequestMissing } from './cpu-request-missing.js';
import { memoryRequestMissing } from './memory-request-missing.js';
import { ephemeralStorageRequestLimitMissing } from './ephemeral-storage-request-limit-missing.js';
import { readinessProbeMissing } from './readiness-probe-missing.js';
import { livenessProbeMissing } from './liveness-probe-missing.js';
import { identicalLivenessReadinessProbes } from './identical-liveness-readiness-probes.js';
import { replicasBelowMinimum } from './replicas-below-minimum.js';
import { nakedPod } from './naked-pod.js';
import { priorityClassNotSet } from './priority-class-not-set.js';
import { topologySpreadConstraintsMissing } from './topology-spread-constraints-missing.js';
import { topologySpreadConstraintsInvalid } from './topology-spread-constraints-invalid.js';
import { replicasNotSpreadAcrossNodes } from './replicas-not-spread-across-nodes.js';
import { deprecatedApiVersion } from './deprecated-api-version.js';
import { invalidLabels } from './invalid-labels.js';
import { instanceLabelMismatch } from './instance-label-mismatch.js';
import { deploymentStrategyNotRolling } from './deployment-strategy-not-rolling.js';
import { selectorTemplateMismatch } from './selector-template-mismatch.js';
import { cronjobStartingDeadlineMissing } from './cronjob-starting-deadline-missing.js';
import { jobRestartPolicyInvalid } from './job-restart-policy-invalid.js';
import { duplicateEnvVar } from './duplicate-env-var.js';
import { invalidContainerPorts } from './invalid-container-ports.js';
import { cpuRequestsNotEqualLimits } from './cpu-requests-not-equal-limits.js';
import { memoryRequestsNotEqualLimits } from './memory-requests-not-equal-limits.js';
import { ephemeralStorageRequestNotEqualLimit } from './ephemeral-storage-request-not-equal-limit.js';
import { plaintextSecretInContainer } from './plaintext-secret-in-container.js';
import { secretAsEnvVar } from './secret-as-env-var.js';
import { sensitiveConfigmapContent } from './sensitive-configmap-content.js';
import { secretCommittedInManifest } from './secret-committed-in-manifest.js';
import { serviceAccountTokenSecret } from './service-account-token-secret.js';
import { gitSyncCommandInjection } from './git-sync-command-injection.js';
import { ingressNginxSnippetAnnotation } from './ingress-nginx-snippet-annotation.js';
import { ingressNginxSnippetLua } from './ingress-nginx-snippet-lua.js';
import { ingressNginxSnippetFileAccess } from './ingress-nginx-snippet-file-access.js';
import { ingressNginxSnippetsAllowed } from './ingress-nginx-snippets-allowed.js';
import { tillerDeployed } from './tiller-deployed.js';
import { kubernetesDashboardDeployed } from './kubernetes-dashboard-deployed.js';

/**
 * Every check, explicitly. A test compares this list with the folder, so a check file that is not
 * listed here (or an id used twice) fails the build.
 */
export const ALL_CHECKS: readonly Check[] = [
  // pod security (PAL-001..029)
  privilegedContainer,
  hostPid,
  hostNetwork,
  hostIpc,
  hostPort,
  hostPathVolume,
  hostPathNotAllowed,
  containerRuntimeSocket,
  capabilityNotAllowed,
  capabilitiesNotDropped,
  sysAdminCapability,
  dangerousCapabilities,
  netRawNotDropped,
  apparmorUnconfined,
  apparmorProfileNotAllowed,
  selinuxOptions,
  procMount,
  seccompUnconfined,
  seccompProfileMissing,
  unsafeSysctls,
  volumeTypeNotAllowed,
  privilegeEscalationAllowed,
  runAsNonRootNotSet,
  runAsRootUser,
  rootUserAllowed,
  windowsHostProcess,
  writableRootFilesystem,
  lowUserGroupId,
  linuxHardeningMissing,
  // images, resources, probes, reliability (PAL-030..059)
  imageLatestTag,
  imageNotPinnedByDigest,
  imagePullPolicyNotAlways,
  imageFromUntrustedRegistry,
  cpuLimitMissing,
  memoryLimitMissing,
  cpuRequestMissing,
  memoryRequestMissing,
  ephemeralStorageRequestLimitMissing,
  readinessProbeMissing,
  livenessProbeMissing,
  identicalLivenessReadinessProbes,
  replicasBelowMinimum,
  nakedPod,
  priorityClassNotSet,
  topologySpreadConstraintsMissing,
  topologySpreadConstraintsInvalid,
  replicasNotSpreadAcrossNodes,
  deprecatedApiVersion,
  invalidLabels,
  instanceLabelMismatch,
  deploymentStrategyNotRolling,
  selectorTemplateMismatch,
  cronjobStartingDeadlineMissing,
  jobRestartPolicyInvalid,
  duplicateEnvVar,
  invalidContainerPorts,
  cpuRequestsNotEqualLimits,
  memoryRequestsNotEqualLimits,
  ephemeralStorageRequestNotEqualLimit,
  // rbac and service accounts (PAL-060..079)
  rbacWildcardRule,
  rbacRoleAllowsExec,
  rbacRoleAllowsEscalate,
  rbacRoleAllowsBind,
  rbacRoleWritesAdmissionConfig,
  rbacRoleApprovesCsr,
  rbacBindingClusterAdmin,
  rbacBindingAllowsExec,
  rbacBindingReadsSecrets,
  rbacBindingAllowsImpersonate,
  rbacBindingWritesServiceStatus,
  rbacBindingAllowsEscalation,
  rbacBindingCreatesPods,
  rbacBindingDefaultServiceAccount,
  defaultServiceAccountAutomount,
  workloadDefaultServiceAccount,
  serviceAccountTokenAutomount,
  rbacBindingRoleNotFound,
  rbacBindingGrantsAnonymous,
  // network exposure and cross-resource (PAL-080..099)
  podNotIsolatedByNetworkPolicy,
  networkPolicySelectsNoPod,
  serviceSelectsNoPod,
  ingressBackendNotFound,
  ingressWithoutTls,
  loadBalancerServiceExposed,
  serviceTypeNodePort,
  servicePortNotAllowed,
  serviceExternalIps,
  defaultNamespace,
  workloadWithoutPodDisruptionBudget,
  podDisruptionBudgetWithoutPolicy,
  podDisruptionBudgetBlocksEviction,
  podDisruptionBudgetBlocksHpaMinimum,
  hpaMinReplicasTooLow,
  hpaCannotScale,
  hpaTargetNotFound,
  hpaTargetSetsReplicas,
  statefulsetWithoutHeadlessService,
  networkPolicyAllowsAll,
  // secrets and configuration (PAL-100..119)
  plaintextSecretInContainer,
  secretAsEnvVar,
  sensitiveConfigmapContent,
  secretCommittedInManifest,
  serviceAccountTokenSecret,
  gitSyncCommandInjection,
  ingressNginxSnippetAnnotation,
  ingressNginxSnippetLua,
  ingressNginxSnippetFileAccess,
  ingressNginxSnippetsAllowed,
  tillerDeployed,
  kubernetesDashboardDeployed,
];
