/** Reading the functions' numeric settings from the environment. */

/** A positive integer setting, or undefined when unset, empty or not one. */
export const positiveIntEnv = (value: string | undefined): number | undefined => {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isSafeInteger(n) && n > 0 ? n : undefined;
};
