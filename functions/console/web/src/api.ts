/**
 * The console's only way to the API: same origin, the base path taken from where the console is served
 * (`<base>/console/` → `<base>/`). Secrets live in sessionStorage only (gone with the tab), never in a
 * URL or a cookie.
 */

export const API_BASE = new URL('../', document.baseURI).pathname.replace(/\/$/, '');

const USER_KEY = 'snow-element.user';
const ORG_KEY = 'snow-element.organization';

export interface Secrets {
  user: string;
  organization: string;
}

export const loadSecrets = (): Secrets | undefined => {
  const user = sessionStorage.getItem(USER_KEY);
  const organization = sessionStorage.getItem(ORG_KEY);
  return user && organization ? { user, organization } : undefined;
};

export const saveSecrets = (secrets: Secrets): void => {
  sessionStorage.setItem(USER_KEY, secrets.user);
  sessionStorage.setItem(ORG_KEY, secrets.organization);
};

export const clearSecrets = (): void => {
  sessionStorage.removeItem(USER_KEY);
  sessionStorage.removeItem(ORG_KEY);
};

export const platformAuthorization = (secrets: Secrets) =>
  `User ${secrets.user}, Organization ${secrets.organization}`;

export const hubAuthorization = (secrets: Secrets, token: string) => `User ${secrets.user}, Element ${token}`;

/** An error answer of the API: its status and the `message` of its JSON body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly providerMessage?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface CallOptions {
  method?: string;
  json?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
}

const errorOf = async (response: Response): Promise<ApiError> => {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { message?: unknown; providerMessage?: unknown };
    return new ApiError(
      response.status,
      typeof body.message === 'string' ? body.message : `HTTP ${response.status}`,
      typeof body.providerMessage === 'string' ? body.providerMessage : undefined,
    );
  } catch {
    return new ApiError(response.status, text.trim() || `HTTP ${response.status}`);
  }
};

/** Calls `<API_BASE><path>` with `authorization`; answers the raw response of a 2xx, throws ApiError otherwise. */
export const callRaw = async (
  authorization: string,
  path: string,
  options: CallOptions = {},
): Promise<Response> => {
  const headers: Record<string, string> = { Authorization: authorization, ...options.headers };
  let body: BodyInit | undefined;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form) {
    body = options.form;
  }
  const response = await fetch(`${API_BASE}${path}`, {
    method: options.method ?? 'GET',
    headers,
    body,
    credentials: 'omit',
    cache: 'no-store',
  });
  if (!response.ok) throw await errorOf(response);
  return response;
};

export const call = async <T>(authorization: string, path: string, options: CallOptions = {}): Promise<T> => {
  const response = await callRaw(authorization, path, options);
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
};

/** The message to show for any failure. */
export const describeError = (error: unknown): string => {
  if (error instanceof ApiError) {
    if (error.status === 401)
      return `Not signed in: ${error.message}. Check the user and organization secrets.`;
    return error.providerMessage ? `${error.message} (ServiceNow: ${error.providerMessage})` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
};

export interface Instance {
  id: number;
  name: string;
  token?: string;
  element: { key: string; name?: string };
  valid: boolean;
  invalidReason?: string;
  disabled: boolean;
  eventsEnabled?: boolean;
  tags?: string[];
  configuration: Record<string, string | null>;
  createdDate?: string;
  updatedDate?: string;
}

export interface PollStatus {
  instanceId: number;
  lastPollAt?: string;
  queued?: number;
  /** Per followed resource: changes up to here are queued. */
  checkpoints?: { stream: string; checkpoint: string }[];
  /** Now minus the oldest checkpoint, in seconds. */
  lagSeconds?: number;
  errors: { stream: string; message: string; status?: number }[];
}

export interface EventEntry {
  id: string;
  eventDate: string;
  status: string;
  providerData: string;
  deliveryStatus: string;
  attempts: number;
  objectType: string;
  eventCount: number;
  deliveredAt?: string;
  lastStatusCode?: number;
  lastError?: string;
}

export interface BulkJobView {
  id: string;
  objectName: string;
  direction: 'DOWNLOAD' | 'UPLOAD';
  status: string;
  recordsCount: number;
  recordsFailedCount: number;
  progress: number;
  fileFormat?: string;
  createdDate: string;
  statusMessage?: string;
}

export interface RowError {
  rowNumber: number;
  reason: string;
  status?: number;
  providerMessage?: string;
}

export const TERMINAL_JOB_STATUSES = new Set(['COMPLETED', 'ERROR', 'ABORTED', 'CANCELLED']);
