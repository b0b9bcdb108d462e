import { z } from 'zod';

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
    .describe("CE's status: NOTIFIED once delivered, else DISPATCHED (deliveryStatus tells which)"),
  providerData: z.string().describe('A JSON string, as CE sends it: {objectType, eventCount}'),
  notifiedData: z
    .array(z.object({ notifiedDate: dateTime, statusCode: z.number().int().optional() }))
    .describe('One entry per successful notification'),
  eventId: z.string(),
  deliveryStatus: eventStatus,
  attempts: z.number().int().describe('POSTs tried (0 while only queued)'),
  createdAt: dateTime,
  updatedAt: dateTime,
  deliveredAt: dateTime.optional(),
  lastStatusCode: z.number().int().optional().describe('HTTP status of the last attempt'),
  lastError: z.string().optional(),
  objectType: z.string(),
  eventCount: z.number().int(),
});

const streamResult = z.object({
  stream: z.string(),
  events: z.number().int().describe('Events in messages the queue accepted'),
  messages: z.number().int(),
  pages: z.number().int(),
  updatedOn: z.string().describe('The checkpoint after the poll'),
  startedAt: z.string(),
});

const pollError = z.object({
  stream: z.string(),
  status: z.number().int().optional(),
  message: z.string(),
});

/** `POST /instances/{id}/events/poll`: what one poll queued, per stream, and what failed. */
export const pollSummarySchema = z.object({
  instanceId: z.number().int(),
  queued: z.number().int().describe('Events queued by this poll'),
  streams: z.array(streamResult),
  deletes: streamResult
    .extend({
      readable: z.boolean().describe('false when sys_audit_delete could not be read or ACLs hid rows'),
      note: z.string().optional(),
    })
    .optional(),
  errors: z.array(pollError),
});

/** `GET /instances/{id}/events/status`: the poller's last run. */
export const pollStatusSchema = z.object({
  instanceId: z.number().int(),
  lastPollAt: dateTime.optional().describe('Absent until the instance has been polled'),
  queued: z.number().int().optional(),
  errors: z.array(pollError),
  deletes: z.object({ readable: z.boolean(), note: z.string().optional() }).optional(),
  checkpoints: z
    .array(z.object({ stream: z.string(), checkpoint: z.string() }))
    .describe('Where polling of each resource stands (ServiceNow time of the last change seen)'),
  lagSeconds: z
    .number()
    .int()
    .optional()
    .describe('Now minus the oldest checkpoint; absent before the first poll'),
});

/** `POST /instances/{id}/events/{eventId}/redeliver` (202). */
export const redeliveredSchema = z.object({ eventId: z.string(), status: z.literal('QUEUED') });
