/** What the manifest benchmarks scan with: every check of the registry, one trusted-registry list, two config exemptions. */
export const BENCH_CONFIG = {
  parameters: { trustedRegistries: ['registry.example.com', '*.azurecr.io', 'ghcr.io/acme'] },
  exemptions: [
    { checks: ['PAL-043'], namespace: 'data-*', reason: 'batch namespaces are not latency critical' },
    { checks: ['priority-class-not-set'], kind: 'CronJob', name: '*-backup-*', reason: 'backups run at the default priority' },
  ],
};

/** A fixed clock: reports (and exemption expiry) do not depend on when the bench runs. */
export const BENCH_NOW = new Date('2026-01-15T12:00:00Z');
