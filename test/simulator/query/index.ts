export type { Condition, Group, Item, Operator, OrderKey, ParsedQuery } from './ast';
export { OPERATORS } from './ast';
export { type CompiledQuery, compileQuery, type QuerySchema } from './compile';
export { evaluateScript, resolveValue, type ScriptContext } from './javascript';
export { parseCondition, parseEncodedQuery } from './parser';
export { type Execution, executeQuery, type PlanTarget } from './planner';
