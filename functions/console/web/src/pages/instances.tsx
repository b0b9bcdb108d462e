import { useState } from 'preact/hooks';
import { call, type Instance, type PollStatus, platformAuthorization, type Secrets } from '../api';
import { Badge, formatDate, Status, Table, TextInput } from '../components';
import { useAction, useLoad } from '../hooks';
import { navigate } from '../router';

const tagsOf = (text: string) =>
  text
    .split(',')
    .map((tag) => tag.trim())
    .filter(Boolean);

interface Row {
  instance: Instance;
  poll?: PollStatus;
}

/** Starts the OAuth authorization-code flow: the server keeps the pending configuration, we go to ServiceNow. */
export const connectWithOAuth = async (authorization: string, path: string, body: unknown): Promise<void> => {
  const started = await call<{ authorizeUrl: string }>(authorization, path, { method: 'POST', json: body });
  window.location.assign(started.authorizeUrl);
};

export const InstancesPage = ({ secrets }: { secrets: Secrets }) => {
  const auth = platformAuthorization(secrets);
  const list = useLoad(async (): Promise<Row[]> => {
    const instances = await call<Instance[]>(auth, '/instances');
    return Promise.all(
      instances.map(async (instance) => ({
        instance,
        poll: await call<PollStatus>(auth, `/instances/${instance.id}/events/status`).catch(() => undefined),
      })),
    );
  }, [auth]);

  return (
    <>
      <h1>Instances</h1>
      <section aria-labelledby="list-title">
        <h2 id="list-title">Connected ServiceNow instances</h2>
        <Status error={list.error} />
        {list.data && list.data.length === 0 && <p>No instance yet: connect one below.</p>}
        {list.data && list.data.length > 0 && (
          <Table
            columns={['Name', 'Element', 'State', 'Events', 'Last poll', 'Tags']}
            rows={list.data.map(({ instance, poll }) => (
              <tr key={instance.id} data-instance={instance.id}>
                <td>
                  <a href={`#/instances/${instance.id}`}>{instance.name}</a>
                </td>
                <td>{instance.element.key}</td>
                <td>
                  {instance.valid ? <Badge tone="ok">valid</Badge> : <Badge tone="bad">invalid</Badge>}{' '}
                  {instance.disabled ? (
                    <Badge tone="muted">disabled</Badge>
                  ) : (
                    <Badge tone="ok">enabled</Badge>
                  )}
                </td>
                <td>{instance.eventsEnabled ? 'on' : 'off'}</td>
                <td>{formatDate(poll?.lastPollAt)}</td>
                <td>{(instance.tags ?? []).join(', ')}</td>
              </tr>
            ))}
          />
        )}
      </section>
      <div class="columns">
        <CreateBasic auth={auth} onCreated={(instance) => navigate(`#/instances/${instance.id}`)} />
        <ConnectOAuth auth={auth} />
      </div>
    </>
  );
};

const CreateBasic = ({ auth, onCreated }: { auth: string; onCreated: (instance: Instance) => void }) => {
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [tags, setTags] = useState('');
  const action = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const instance = await call<Instance>(auth, '/instances', {
        method: 'POST',
        json: {
          element: { key: 'servicenow' },
          name,
          tags: tagsOf(tags),
          configuration: { username, password, 'servicenow.subdomain': url },
        },
      });
      onCreated(instance);
      return `Instance ${instance.name} created`;
    });
  };
  return (
    <section class="card" aria-labelledby="basic-title">
      <h2 id="basic-title">Create a Basic instance</h2>
      <form onSubmit={submit} data-form="basic">
        <TextInput label="Name" name="name" required value={name} onValue={setName} />
        <TextInput
          label="ServiceNow URL"
          hint="https://<instance>.service-now.com or the demo simulator's URL"
          name="url"
          type="url"
          required
          value={url}
          onValue={setUrl}
        />
        <TextInput
          label="Username"
          name="username"
          autocomplete="off"
          required
          value={username}
          onValue={setUsername}
        />
        <TextInput
          label="Password"
          name="password"
          type="password"
          autocomplete="new-password"
          required
          value={password}
          onValue={setPassword}
        />
        <TextInput label="Tags" hint="comma-separated" name="tags" value={tags} onValue={setTags} />
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Checking the credentials…' : 'Create'}
        </button>
      </form>
      <Status error={action.error} note={action.note} />
    </section>
  );
};

const ConnectOAuth = ({ auth }: { auth: string }) => {
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [clientId, setClientId] = useState('');
  const [clientSecret, setClientSecret] = useState('');
  const [tags, setTags] = useState('');
  const action = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      await connectWithOAuth(auth, '/instances/oauth/connect', {
        element: { key: 'servicenowoauth' },
        name,
        tags: tagsOf(tags),
        configuration: {
          'oauth.api.key': clientId,
          'oauth.api.secret': clientSecret,
          'servicenow.subdomain': url,
        },
      });
      return 'Opening ServiceNow…';
    });
  };
  return (
    <section class="card" aria-labelledby="oauth-title">
      <h2 id="oauth-title">Connect with OAuth</h2>
      <p class="hint">
        You sign in on ServiceNow's page; it sends you back here with the instance connected. The client
        secret is kept on the server, never in a URL.
      </p>
      <form onSubmit={submit} data-form="oauth">
        <TextInput label="Name" name="name" required value={name} onValue={setName} />
        <TextInput label="ServiceNow URL" name="url" type="url" required value={url} onValue={setUrl} />
        <TextInput
          label="OAuth client id"
          name="clientId"
          autocomplete="off"
          required
          value={clientId}
          onValue={setClientId}
        />
        <TextInput
          label="OAuth client secret"
          name="clientSecret"
          type="password"
          autocomplete="off"
          required
          value={clientSecret}
          onValue={setClientSecret}
        />
        <TextInput label="Tags" hint="comma-separated" name="tags" value={tags} onValue={setTags} />
        <button type="submit" disabled={action.busy}>
          Connect with OAuth
        </button>
      </form>
      <Status error={action.error} note={action.note} />
    </section>
  );
};
