import { useState } from 'preact/hooks';
import {
  ApiError,
  type BulkJobView,
  call,
  callRaw,
  hubAuthorization,
  type Instance,
  platformAuthorization,
  type RowError,
  type Secrets,
  TERMINAL_JOB_STATUSES,
} from '../api';
import { Field, formatDate, Status, Table, TextInput } from '../components';
import { useAction, useLoad } from '../hooks';
import { navigate } from '../router';

const FORMATS = [
  { accept: 'text/csv', label: 'CSV', extension: 'csv' },
  { accept: 'application/jsonl', label: 'JSON lines', extension: 'jsonl' },
  { accept: 'application/json; format=array', label: 'JSON array', extension: 'json' },
] as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Fetches a finished job's file in a format (202 + Retry-After while the worker converts it; the 302 to
 * the presigned URL is followed by fetch) and hands it to the browser as a download.
 */
const downloadFile = async (auth: string, job: BulkJobView, format: (typeof FORMATS)[number]) => {
  for (let attempt = 0; attempt < 60; attempt += 1) {
    const response = await callRaw(auth, `/bulk/${job.id}/${encodeURIComponent(job.objectName)}`, {
      headers: { Accept: format.accept },
    });
    if (response.status === 202) {
      await sleep(Math.min(5, Number(response.headers.get('Retry-After') ?? '1')) * 1000);
      continue;
    }
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement('a');
    link.href = url;
    link.download = `${job.objectName}-${job.id}.${format.extension}`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    return `Downloaded ${link.download}`;
  }
  throw new ApiError(504, 'The file is still being converted; try again in a minute');
};

export const BulkPage = ({ secrets, query }: { secrets: Secrets; query: URLSearchParams }) => {
  const platform = platformAuthorization(secrets);
  const instances = useLoad(() => call<Instance[]>(platform, '/instances'), [platform]);
  const selectedId = query.get('instance') ?? String(instances.data?.[0]?.id ?? '');
  // The element token comes with the instance itself; it stays in memory only.
  const selected = useLoad(
    async () => (selectedId ? call<Instance>(platform, `/instances/${selectedId}`) : undefined),
    [platform, selectedId],
  );
  const token = selected.data?.token;

  return (
    <>
      <h1>Bulk jobs</h1>
      <Status error={instances.error ?? selected.error} />
      <Field label="Instance">
        <select
          name="instance"
          value={selectedId}
          onChange={(e) => navigate(`#/bulk?instance=${e.currentTarget.value}`)}
        >
          {(instances.data ?? []).map((instance) => (
            <option key={instance.id} value={String(instance.id)}>
              {instance.name} (#{instance.id})
            </option>
          ))}
        </select>
      </Field>
      {instances.data?.length === 0 && (
        <p>
          No instance yet: <a href="#/instances">connect one</a> first.
        </p>
      )}
      {token && <BulkForInstance key={token} auth={hubAuthorization(secrets, token)} />}
    </>
  );
};

const BulkForInstance = ({ auth }: { auth: string }) => {
  const [running, setRunning] = useState(false);
  const jobs = useLoad(
    async () => {
      const list = await call<BulkJobView[]>(auth, '/bulk/jobs?pageSize=50');
      setRunning(list.some((job) => !TERMINAL_JOB_STATUSES.has(job.status)));
      return list;
    },
    [auth],
    running ? 1_000 : undefined,
  );
  const objects = useLoad(() => call<string[]>(auth, '/hubs/helpdesk/objects'), [auth]);
  const action = useAction();
  const [errorsOf, setErrorsOf] = useState<BulkJobView>();

  const started = async (note: string) => {
    setRunning(true);
    await jobs.reload();
    return note;
  };

  return (
    <>
      <div class="columns">
        <DownloadForm
          objects={objects.data ?? []}
          onSubmit={(body) =>
            action.run(async () => {
              const job = await call<{ id: string }>(auth, '/bulk/download', { method: 'POST', json: body });
              return started(`Download job ${job.id} started`);
            })
          }
          busy={action.busy}
        />
        <UploadForm
          objects={objects.data ?? []}
          busy={action.busy}
          onSubmit={(objectName, form) =>
            action.run(async () => {
              const job = await call<{ id: string }>(auth, `/bulk/${encodeURIComponent(objectName)}`, {
                method: 'POST',
                form,
              });
              return started(`Upload job ${job.id} started`);
            })
          }
        />
      </div>
      <Status error={action.error ?? jobs.error ?? objects.error} note={action.note} />
      <section aria-labelledby="jobs-title">
        <h2 id="jobs-title">Jobs</h2>
        <Table
          columns={['Created', 'Object', 'Direction', 'Status', 'Progress', 'Records', 'Failed', 'Actions']}
          empty="No job yet."
          rows={(jobs.data ?? []).map((job) => (
            <tr key={job.id} data-job={job.id} data-status={job.status}>
              <td>{formatDate(job.createdDate)}</td>
              <td>{job.objectName}</td>
              <td>{job.direction.toLowerCase()}</td>
              <td>
                {job.status}
                {job.statusMessage && <span class="hint"> {job.statusMessage}</span>}
              </td>
              <td>
                <progress max={100} value={job.progress} aria-label={`Progress of job ${job.id}`}>
                  {job.progress}%
                </progress>{' '}
                <span class="hint">{job.progress}%</span>
              </td>
              <td data-testid="records">{job.recordsCount}</td>
              <td>{job.recordsFailedCount}</td>
              <td class="actions">
                {job.direction === 'DOWNLOAD' &&
                  job.status === 'COMPLETED' &&
                  FORMATS.map((format) => (
                    <button
                      key={format.accept}
                      type="button"
                      class="secondary"
                      disabled={action.busy}
                      onClick={() => action.run(() => downloadFile(auth, job, format))}
                    >
                      {format.label}
                    </button>
                  ))}
                {job.direction === 'UPLOAD' && job.recordsFailedCount > 0 && (
                  <button type="button" class="secondary" onClick={() => setErrorsOf(job)}>
                    Errors
                  </button>
                )}
                {!TERMINAL_JOB_STATUSES.has(job.status) && (
                  <button
                    type="button"
                    class="danger"
                    disabled={action.busy}
                    onClick={() =>
                      action.run(async () => {
                        await call(auth, `/bulk/${job.id}/cancel`, { method: 'PUT' });
                        await jobs.reload();
                        return `Cancel requested for job ${job.id}`;
                      })
                    }
                  >
                    Cancel
                  </button>
                )}
              </td>
            </tr>
          ))}
        />
      </section>
      {errorsOf && <ErrorTable auth={auth} job={errorsOf} onClose={() => setErrorsOf(undefined)} />}
    </>
  );
};

const ObjectPicker = ({
  objects,
  value,
  onChange,
}: {
  objects: string[];
  value: string;
  onChange: (value: string) => void;
}) => (
  <Field label="Object">
    <select name="objectName" value={value} onChange={(e) => onChange(e.currentTarget.value)}>
      {objects.map((name) => (
        <option key={name} value={name}>
          {name}
        </option>
      ))}
    </select>
  </Field>
);

interface DownloadBody {
  objectName: string;
  format: string;
  where?: string;
  selectFields?: string[];
}

const DownloadForm = ({
  objects,
  busy,
  onSubmit,
}: {
  objects: string[];
  busy: boolean;
  onSubmit: (body: DownloadBody) => void;
}) => {
  const [objectName, setObjectName] = useState('incidents');
  const [where, setWhere] = useState('');
  const [fields, setFields] = useState('');
  const [format, setFormat] = useState('text/csv');
  return (
    <section class="card" aria-labelledby="download-title">
      <h2 id="download-title">Start a download</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          const selectFields = fields
            .split(',')
            .map((field) => field.trim())
            .filter(Boolean);
          onSubmit({
            objectName,
            format,
            ...(where.trim() ? { where: where.trim() } : {}),
            ...(selectFields.length > 0 ? { selectFields } : {}),
          });
        }}
      >
        <ObjectPicker objects={objects} value={objectName} onChange={setObjectName} />
        <TextInput
          label="Filter (CEQL)"
          hint="for example: priority = '1' and active = true"
          name="where"
          value={where}
          onValue={setWhere}
        />
        <TextInput
          label="Fields"
          hint="comma-separated; empty for all"
          name="fields"
          value={fields}
          onValue={setFields}
        />
        <Field label="Format">
          <select name="format" value={format} onChange={(e) => setFormat(e.currentTarget.value)}>
            <option value="text/csv">CSV</option>
            <option value="application/json">JSON</option>
          </select>
        </Field>
        <button type="submit" disabled={busy}>
          Start the download
        </button>
      </form>
    </section>
  );
};

const UploadForm = ({
  objects,
  busy,
  onSubmit,
}: {
  objects: string[];
  busy: boolean;
  onSubmit: (objectName: string, form: FormData) => void;
}) => {
  const [objectName, setObjectName] = useState('incidents');
  const [file, setFile] = useState<File>();
  const [identifier, setIdentifier] = useState('');
  const [over, setOver] = useState(false);
  return (
    <section class="card" aria-labelledby="upload-title">
      <h2 id="upload-title">Upload a file</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (!file) return;
          const form = new FormData();
          form.append('file', file, file.name);
          if (identifier.trim()) {
            form.append('metaData', JSON.stringify({ identifierFieldName: identifier.trim() }));
          }
          onSubmit(objectName, form);
        }}
      >
        <ObjectPicker objects={objects} value={objectName} onChange={setObjectName} />
        {/* Dropping is a shortcut for the file input inside, which keyboards and screen readers use. */}
        <fieldset
          class={`drop${over ? ' over' : ''}`}
          data-testid="drop-zone"
          onDragOver={(event) => {
            event.preventDefault();
            setOver(true);
          }}
          onDragLeave={() => setOver(false)}
          onDrop={(event) => {
            event.preventDefault();
            setOver(false);
            const dropped = event.dataTransfer?.files[0];
            if (dropped) setFile(dropped);
          }}
        >
          <Field label="File (CSV, JSON or JSON lines)" hint="or drop it here">
            <input
              name="file"
              type="file"
              accept=".csv,.json,.jsonl,text/csv,application/json"
              onChange={(e) => setFile(e.currentTarget.files?.[0])}
            />
          </Field>
          <p class="hint" aria-live="polite">
            {file ? `Selected: ${file.name} (${file.size} bytes)` : 'No file selected'}
          </p>
        </fieldset>
        <TextInput
          label="Identifier field"
          hint="optional: upsert on this field (for example number)"
          name="identifier"
          value={identifier}
          onValue={setIdentifier}
        />
        <button type="submit" disabled={busy || !file}>
          Upload
        </button>
      </form>
    </section>
  );
};

const ErrorTable = ({ auth, job, onClose }: { auth: string; job: BulkJobView; onClose: () => void }) => {
  const errors = useLoad(() => call<RowError[]>(auth, `/bulk/${job.id}/errors?pageSize=200`), [auth, job.id]);
  return (
    <section class="card" aria-labelledby="errors-title">
      <h2 id="errors-title">Rows job {job.id} could not write</h2>
      <Status error={errors.error} />
      <Table
        columns={['Row', 'Reason', 'Status', 'ServiceNow said']}
        label="Row errors"
        rows={(errors.data ?? []).map((row) => (
          <tr key={row.rowNumber} data-row={row.rowNumber}>
            <td>{row.rowNumber}</td>
            <td>{row.reason}</td>
            <td>{row.status ?? ''}</td>
            <td>{row.providerMessage ?? ''}</td>
          </tr>
        ))}
      />
      <button type="button" class="secondary" onClick={onClose}>
        Close
      </button>
    </section>
  );
};
