import type jsonata from 'jsonata';
import { InvalidInputError, UnprocessableError } from '../errors';

/**
 * Computed fields with JSONata instead of CE's `script.body` JavaScript. JSONata is a
 * side-effect-free expression language: no I/O, no `require`, no access to the process; we never use
 * eval/Function. Limits: JSONata's own guardrails (`timeout` ms and `stack` depth, checked at every
 * evaluation step), input size checked before, output size after.
 */
export interface ExpressionLimits {
  timeoutMs: number;
  maxDepth: number;
  maxInputBytes: number;
  maxOutputBytes: number;
  maxExpressionLength: number;
}

export const DEFAULT_EXPRESSION_LIMITS: ExpressionLimits = {
  timeoutMs: 100,
  maxDepth: 200,
  maxInputBytes: 1_000_000,
  maxOutputBytes: 100_000,
  maxExpressionLength: 4096,
};

let engine: typeof jsonata | undefined;

/**
 * Loads JSONata (a chunk of the function's bundle) the first time a transformation needs it, so the
 * functions and calls that never evaluate an expression never load it. Await it before
 * `checkExpression` (or parsing a transformation); `evaluateExpression` awaits it itself.
 */
export const loadExpressionEngine = async (): Promise<void> => {
  engine ??= (await import('jsonata')).default;
};

const compiled = new Map<string, jsonata.Expression>();

function compile(expression: string, limits: ExpressionLimits): jsonata.Expression {
  const key = `${limits.timeoutMs}/${limits.maxDepth}/${expression}`;
  const hit = compiled.get(key);
  if (hit) return hit;
  if (expression.length > limits.maxExpressionLength) throw new InvalidInputError('Expression too long');
  if (engine === undefined)
    throw new Error('loadExpressionEngine() must be awaited before an expression is compiled');
  let result: jsonata.Expression;
  try {
    result = engine(expression, { timeout: limits.timeoutMs, stack: limits.maxDepth });
  } catch (error) {
    throw new InvalidInputError(`Invalid expression: ${(error as Error).message}`);
  }
  if (compiled.size < 500) compiled.set(key, result);
  return result;
}

/** Throws 400 when the expression does not parse (used when validating a transformation). */
export function checkExpression(expression: string, limits = DEFAULT_EXPRESSION_LIMITS): void {
  compile(expression, limits);
}

/** Evaluates `expression` against `input`; 422 when it fails or breaks a limit, naming `field`. */
export async function evaluateExpression(
  expression: string,
  input: unknown,
  field: string,
  limits = DEFAULT_EXPRESSION_LIMITS,
): Promise<unknown> {
  await loadExpressionEngine();
  const expr = compile(expression, limits);
  if ((JSON.stringify(input)?.length ?? 0) > limits.maxInputBytes) {
    throw new UnprocessableError(
      `Computed field '${field}': input larger than ${limits.maxInputBytes} bytes`,
    );
  }
  let value: unknown;
  try {
    value = await expr.evaluate(input);
  } catch (error) {
    const e = error as { code?: string; message?: string };
    const reason =
      e.code === 'D1012'
        ? `timed out after ${limits.timeoutMs} ms`
        : e.code === 'D1011'
          ? 'recursion too deep'
          : e.message;
    throw new UnprocessableError(`Computed field '${field}' failed: ${reason}`);
  }
  if (typeof value === 'function') return null;
  if ((JSON.stringify(value)?.length ?? 0) > limits.maxOutputBytes) {
    throw new UnprocessableError(
      `Computed field '${field}': result larger than ${limits.maxOutputBytes} bytes`,
    );
  }
  return value === undefined ? null : value;
}
