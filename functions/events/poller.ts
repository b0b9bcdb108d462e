/**
 * The events poll schedule (EventBridge, every minute): claims the due instances and sends one message
 * per instance to the poll queue (ELEMENT_EVENTS_POLL_QUEUE_URL), which the poll workers consume.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { scheduleDuePolls } from '../../shared/events/poller';
import { createLogger } from '../../shared/logging';
import { awsStateTable } from '../runtime/aws-ports';
import { awsPollQueue } from '../runtime/aws-queues';
import { getDependencies } from '../runtime/dependencies';
import { metricsMiddleware } from '../runtime/metrics';

const logger = createLogger();

export const handler = middy(async () => {
  const deps = await getDependencies({ stateTable: awsStateTable, pollQueue: awsPollQueue });
  if (!deps.pollQueue) throw new Error('ELEMENT_EVENTS_POLL_QUEUE_URL is not set');
  const run = await scheduleDuePolls({ ...deps, pollQueue: deps.pollQueue });
  if (run.refused > 0) logger.warn('The poll queue refused poll messages; made due again', run);
  return run;
})
  .use(injectLambdaContext(logger))
  .use(metricsMiddleware());
