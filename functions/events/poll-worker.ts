/**
 * The events poll worker Lambda (SQS event source on the poll queue, ReportBatchItemFailures): polls
 * the instance of each message and queues its callback messages on the events queue
 * (ELEMENT_EVENTS_QUEUE_URL). How many run at once is the event source's maximum concurrency (infra).
 */
import { eventsInstanceAccess } from '../../shared/instances';
import { awsStateTable } from '../runtime/aws-ports';
import { awsEventsQueue } from '../runtime/aws-queues';
import { awsSecretStore } from '../runtime/aws-secret-store';
import { getDependencies } from '../runtime/dependencies';
import { queueFunction } from '../runtime/sqs';
import { createPollWorkerHandler } from './handlers';

export const handler = queueFunction(async (logger) => {
  const deps = await getDependencies({
    stateTable: awsStateTable,
    secretStore: awsSecretStore,
    eventsQueue: awsEventsQueue,
  });
  return createPollWorkerHandler({ ...deps, instances: eventsInstanceAccess(deps) }, { logger });
});
