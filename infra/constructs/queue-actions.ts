/**
 * SQS actions of the element's queue users (events, bulk), written out instead of `grantSendMessages` /
 * `grantConsumeMessages`, which would add an unused sqs:GetQueueUrl (every URL comes from the
 * environment) and a second kms:Decrypt statement duplicating each construct's own key grant.
 */

/** SendMessageBatch (shared/adapters/aws/queue-producer.ts) is authorized by sqs:SendMessage. */
export const QUEUE_SEND_ACTIONS = ['sqs:SendMessage'] as const;

/**
 * What an event source mapping polls with (Receive, Delete, GetQueueAttributes), plus the
 * ChangeMessageVisibility of the functions' backoff (functions/runtime/sqs.ts).
 */
export const QUEUE_CONSUME_ACTIONS = [
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:ChangeMessageVisibility',
] as const;
