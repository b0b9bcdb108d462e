import type { QueueProducer } from '../../shared/ports/queue';
import type { Env } from './aws-ports';

const awsQueue = async (queueUrl: string): Promise<QueueProducer> => {
  const queue = await import('../../shared/adapters/aws/queue-producer');
  return queue.createAwsQueueProducer({ client: queue.createDefaultSqsClient(), queueUrl });
};

/** SQS events queue (ELEMENT_EVENTS_QUEUE_URL); absent when the stack gives the function none. */
export const awsEventsQueue = async (env: Env): Promise<QueueProducer | undefined> =>
  env.ELEMENT_EVENTS_QUEUE_URL ? awsQueue(env.ELEMENT_EVENTS_QUEUE_URL) : undefined;

/** SQS events poll queue (ELEMENT_EVENTS_POLL_QUEUE_URL); absent when the stack gives the function none. */
export const awsPollQueue = async (env: Env): Promise<QueueProducer | undefined> =>
  env.ELEMENT_EVENTS_POLL_QUEUE_URL ? awsQueue(env.ELEMENT_EVENTS_POLL_QUEUE_URL) : undefined;

/** SQS bulk job queue (ELEMENT_BULK_QUEUE_URL); absent when the stack gives the function none. */
export const awsBulkQueue = async (env: Env): Promise<QueueProducer | undefined> =>
  env.ELEMENT_BULK_QUEUE_URL ? awsQueue(env.ELEMENT_BULK_QUEUE_URL) : undefined;
