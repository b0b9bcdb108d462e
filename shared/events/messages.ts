import { createHash } from 'node:crypto';
import type { OutgoingMessage } from '../ports';
import type { SnRecord } from '../servicenow';
import type { EventType } from './classify';

/** CE sends "up to 10 (for polling)" events per notification. */
export const MAX_EVENTS_PER_MESSAGE = 10;

export interface EventInstance {
  id: number;
  elementKey: string;
}

/** One normalized event. */
export interface CallbackEvent {
  objectType: string;
  objectId: string;
  eventType: EventType;
  elementKey: string;
  /** `2017-06-06T22:26:22Z`. */
  date: string;
}

/**
 * The callback body, exactly what the dispatcher POSTs:
 * `raw` is `{objectType, <objectType>: [records]}`, as CE's poller hands results to its pipeline.
 */
export interface EventMessage {
  message: {
    eventId: string;
    instanceId: number;
    elementKey: string;
    events: CallbackEvent[];
    raw: { objectType: string } & Record<string, unknown>;
  };
}

/** An event plus the raw record it came from and the index of that row in its page. */
export interface EventItem {
  event: CallbackEvent;
  raw: SnRecord;
  /** Identifies this event's change: the row's dedup key plus objectType. */
  key: string;
  rowIndex: number;
}

export interface BuiltMessage {
  body: EventMessage;
  items: EventItem[];
  /** Lowest and highest page row index among its events. */
  firstRow: number;
  lastRow: number;
}

/**
 * A deterministic id from the changes a message carries, formatted like a UUID: a message re-emitted
 * after a crash with the same events gets the same `eventId`, so consumers can de-duplicate on it.
 */
export const eventIdFor = (instanceId: number, keys: readonly string[]): string => {
  const hex = createHash('sha256')
    .update(`${instanceId}\n${keys.join('\n')}`)
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

/**
 * Groups items (in order) into messages of at most 10 events of one objectType; a change of objectType
 * starts a new message, so each message's `raw` holds one resource's records.
 */
export const buildMessages = (instance: EventInstance, items: readonly EventItem[]): BuiltMessage[] => {
  const groups: EventItem[][] = [];
  for (const item of items) {
    const last = groups.at(-1);
    const head = last?.[0];
    if (
      last &&
      head &&
      head.event.objectType === item.event.objectType &&
      last.length < MAX_EVENTS_PER_MESSAGE
    ) {
      last.push(item);
    } else {
      groups.push([item]);
    }
  }
  return groups.map((group) => {
    const objectType = group[0]?.event.objectType ?? '';
    return {
      body: {
        message: {
          eventId: eventIdFor(
            instance.id,
            group.map((item) => item.key),
          ),
          instanceId: instance.id,
          elementKey: instance.elementKey,
          events: group.map((item) => item.event),
          raw: { objectType, [objectType]: group.map((item) => item.raw) },
        },
      },
      items: group,
      firstRow: Math.min(...group.map((item) => item.rowIndex)),
      lastRow: Math.max(...group.map((item) => item.rowIndex)),
    };
  });
};

/** The SQS message for a callback body; attributes let the dispatcher route without parsing. */
export const toOutgoing = (message: EventMessage): Omit<OutgoingMessage, 'id'> => ({
  body: JSON.stringify(message),
  attributes: {
    instanceId: String(message.message.instanceId),
    eventId: message.message.eventId,
    objectType: message.message.raw.objectType,
  },
});
