/**
 * The views whose types are written as interfaces describe exactly the shapes of the zod response
 * schemas the document is generated from (checked by `npm run typecheck`; the assertions run too).
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { createdView } from '../../shared/bulk/api/job-service';
import type { bulkJobCreatedSchema } from '../../shared/bulk/api/response-schemas';
import type {
  eventViewSchema,
  pollStatusSchema,
  pollSummarySchema,
  redeliveredSchema,
} from '../../shared/events/admin-schemas';
import type { EventView, PollStatusView, redeliverEvent } from '../../shared/events/event-admin';
import type { InstancePollSummary } from '../../shared/events/poll';
import type { ObjectEntry } from '../../shared/hub/metadata';
import type { objectEntrySchema } from '../../shared/hub/metadata/schemas';
import type {
  storedDefinitionSchema,
  storedTransformationSchema,
} from '../../shared/transformations/response-schemas';
import type { StoredDefinition, StoredTransformation } from '../../shared/transformations/store';
import type * as z from '../../shared/validation/zod';

describe('view types and response schemas', () => {
  it('events: log entries, poll summary, poller status, redelivery', () => {
    expectTypeOf<EventView>().toEqualTypeOf<z.infer<typeof eventViewSchema>>();
    expectTypeOf<InstancePollSummary>().toEqualTypeOf<z.infer<typeof pollSummarySchema>>();
    expectTypeOf<PollStatusView>().toEqualTypeOf<z.infer<typeof pollStatusSchema>>();
    expectTypeOf<Awaited<ReturnType<typeof redeliverEvent>>>().toEqualTypeOf<
      z.infer<typeof redeliveredSchema>
    >();
  });

  it('transformations: stored definitions and transformations', () => {
    expectTypeOf<StoredDefinition>().toEqualTypeOf<z.infer<typeof storedDefinitionSchema>>();
    expectTypeOf<StoredTransformation>().toEqualTypeOf<z.infer<typeof storedTransformationSchema>>();
  });

  it('hub objects and new bulk jobs', () => {
    expectTypeOf<ObjectEntry>().toEqualTypeOf<z.infer<typeof objectEntrySchema>>();
    expectTypeOf<ReturnType<typeof createdView>>().toEqualTypeOf<z.infer<typeof bulkJobCreatedSchema>>();
  });
});
