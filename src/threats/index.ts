export { createRuleEnvironment, RULE_FUNCTIONS } from './cel.js';
export { compileRuleSet, type CompiledRule, type RuleSet, type RuleSource } from './compile.js';
export { buildContext, CONTEXT_VARIABLES, imageRepository } from './context.js';
export { dedupeAlerts } from './dedupe.js';
export { ThreatEngine, type EngineStats } from './engine.js';
export { ipInRanges, isIpOrCidr } from './ip.js';
export { overrideFileSchema, ruleDefSchema, ruleFileSchema, type OverrideFile, type ResolvedOverride, type RuleDef } from './rule-schema.js';
export { ALL_DETECTORS, type Detector } from './detectors/index.js';
