import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from './api';

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => Promise<void>;
}

/**
 * Loads `load()` now, again whenever `deps` change or `reload()` is called, and every `refreshMs` while
 * `refreshMs` is set (a job running, an event queued).
 */
export const useLoad = <T>(load: () => Promise<T>, deps: unknown[], refreshMs?: number): Loaded<T> => {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(true);
  const latest = useRef(load);
  latest.current = load;
  const reload = useCallback(async () => {
    try {
      setData(await latest.current());
      setError(undefined);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setLoading(false);
    }
  }, []);
  // The caller names what the load depends on.
  useEffect(() => {
    setLoading(true);
    void reload();
  }, deps);
  useEffect(() => {
    if (refreshMs === undefined) return;
    const timer = setInterval(() => void reload(), refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs, reload]);
  return { data, error, loading, reload };
};

/** Runs an action, remembering its failure message or its success note for a status line. */
export const useAction = () => {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [note, setNote] = useState<string>();
  const run = useCallback(async (action: () => Promise<string | undefined>) => {
    setBusy(true);
    setError(undefined);
    setNote(undefined);
    try {
      setNote(await action());
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, note, run };
};
