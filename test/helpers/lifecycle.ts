/**
 * Something a test file starts in a hook and closes after its tests (a harness, a server, local mode),
 * declared in one line. The answer stands in for it: read it inside tests, after the hook has run.
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';

interface Closable {
  close(): unknown;
}

const standIn = <T extends object>(current: () => T | undefined): T => {
  const started = (): T => {
    const value = current();
    if (value === undefined) throw new Error('It is started in a hook: read it inside a test');
    return value;
  };
  return new Proxy({} as T, {
    get: (_target, key) => {
      const target = started();
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    set: (_target, key, value) => Reflect.set(started(), key, value),
  });
};

/** Started once before the tests of the file (or describe block) and closed after them. */
export const startedForSuite = <T extends Closable & object>(start: () => Promise<T>): T => {
  let value: T | undefined;
  beforeAll(async () => {
    value = await start();
  });
  afterAll(async () => {
    await value?.close();
  });
  return standIn(() => value);
};

/** Started afresh before each test and closed after it. */
export const startedForEachTest = <T extends Closable & object>(start: () => Promise<T>): T => {
  let value: T | undefined;
  beforeEach(async () => {
    value = await start();
  });
  afterEach(async () => {
    await value?.close();
    value = undefined;
  });
  return standIn(() => value);
};
