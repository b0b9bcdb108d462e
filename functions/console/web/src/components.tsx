import { type ComponentChildren, cloneElement, type VNode } from 'preact';
import { useId } from 'preact/hooks';

/** The outcome of the last action: an alert for a failure, a polite status for a success. */
export const Status = ({ error, note }: { error?: string | undefined; note?: string | undefined }) => (
  <>
    {error && (
      <p role="alert" class="error">
        {error}
      </p>
    )}
    <p role="status" class="note">
      {note ?? ''}
    </p>
  </>
);

/**
 * A labelled control: the label names it by id (so its name is the label alone, even for a select),
 * and the hint is tied to it with aria-describedby.
 */
export const Field = ({ label, hint, children }: { label: string; hint?: string; children: VNode }) => {
  const id = useId();
  return (
    <div class="field">
      <label for={id} class="label">
        {label}
      </label>
      {cloneElement(children, { id, ...(hint ? { 'aria-describedby': `${id}-hint` } : {}) })}
      {hint && (
        <span class="hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
    </div>
  );
};

export const formatDate = (iso: string | undefined): string => (iso ? new Date(iso).toLocaleString() : '—');

/** "3 min 5 s" from milliseconds. */
export const formatDuration = (ms: number): string => {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
};

export const Badge = ({ tone, children }: { tone: 'ok' | 'bad' | 'muted'; children: ComponentChildren }) => (
  <span class={`badge ${tone}`}>{children}</span>
);

/** A text-like input in a Field, its value held by the caller. */
export const TextInput = ({
  label,
  hint,
  value,
  onValue,
  type = 'text',
  ...input
}: {
  label: string;
  hint?: string;
  value: string;
  onValue: (value: string) => void;
  name: string;
  type?: 'text' | 'password' | 'url' | 'number';
  required?: boolean;
  autocomplete?: string;
  min?: string;
}) => (
  <Field label={label} {...(hint === undefined ? {} : { hint })}>
    <input
      {...input}
      // One element for every text-like type; Preact types each `type` separately.
      type={type as 'text'}
      value={value}
      onInput={(e) => onValue(e.currentTarget.value)}
    />
  </Field>
);

/** A scrollable table with column headers, and one row saying `empty` when there are no rows. */
export const Table = ({
  columns,
  empty,
  label,
  rows,
}: {
  columns: string[];
  empty?: string;
  label?: string;
  rows: ComponentChildren[];
}) => (
  <div class="table-wrap">
    <table aria-label={label}>
      <thead>
        <tr>
          {columns.map((column) => (
            <th key={column} scope="col">
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 && empty !== undefined ? (
          <tr>
            <td colSpan={columns.length}>{empty}</td>
          </tr>
        ) : (
          rows
        )}
      </tbody>
    </table>
  </div>
);
