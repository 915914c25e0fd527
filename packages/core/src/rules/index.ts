export * from './types.ts';
export { checkFieldPath, EVENT_FIELD_ROOTS, type FieldPathCheck } from './field-path.ts';
export { compileRules, compileCondition, compareGroups, CompiledRules, type EventTest } from './compile.ts';
export { evaluateRules } from './engine.ts';
export { validateRuleGroup, RULE_GROUP_LIMITS, type RuleValidationContext, type RuleGroupValidation } from './validate.ts';
export { schemaPath, type SchemaPathResult } from './schema-path.ts';
