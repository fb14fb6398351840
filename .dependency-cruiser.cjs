/**
 * The import direction of docs/development/architecture.md: cli, api -> app -> engines and storage -> model.
 * Engines (misconfig, vuln, threats, compliance, report) never import each other; model imports nothing.
 * Tests (*.test.ts) may import across layers to build fixtures.
 */
const engines = ['misconfig', 'vuln', 'threats', 'compliance', 'report'];
const notTest = '\\.test\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'model-is-a-leaf',
      comment: 'src/model holds shared types and schemas only; it imports nothing else of the project.',
      severity: 'error',
      from: { path: '^src/model/', pathNot: notTest },
      to: { path: '^src/(?!model/)' },
    },
    ...engines.map((engine) => ({
      name: `${engine}-is-an-engine`,
      comment: `${engine} is an engine: it may import only src/model and itself (no other engine, no app/cli/api/inputs/storage).`,
      severity: 'error',
      from: { path: `^src/${engine}/`, pathNot: notTest },
      to: { path: `^src/(?!model/|${engine}/)` },
    })),
    {
      name: 'inputs-depend-on-model-only',
      severity: 'error',
      from: { path: '^src/inputs/', pathNot: notTest },
      to: { path: '^src/(?!model/|inputs/)' },
    },
    {
      name: 'sinks-depend-on-model-only',
      comment: 'Alert sinks deliver alerts (network, files); app/ builds them from the config.',
      severity: 'error',
      from: { path: '^src/sinks/', pathNot: notTest },
      to: { path: '^src/(?!model/|sinks/)' },
    },
    {
      name: 'storage-depends-on-model-only',
      severity: 'error',
      from: { path: '^src/storage/', pathNot: notTest },
      to: { path: '^src/(?!model/|storage/)' },
    },
    {
      name: 'app-is-not-imported-by-engines-or-below',
      comment: 'Only cli and api call app.',
      severity: 'error',
      from: { path: '^src/(model|inputs|storage|sinks|misconfig|vuln|threats|compliance|report)/', pathNot: notTest },
      to: { path: '^src/(app|cli|api)/' },
    },
    {
      name: 'api-sees-only-the-store-port',
      comment: 'Routes call app/ and read through the Store interface; which database backs it is app/serve.ts\'s choice.',
      severity: 'error',
      from: { path: '^src/api/', pathNot: notTest },
      to: { path: '^src/storage/(?!store\\.ts$)' },
    },
    {
      name: 'cli-and-api-are-entry-points',
      severity: 'error',
      from: { path: '^src/(?!cli/|api/)' , pathNot: notTest },
      to: { path: '^src/(cli|api)/' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '__fixtures__' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
