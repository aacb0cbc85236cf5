import { loadConfig } from "./config";
import { clearSession, getToken, type Session, type SignedOutReason } from "./session";
import type {
  AvailableNumber,
  CallDetail,
  CallFilter,
  CallView,
  AuditEntry,
  MePatch,
  WebRtcToken,
  Contact,
  ContactInput,
  FieldError,
  ImportReport,
  OwnedNumber,
  Page,
  NewUser,
  Problem,
  RecordingLink,
  SettingsUpdate,
  SettingsView,
  Stats,
  User,
  UserPatch,
  WebhookTest,
} from "./types";

/** An RFC 9457 problem (or a network failure dressed as one). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[];
  readonly problem: Problem;
  /** Seconds to wait before trying again (a 429's Retry-After), when the server said. */
  readonly retryAfter: number | null;

  constructor(status: number, problem: Problem, retryAfter: number | null = null) {
    const detail = problem.detail || problem.title || `Request failed (HTTP ${status})`;
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.code = problem.code ?? "unknown";
    this.title = problem.title ?? "Error";
    this.detail = detail;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
    this.problem = problem;
    this.retryAfter = retryAfter;
  }

  fieldError(field: string): string | undefined {
    return this.errors.find((e) => e.field === field)?.message;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.detail;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Retry-After is whole seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

const SIGNED_OUT_CODES: readonly SignedOutReason[] = [
  "sign_in_required",
  "invalid_token",
  "session_expired",
  "account_disabled",
  "session_ended",
];

/** Paths that must not carry a session, nor end one when they answer 401. */
const SIGN_IN_API = "/api/auth/sign-in";

/**
 * Send a request with the session's bearer token; a non-2xx answer becomes an ApiError. A 401
 * (other than a failed sign-in) ends the session: the app shell then sends the user to the
 * sign-in page, with a link back to where they were.
 */
async function send(path: string, init?: RequestInit): Promise<Response> {
  const { apiBaseUrl } = await loadConfig();
  const signingIn = path.startsWith(SIGN_IN_API);
  const token = signingIn ? null : getToken();
  let res: Response;
  try {
    res = await fetch(`${apiBaseUrl}${path}`, {
      ...init,
      headers: {
        Accept: "application/json, application/problem+json",
        ...(init?.body ? { "Content-Type": "application/json" } : {}),
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...init?.headers,
      },
    });
  } catch {
    throw new ApiError(0, {
      code: "network_error",
      title: "Network error",
      detail: "Could not reach the server. Check your connection and try again.",
    });
  }
  if (res.ok) return res;

  const body = parseJson(await res.text().catch(() => ""));
  const problem: Problem =
    body && typeof body === "object"
      ? (body as Problem)
      : { title: res.statusText, detail: `The server answered HTTP ${res.status}.` };
  const error = new ApiError(res.status, problem, parseRetryAfter(res.headers.get("Retry-After")));
  // Only the session that was used ends: a late answer to an older session's request must not
  // sign out whoever signed in since.
  if (res.status === 401 && !signingIn && getToken() === token) {
    const reason = SIGNED_OUT_CODES.find((c) => c === error.code) ?? "sign_in_required";
    clearSession(token ? reason : "sign_in_required");
  }
  throw error;
}

function parseJson(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export async function request<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await send(path, init);
  return parseJson(await res.text()) as T;
}

/** A file the API serves (CSV export): fetched with the token, handed back as a Blob. */
export async function requestBlob(path: string, init?: RequestInit): Promise<Blob> {
  const res = await send(path, {
    cache: "no-store",
    ...init,
    headers: { Accept: "text/csv, application/problem+json, */*", ...init?.headers },
  });
  return res.blob();
}

/** Save a Blob under `filename` through a temporary object URL. */
export function saveBlob(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.rel = "noopener";
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Give the browser a moment to start the download before the URL goes away.
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const post = <T>(path: string, body?: unknown, headers?: Record<string, string>) =>
  request<T>(path, {
    method: "POST",
    body: body === undefined ? undefined : JSON.stringify(body),
    headers,
  });

const sendJson = <T>(method: string, path: string, body?: unknown) =>
  request<T>(path, { method, body: body === undefined ? undefined : JSON.stringify(body) });

const get = <T>(path: string) => request<T>(path, { cache: "no-store" });

const enc = encodeURIComponent;

/** Lists come as `{items, next_cursor}` (older answers used `data`): accept both. */
function page<T>(raw: unknown): Page<T> {
  const r = (raw ?? {}) as { items?: T[]; data?: T[]; next_cursor?: string | null };
  return { items: r.items ?? r.data ?? [], next_cursor: r.next_cursor ?? null };
}

/** A plain array (users, audit), also accepted wrapped as a page. */
function list<T>(raw: unknown): T[] {
  return Array.isArray(raw) ? (raw as T[]) : page<T>(raw).items;
}

function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    qs.set(k, String(v));
  }
  const s = qs.toString();
  return s ? `?${s}` : "";
}

/** What the platform costs on AWS for the default call profile (docs/cost-model.md). */
export interface CostEstimate {
  aws_per_1000_calls: number;
  telnyx_per_1000_calls: number;
  aws_share_of_telnyx_percent: number | null;
}

export interface DialRequest {
  to_number: string;
  from_number: string;
  record?: boolean;
  contact_id?: string;
  /** Browser agent mode: the page's softphone is registered and will answer the agent leg. */
  agent_ready?: boolean;
}

export interface CallQuery {
  status?: CallFilter;
  q?: string;
  since?: string | null;
  until?: string | null;
  contact_id?: string | null;
  /** `"me"` (the signed-in user) or a user id: only the calls that user placed. */
  placed_by?: string | null;
  limit?: number;
  cursor?: string | null;
}

/** The call list's filters as query parameters (the list and its CSV export share them). */
function callFilters(params: Omit<CallQuery, "limit" | "cursor">) {
  return {
    status: params.status && params.status !== "all" ? params.status : undefined,
    q: params.q,
    since: params.since,
    until: params.until,
    contact_id: params.contact_id,
    placed_by: params.placed_by,
  };
}

export function callQueryString(params: Omit<CallQuery, "limit" | "cursor">): string {
  return query(callFilters(params));
}

/** A fresh key per key press: a retried request with the same key is not a second press. */
export function newIdempotencyKey(): string {
  try {
    if (typeof crypto !== "undefined" && "randomUUID" in crypto) return crypto.randomUUID();
  } catch {
    /* insecure context: fall through */
  }
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

/** Absolute URL of an API path (honours config.json's apiBaseUrl). */
export async function apiUrl(path: string): Promise<string> {
  const { apiBaseUrl } = await loadConfig();
  return `${apiBaseUrl}${path}`;
}

export interface AuditQuery {
  limit?: number;
}

export type ControlName = "mute" | "unmute" | "hold" | "resume";

export const api = {
  dial: (req: DialRequest) => post<CallView>("/api/telnyx/dial", req),
  hangup: (id: string) => post<CallView>(`/api/telnyx/hangup/${enc(id)}`),
  /**
   * The live view. Not `no-store`: the answer carries an ETag and `no-cache`, so the browser
   * revalidates every poll and an unchanged call costs a 304 (handed back here as the cached
   * 200).
   */
  status: (id: string) => request<CallView>(`/api/call-status/status/${enc(id)}`),
  control: (id: string, action: ControlName) => post<CallView>(`/api/calls/${enc(id)}/${action}`),
  speaker: (id: string, on: boolean) => post<CallView>(`/api/calls/${enc(id)}/speaker`, { on }),
  dtmf: (id: string, digits: string, key: string = newIdempotencyKey()) =>
    post<CallView>(`/api/calls/${enc(id)}/dtmf`, { digits }, { "Idempotency-Key": key }),
  recording: (id: string, action: "start" | "stop") =>
    post<CallView>(`/api/calls/${enc(id)}/recording/${action}`),

  calls: async (params: CallQuery) =>
    page<CallView>(
      await get(
        `/api/calls${query({ ...callFilters(params), limit: params.limit, cursor: params.cursor })}`,
      ),
    ),
  call: (id: string) => get<CallDetail>(`/api/calls/${enc(id)}`),
  updateCall: (id: string, patch: { notes?: string | null; tags?: string[] }) =>
    sendJson<CallDetail>("PATCH", `/api/calls/${enc(id)}`, patch),

  contacts: async (params: {
    q?: string;
    favorite?: boolean;
    limit?: number;
    cursor?: string | null;
  }) =>
    page<Contact>(
      await get(
        `/api/contacts${query({
          q: params.q,
          favorite: params.favorite ? true : undefined,
          limit: params.limit,
          cursor: params.cursor,
        })}`,
      ),
    ),
  contact: (id: string) => get<Contact>(`/api/contacts/${enc(id)}`),
  createContact: (input: ContactInput) => post<Contact>("/api/contacts", input),
  updateContact: (id: string, input: ContactInput) =>
    sendJson<Contact>("PUT", `/api/contacts/${enc(id)}`, input),
  setFavorite: (id: string, favorite: boolean) =>
    sendJson<Contact>("PATCH", `/api/contacts/${enc(id)}`, { favorite }),
  deleteContact: (id: string) => sendJson<null>("DELETE", `/api/contacts/${enc(id)}`),
  contactCalls: async (id: string, cursor?: string | null) =>
    page<CallView>(await get(`/api/contacts/${enc(id)}/calls${query({ limit: 20, cursor })}`)),
  importContacts: (csv: string) =>
    request<ImportReport>("/api/contacts/import", {
      method: "POST",
      body: csv,
      headers: { "Content-Type": "text/csv" },
    }),

  stats: (params: { since?: string | null; until?: string | null; group?: "day" | "number" }) =>
    get<Stats>(`/api/stats${query(params)}`),

  settings: () => get<SettingsView>("/api/settings"),
  saveSettings: (update: SettingsUpdate) => sendJson<SettingsView>("PUT", "/api/settings", update),
  testWebhook: () => post<WebhookTest>("/api/settings/test-webhook"),
  costEstimate: () => get<CostEstimate>("/api/cost-estimate"),
  numbers: async () => page<OwnedNumber>(await get("/api/numbers")),
  availableNumbers: async (params: { country?: string; area_code?: string; contains?: string }) =>
    page<AvailableNumber>(await get(`/api/numbers/available${query({ ...params, limit: 10 })}`)),
  orderNumber: (phone_number: string, confirm: string) =>
    post<Record<string, unknown>>("/api/numbers/orders", { phone_number, confirm }),

  /** A fresh short-lived link to play or download a call's recording. */
  recordingLink: async (id: string): Promise<RecordingLink> => {
    const link = await get<RecordingLink>(`/api/calls/${enc(id)}/recording/link`);
    // A link into this API may come as a path: make it absolute for a separate API origin.
    return link.url.startsWith("/") ? { ...link, url: await apiUrl(link.url) } : link;
  },
  /** The call logs as CSV, with the same filters as the list. */
  exportCalls: (params: Omit<CallQuery, "limit" | "cursor">) =>
    requestBlob(`/api/calls/export.csv${callQueryString(params)}`),

  signIn: (email: string, password: string) =>
    post<Session>("/api/auth/sign-in", { email, password }),
  signOut: () => post<null>("/api/auth/sign-out"),
  me: () => get<User>("/api/auth/me"),
  updateMe: (patch: MePatch) => sendJson<User>("PATCH", "/api/auth/me", patch),
  webrtcToken: () => post<WebRtcToken>("/api/webrtc/token"),

  users: async () => list<User>(await get("/api/users")),
  createUser: (user: NewUser) => post<User>("/api/users", user),
  updateUser: (id: string, patch: UserPatch) =>
    sendJson<User>("PATCH", `/api/users/${enc(id)}`, patch),
  audit: async (params: AuditQuery = {}) =>
    list<AuditEntry>(await get(`/api/audit${query({ limit: params.limit })}`)),
};
