import { useState } from 'preact/hooks';
import { call, platformAuthorization, type Secrets } from '../api';
import { Field, Status, TextInput } from '../components';
import { useAction, useLoad } from '../hooks';

const EXAMPLE_DEFINITION = JSON.stringify(
  {
    fields: [
      { path: 'id', type: 'string' },
      { path: 'title', type: 'string' },
    ],
  },
  null,
  2,
);

const EXAMPLE_MAPPING = JSON.stringify(
  {
    vendorName: 'incident',
    fields: [
      { path: 'id', type: 'string', vendorPath: 'sys_id' },
      { path: 'title', type: 'string', vendorPath: 'short_description' },
    ],
  },
  null,
  2,
);

/** Parses the editor's text, with a message that says where the JSON is broken. */
const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`The JSON is not valid: ${(error as Error).message}`);
  }
};

const ELEMENTS = ['servicenow', 'servicenowoauth'];

/** Organization-level object definitions and per-element transformations (mappings). */
export const TransformationsPage = ({ secrets }: { secrets: Secrets }) => {
  const auth = platformAuthorization(secrets);
  const [element, setElement] = useState('servicenow');
  const definitions = useLoad(
    () => call<Record<string, unknown>>(auth, '/organizations/objects/definitions'),
    [auth],
  );
  const mappings = useLoad(
    () => call<Record<string, unknown>>(auth, `/organizations/elements/${element}/transformations`),
    [auth, element],
  );
  return (
    <>
      <h1>Transformations</h1>
      <p class="hint">
        A definition names a common resource and its fields; a transformation maps it onto a ServiceNow table
        for an element. Both are checked by the API: its messages show below the editor.
      </p>
      <div class="columns">
        <section class="card" aria-labelledby="definitions-title">
          <h2 id="definitions-title">Definitions (organization)</h2>
          <Status error={definitions.error} />
          <JsonList entries={definitions.data} />
          <Editor
            kind="definition"
            example={EXAMPLE_DEFINITION}
            save={async (name, body, method) => {
              await call(auth, `/organizations/objects/${encodeURIComponent(name)}/definitions`, {
                method,
                json: body,
              });
              await definitions.reload();
              return `Definition ${name} saved`;
            }}
          />
        </section>
        <section class="card" aria-labelledby="mappings-title">
          <h2 id="mappings-title">Transformations (organization)</h2>
          <Field label="Element">
            <select name="element" value={element} onChange={(e) => setElement(e.currentTarget.value)}>
              {ELEMENTS.map((key) => (
                <option key={key}>{key}</option>
              ))}
            </select>
          </Field>
          <Status error={mappings.error} />
          <JsonList entries={mappings.data} />
          <Editor
            kind="transformation"
            example={EXAMPLE_MAPPING}
            save={async (name, body, method) => {
              await call(
                auth,
                `/organizations/elements/${element}/transformations/${encodeURIComponent(name)}`,
                { method, json: body },
              );
              await mappings.reload();
              return `Transformation ${name} saved`;
            }}
          />
        </section>
      </div>
    </>
  );
};

const JsonList = ({ entries }: { entries: Record<string, unknown> | undefined }) => {
  const names = Object.keys(entries ?? {});
  if (names.length === 0) return <p>None yet.</p>;
  return (
    <ul class="plain">
      {names.map((name) => (
        <li key={name}>
          <details>
            <summary>{name}</summary>
            <pre>{JSON.stringify(entries?.[name], null, 2)}</pre>
          </details>
        </li>
      ))}
    </ul>
  );
};

const Editor = ({
  kind,
  example,
  save,
}: {
  kind: string;
  example: string;
  save: (name: string, body: unknown, method: 'POST' | 'PUT') => Promise<string>;
}) => {
  const [name, setName] = useState('');
  const [text, setText] = useState(example);
  const action = useAction();
  const submit = (method: 'POST' | 'PUT') =>
    action.run(async () => {
      if (!name.trim()) throw new Error('Give the object a name');
      return save(name.trim(), parseJson(text), method);
    });
  return (
    <form
      data-form={kind}
      onSubmit={(event) => {
        event.preventDefault();
        void submit('POST');
      }}
    >
      <TextInput label="Object name" name="name" value={name} onValue={setName} />
      <Field label={`The ${kind} (JSON)`}>
        <textarea
          name="body"
          rows={10}
          spellcheck={false}
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
        />
      </Field>
      <div class="actions">
        <button type="submit" disabled={action.busy}>
          Create
        </button>
        <button type="button" class="secondary" disabled={action.busy} onClick={() => void submit('PUT')}>
          Replace
        </button>
      </div>
      <Status error={action.error} note={action.note} />
    </form>
  );
};
