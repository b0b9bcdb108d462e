/**
 * Redaction applied to every value a logger serializes: secrets must never reach a log line
 * (brief: "Secrets never appear in logs"). Two nets:
 * - by key: any property whose name looks like a credential is replaced whole;
 * - by value: credential-looking fragments inside free text (an Authorization header value pasted
 *   into an error message, `password=...` in a URL or form body) are masked.
 */
export const REDACTED = '[REDACTED]';

const SENSITIVE_KEY =
  /authorization|password|passwd|secret|token|cookie|credential|api[-_]?key|private[-_]?key|signature/i;

const SENSITIVE_TEXT: readonly [RegExp, string][] = [
  // CE Authorization parts and HTTP auth schemes: `User abc`, `Organization abc`, `Element abc`, `Bearer abc`, `Basic abc`.
  // At least 8 token characters, so ordinary prose ("User not found") stays readable.
  [/\b(User|Organization|Element|Bearer|Basic)(\s+)[\w+/=.~-]{8,}/gi, `$1$2${REDACTED}`],
  // key=value / key: value pairs in query strings, form bodies and messages.
  [
    /\b((?:[\w-]*(?:password|passwd|secret|token|api[-_]?key|credential)[\w-]*))(\s*[=:]\s*"?)[^\s&,;"']+/gi,
    `$1$2${REDACTED}`,
  ],
];

export const isSensitiveKey = (key: string): boolean => SENSITIVE_KEY.test(key);

export const redactText = (text: string): string =>
  SENSITIVE_TEXT.reduce((value, [pattern, replacement]) => value.replace(pattern, replacement), text);

/** A JSON.stringify-style replacer: `(key, value) => value` with secrets removed. */
export const redactingReplacer = (key: string, value: unknown): unknown => {
  if (key !== '' && isSensitiveKey(key) && value !== undefined && value !== null) return REDACTED;
  if (typeof value === 'string') return redactText(value);
  return value;
};
