import type { ComponentChildren } from 'preact';

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

export const Field = ({
  label,
  hint,
  children,
}: {
  label: string;
  hint?: string;
  children: ComponentChildren;
}) => (
  // biome-ignore lint/a11y/noLabelWithoutControl: the control is the child.
  <label class="field">
    <span class="label">{label}</span>
    {children}
    {hint && <span class="hint">{hint}</span>}
  </label>
);

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
