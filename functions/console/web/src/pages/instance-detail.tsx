import { useState } from 'preact/hooks';
import {
  call,
  type EventEntry,
  type Instance,
  type PollStatus,
  platformAuthorization,
  type Secrets,
} from '../api';
import { Badge, formatDate, formatDuration, Status, Table, TextInput } from '../components';
import { useAction, useLoad } from '../hooks';
import { navigate } from '../router';
import { connectWithOAuth } from './instances';

interface ConfigurationItem {
  key: string;
  name: string;
  propertyValue: string;
}

export const InstanceDetailPage = ({
  secrets,
  id,
  query,
}: {
  secrets: Secrets;
  id: number;
  query: URLSearchParams;
}) => {
  const auth = platformAuthorization(secrets);
  const instance = useLoad(() => call<Instance>(auth, `/instances/${id}`), [auth, id]);
  const configuration = useLoad(
    () => call<ConfigurationItem[]>(auth, `/instances/${id}/configuration`),
    [auth, id],
  );
  const action = useAction();
  const data = instance.data;

  const act = (work: () => Promise<string>) =>
    action.run(async () => {
      const note = await work();
      await Promise.all([instance.reload(), configuration.reload()]);
      return note;
    });

  return (
    <>
      <p>
        <a href="#/instances">← Instances</a>
      </p>
      {query.get('connected') === '1' && (
        <p role="status" class="success">
          Connected: ServiceNow authorized this instance.
        </p>
      )}
      <Status error={instance.error} />
      {data && (
        <>
          <h1>
            {data.name} <span class="muted">#{data.id}</span>
          </h1>
          <p class="state">
            {data.valid ? <Badge tone="ok">valid</Badge> : <Badge tone="bad">invalid</Badge>}{' '}
            {data.disabled ? <Badge tone="muted">disabled</Badge> : <Badge tone="ok">enabled</Badge>}{' '}
            <span>element {data.element.key}</span>
            {data.invalidReason && <span class="error"> — {data.invalidReason}</span>}
          </p>
          <div class="actions">
            {data.disabled ? (
              <button
                type="button"
                disabled={action.busy}
                onClick={() =>
                  act(async () => {
                    await call(auth, `/instances/${id}/enabled`, { method: 'PUT' });
                    return 'Enabled';
                  })
                }
              >
                Enable
              </button>
            ) : (
              <button
                type="button"
                class="secondary"
                disabled={action.busy}
                onClick={() =>
                  act(async () => {
                    await call(auth, `/instances/${id}/enabled`, { method: 'DELETE' });
                    return 'Disabled: hub calls with its token answer 403';
                  })
                }
              >
                Disable
              </button>
            )}
            {data.element.key === 'servicenowoauth' && (
              <button
                type="button"
                disabled={action.busy}
                onClick={() =>
                  action.run(async () => {
                    await connectWithOAuth(auth, `/instances/${id}/oauth/connect`, {});
                    return 'Opening ServiceNow…';
                  })
                }
              >
                Re-authorize with OAuth
              </button>
            )}
            <button
              type="button"
              class="danger"
              disabled={action.busy}
              onClick={() => {
                if (!window.confirm(`Delete instance ${data.name}? Its token stops working.`)) return;
                void action.run(async () => {
                  await call(auth, `/instances/${id}`, { method: 'DELETE' });
                  navigate('#/instances');
                  return 'Deleted';
                });
              }}
            >
              Delete
            </button>
          </div>
          <Status error={action.error} note={action.note} />
          <TagsForm
            tags={data.tags ?? []}
            onSave={(tags) =>
              act(async () => {
                await call(auth, `/instances/${id}`, { method: 'PATCH', json: { tags } });
                return 'Tags saved';
              })
            }
          />
          <EventsSection
            auth={auth}
            instance={data}
            onChanged={async () => {
              await Promise.all([instance.reload(), configuration.reload()]);
            }}
          />
          <section aria-labelledby="configuration-title">
            <h2 id="configuration-title">Configuration</h2>
            <p class="hint">Secret values are never sent back; they show as ********.</p>
            <Status error={configuration.error} />
            <Table
              columns={['Key', 'Value']}
              rows={(configuration.data ?? []).map((item) => (
                <tr key={item.key}>
                  <th scope="row" title={item.name}>
                    <code>{item.key}</code>
                  </th>
                  <td>
                    <code>{String(item.propertyValue)}</code>
                  </td>
                </tr>
              ))}
            />
          </section>
        </>
      )}
    </>
  );
};

const TagsForm = ({ tags, onSave }: { tags: string[]; onSave: (tags: string[]) => void }) => {
  const [text, setText] = useState(tags.join(', '));
  return (
    <form
      class="inline"
      onSubmit={(event) => {
        event.preventDefault();
        onSave(
          text
            .split(',')
            .map((tag) => tag.trim())
            .filter(Boolean),
        );
      }}
    >
      <TextInput label="Tags" hint="comma-separated" name="tags" value={text} onValue={setText} />
      <button type="submit" class="secondary">
        Save tags
      </button>
    </form>
  );
};

const EventsSection = ({
  auth,
  instance,
  onChanged,
}: {
  auth: string;
  instance: Instance;
  onChanged: () => Promise<void>;
}) => {
  const id = instance.id;
  const [selected, setSelected] = useState<EventEntry>();
  const status = useLoad(() => call<PollStatus>(auth, `/instances/${id}/events/status`), [auth, id], 5_000);
  const log = useLoad(
    () => call<EventEntry[]>(auth, `/instances/${id}/events?pageSize=50`),
    [auth, id],
    instance.eventsEnabled ? 2_000 : undefined,
  );
  const action = useAction();
  const [callbackUrl, setCallbackUrl] = useState(
    instance.configuration['event.notification.callback.url'] ?? '',
  );
  const [interval, setInterval_] = useState(instance.configuration['event.poller.refresh_interval'] ?? '15');
  const lastPoll = status.data?.lastPollAt;

  return (
    <section aria-labelledby="events-title">
      <h2 id="events-title">Events</h2>
      <dl class="facts">
        <dt>Events</dt>
        <dd>{instance.eventsEnabled ? 'enabled' : 'disabled'}</dd>
        <dt>Last poll</dt>
        <dd>{formatDate(lastPoll)}</dd>
        <dt>Lag</dt>
        <dd data-testid="lag">
          {status.data?.lagSeconds === undefined ? '—' : formatDuration(status.data.lagSeconds * 1000)}
        </dd>
      </dl>
      {(status.data?.checkpoints ?? []).length > 0 && (
        <details>
          <summary>Checkpoints per resource</summary>
          <ul>
            {status.data?.checkpoints?.map((entry) => (
              <li key={entry.stream}>
                {entry.stream}: {formatDate(entry.checkpoint)}
              </li>
            ))}
          </ul>
        </details>
      )}
      {(status.data?.errors ?? []).length > 0 && (
        <ul class="error">
          {status.data?.errors.map((e) => (
            <li key={e.stream}>
              {e.stream}: {e.message}
            </li>
          ))}
        </ul>
      )}
      <form
        class="inline"
        onSubmit={(event) => {
          event.preventDefault();
          void action.run(async () => {
            await call(auth, `/instances/${id}`, {
              method: 'PATCH',
              json: {
                configuration: {
                  'event.notification.enabled': callbackUrl !== '',
                  'event.notification.callback.url': callbackUrl,
                  'event.poller.refresh_interval': Number(interval),
                },
              },
            });
            await onChanged();
            return callbackUrl ? 'Events enabled' : 'Events disabled';
          });
        }}
      >
        <TextInput
          label="Callback URL"
          hint="empty turns events off"
          name="callbackUrl"
          type="url"
          value={callbackUrl}
          onValue={setCallbackUrl}
        />
        <TextInput
          label="Poll every (minutes)"
          name="interval"
          type="number"
          min="1"
          value={interval}
          onValue={setInterval_}
        />
        <button type="submit" class="secondary" disabled={action.busy}>
          Save events settings
        </button>
      </form>
      <div class="actions">
        <button
          type="button"
          disabled={action.busy || !instance.eventsEnabled}
          onClick={() =>
            action.run(async () => {
              const queued = await call<unknown>(auth, `/instances/${id}/events/poll`, { method: 'POST' });
              await Promise.all([status.reload(), log.reload()]);
              const count = Array.isArray(queued) ? queued.length : undefined;
              return count === undefined ? 'Polled' : `Polled: ${count} queued`;
            })
          }
        >
          Poll now
        </button>
        <button type="button" class="secondary" onClick={() => void log.reload()}>
          Refresh the log
        </button>
      </div>
      <Status error={action.error ?? log.error} note={action.note} />
      <Table
        columns={['Date', 'Object', 'Events', 'Delivery', 'Attempts', 'Actions']}
        empty="No event yet."
        label="Event log"
        rows={(log.data ?? []).map((entry) => (
          <tr key={entry.id} data-event={entry.id} data-delivery={entry.deliveryStatus}>
            <td>{formatDate(entry.eventDate)}</td>
            <td>{entry.objectType}</td>
            <td>{entry.eventCount}</td>
            <td>
              <Badge
                tone={
                  entry.deliveryStatus === 'DELIVERED'
                    ? 'ok'
                    : entry.deliveryStatus === 'QUEUED'
                      ? 'muted'
                      : 'bad'
                }
              >
                {entry.deliveryStatus}
              </Badge>
              {entry.lastError && <span class="hint"> {entry.lastError}</span>}
            </td>
            <td>{entry.attempts}</td>
            <td class="actions">
              <button type="button" class="secondary" onClick={() => setSelected(entry)}>
                Payload
              </button>
              <button
                type="button"
                disabled={action.busy || entry.deliveryStatus === 'QUEUED'}
                onClick={() =>
                  action.run(async () => {
                    await call(auth, `/instances/${id}/events/${encodeURIComponent(entry.id)}/redeliver`, {
                      method: 'POST',
                    });
                    await log.reload();
                    return `Event ${entry.id} queued again`;
                  })
                }
              >
                Redeliver
              </button>
            </td>
          </tr>
        ))}
      />
      {selected && (
        <section aria-labelledby="payload-title" class="card">
          <h3 id="payload-title">Event {selected.id}</h3>
          <pre>
            {JSON.stringify({ ...selected, providerData: JSON.parse(selected.providerData) }, null, 2)}
          </pre>
          <button type="button" class="secondary" onClick={() => setSelected(undefined)}>
            Close
          </button>
        </section>
      )}
    </section>
  );
};
