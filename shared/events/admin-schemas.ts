import * as z from '../validation/zod';

/**
 * Response shapes of the events admin routes (poll now, event log, poller status, redeliver). The views
 * in event-admin.ts and poll.ts are checked against these in test/openapi, and the OpenAPI document is
 * generated from them.
 */
const eventStatus = z.enum(['QUEUED', 'DELIVERED', 'FAILED', 'DEAD']);
const dateTime = z.iso.datetime();

/** One entry of the event log: CE's event object with the delivery's details beside it. */
export const eventViewSchema = z.object({
  id: z.string(),
  eventDate: dateTime,
  status: z
    .enum(['DISPATCHED', 'NOTIFIED'])
    .check(z.describe("CE's status: NOTIFIED once delivered, else DISPATCHED (deliveryStatus tells which)")),
  providerData: z.string().check(z.describe('A JSON string, as CE sends it: {objectType, eventCount}')),
  notifiedData: z
    .array(z.object({ notifiedDate: dateTime, statusCode: z.optional(z.int()) }))
    .check(z.describe('One entry per successful notification')),
  eventId: z.string(),
  deliveryStatus: eventStatus,
  attempts: z.int().check(z.describe('POSTs tried (0 while only queued)')),
  createdAt: dateTime,
  updatedAt: dateTime,
  deliveredAt: z.optional(dateTime),
  lastStatusCode: z.optional(z.int()).check(z.describe('HTTP status of the last attempt')),
  lastError: z.optional(z.string()),
  objectType: z.string(),
  eventCount: z.int(),
});

const streamResult = z.object({
  stream: z.string(),
  events: z.int().check(z.describe('Events in messages the queue accepted')),
  messages: z.int(),
  pages: z.int(),
  updatedOn: z.string().check(z.describe('The checkpoint after the poll')),
  startedAt: z.string(),
});

const pollError = z.object({
  stream: z.string(),
  status: z.optional(z.int()),
  message: z.string(),
});

/** `POST /instances/{id}/events/poll`: what one poll queued, per stream, and what failed. */
export const pollSummarySchema = z.object({
  instanceId: z.int(),
  queued: z.int().check(z.describe('Events queued by this poll')),
  streams: z.array(streamResult),
  deletes: z.optional(
    z.extend(streamResult, {
      readable: z
        .boolean()
        .check(z.describe('false when sys_audit_delete could not be read or ACLs hid rows')),
      note: z.optional(z.string()),
    }),
  ),
  errors: z.array(pollError),
});

/** `GET /instances/{id}/events/status`: the poller's last run. */
export const pollStatusSchema = z.object({
  instanceId: z.int(),
  lastPollAt: z.optional(dateTime).check(z.describe('Absent until the instance has been polled')),
  queued: z.optional(z.int()),
  errors: z.array(pollError),
  deletes: z.optional(z.object({ readable: z.boolean(), note: z.optional(z.string()) })),
  checkpoints: z
    .array(z.object({ stream: z.string(), checkpoint: z.string() }))
    .check(z.describe('Where polling of each resource stands (ServiceNow time of the last change seen)')),
  lagSeconds: z
    .optional(z.int())
    .check(z.describe('Now minus the oldest checkpoint; absent before the first poll')),
});

/** `POST /instances/{id}/events/{eventId}/redeliver` (202). */
export const redeliveredSchema = z.object({ eventId: z.string(), status: z.literal('QUEUED') });
