import { ForbiddenError, UnauthorizedError } from '../errors';
import type { EventsTarget } from '../events/dispatch';
import type { EventsInstance, EventsInstanceAccess } from '../events/poller';
import { instanceSecretFor, reauthorizeMessage, serviceNowClientFor } from './instance-client';
import { createInstanceStore } from './instance-store';
import { fullConfiguration } from './instance-view';
import type { InstanceDeps, InstanceRecord } from './types';

/**
 * What the events capability reads of instances (its poller and dispatcher), provided from here so the
 * dependency runs one way: instances know events, events only know this interface.
 */
export const eventsInstanceAccess = (deps: InstanceDeps): EventsInstanceAccess => {
  const store = createInstanceStore(deps);
  // The poller hands back the record it got from `get` (an InstanceRecord with more fields).
  const recordOf = (instance: EventsInstance) => instance as InstanceRecord;
  return {
    get: (instanceId) => store.get(instanceId),
    configuration: async (instance) => {
      const record = recordOf(instance);
      if (record.disabled) throw new ForbiddenError(`Instance ${record.id} is disabled`);
      if (!record.valid) throw new UnauthorizedError(reauthorizeMessage(record.id));
      return fullConfiguration(record, undefined);
    },
    serviceNowClient: (instance) => serviceNowClientFor(recordOf(instance), deps),
  };
};

/**
 * The dispatcher's view of an instance: its flags and its configuration with the secret keys (the
 * signature key lives in the instance secret) merged in. The record is read on every delivery, so a
 * PATCH applies to the next one; the secret comes from the per-process cache keyed by that record.
 */
export const eventsTargetLoader =
  (deps: Pick<InstanceDeps, 'stateTable' | 'secretStore'>) =>
  async (instanceId: number): Promise<EventsTarget | undefined> => {
    const store = createInstanceStore(deps);
    const instance = await store.get(instanceId);
    if (!instance) return undefined;
    return { instance, configuration: fullConfiguration(instance, await instanceSecretFor(instance, deps)) };
  };
