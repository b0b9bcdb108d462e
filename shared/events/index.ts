/**
 * Events domain core (servicenow-and-peers.md A.8, C.6, D.4):
 * configuration keys, checkpoints in the state table, the poll of one resource / one instance into the
 * queue, and the callback signature. No Lambda, HTTP route or infra wiring here.
 */
export {
  type Checkpoint,
  CheckpointConflictError,
  checkpointKey,
  DELETES_STREAM,
  deleteCheckpoint,
  ensureCheckpoint,
  eventsPartition,
  loadCheckpoint,
  MAX_SEEN,
  saveCheckpoint,
} from './checkpoint';
export { classifyChange, type EventType } from './classify';
export { withCommonResources } from './common-resources';
export {
  DEFAULT_EVENT_PAGE_SIZE,
  DEFAULT_EVENT_RESOURCES,
  DEFAULT_POLLER_CONFIGURATION,
  DEFAULT_REFRESH_INTERVAL_MINUTES,
  EVENT_KEYS,
  type EventsConfig,
  parseEventsConfig,
  type ResourcePoll,
} from './configuration';
export {
  type DispatcherOptions,
  deadLetterConsumer,
  dispatchConsumer,
  dispatcherOptionsFromEnv,
  type EventsPorts,
  type PollLogger,
  pollConsumer,
} from './consumers';
export { toEventDate, toServiceNowDateTime } from './dates';
export { type DeadLetterDeps, KeepDeadLetterError, recordDeadLetter } from './dead-letters';
export { advanceWindow, rowKey } from './dedup';
export {
  DEFAULT_DISPATCH_CONCURRENCY,
  DEFAULT_DISPATCH_TIMEOUT_MS,
  DEFAULT_RETRY_DELAY,
  type DeliveryResult,
  DeliveryRetryError,
  type DispatchDeps,
  type DispatchLogger,
  deliverOrRetry,
  deliverRecord,
  type EventsTarget,
  type RetryDelayPolicy,
  retryDelaySeconds,
} from './dispatch';
export {
  DEFAULT_EVENTS_PAGE_SIZE,
  type EventsPage,
  type EventView,
  eventView,
  getEvent,
  type ListEventsQuery,
  listEvents,
  MAX_EVENTS_PAGE_SIZE,
  type PollStatusView,
  pollStatus,
  redeliverEvent,
} from './event-admin';
export {
  type AttemptOutcome,
  createEventLog,
  DEFAULT_EVENT_LOG_TTL_DAYS,
  EVENT_STATUSES,
  type EventLog,
  type EventLogDeps,
  type EventLogEntry,
  type EventLogPage,
  type EventStatus,
  eventBodyKey,
  eventLogKey,
  MAX_STORED_BODY_BYTES,
  type QueuedEvent,
  type RequeueResult,
} from './event-log';
export {
  buildMessages,
  type CallbackEvent,
  type EventInstance,
  type EventMessage,
  eventIdFor,
  MAX_EVENTS_PER_MESSAGE,
  toOutgoing,
} from './messages';
export {
  DELETES_PARTLY_HIDDEN,
  DELETES_UNREADABLE,
  type DeletesResult,
  type InstancePollSummary,
  type PollDeps,
  type PollError,
  type PollInstanceDeps,
  pollDeletes,
  pollInstance,
  pollResource,
  QueueSendError,
  type StreamResult,
} from './poll';
export {
  claimDueInstances,
  type EventsInstance,
  type EventsInstanceAccess,
  failedSummary,
  POLLER_DEFAULTS,
  type PollerDeps,
  type PollerOptions,
  type PollerRun,
  type PollOutcome,
  type PollRequest,
  parsePollRequest,
  pollClaimed,
  pollInstanceNow,
  pollRequestBody,
  runPoller,
  scheduleDuePolls,
} from './poller';
export { scanUpdated } from './scan';
export { DEFAULT_SEND_RETRY, type SendRetryPolicy, SQS_BATCH_SIZE, sendWithRetry } from './send';
