import { loadConfig } from "./config";
import type {
  AvailableNumber,
  CallDetail,
  CallFilter,
  CallView,
  Contact,
  ContactInput,
  FieldError,
  ImportReport,
  OwnedNumber,
  Page,
  Problem,
  SettingsUpdate,
  SettingsView,
  Stats,
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

  constructor(status: number, problem: Problem) {
    const detail = problem.detail || problem.title || `Request failed (HTTP ${status})`;
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.code = problem.code ?? "unknown";
    this.title = problem.title ?? "Error";
    this.detail = detail;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
    this.problem = problem;
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

export async function request<T>(path: string, init?: RequestInit): Promise<T> {
  const { apiBaseUrl } = await loadConfig();
  let res: Response;
  try {
    res = await fetch(`${apiBaseUrl}${path}`, {
      ...init,
      headers: {
        Accept: "application/json, application/problem+json",
        ...(init?.body ? { "Content-Type": "application/json" } : {}),
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
  const text = await res.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!res.ok) {
    const problem: Problem =
      body && typeof body === "object"
        ? (body as Problem)
        : { title: res.statusText, detail: `The server answered HTTP ${res.status}.` };
    throw new ApiError(res.status, problem);
  }
  return body as T;
}

const post = <T>(path: string, body?: unknown, headers?: Record<string, string>) =>
  request<T>(path, {
    method: "POST",
    body: body === undefined ? undefined : JSON.stringify(body),
    headers,
  });

const send = <T>(method: string, path: string, body?: unknown) =>
  request<T>(path, { method, body: body === undefined ? undefined : JSON.stringify(body) });

const get = <T>(path: string) => request<T>(path, { cache: "no-store" });

const enc = encodeURIComponent;

/** Lists come as `{items, next_cursor}` (older answers used `data`): accept both. */
function page<T>(raw: unknown): Page<T> {
  const r = (raw ?? {}) as { items?: T[]; data?: T[]; next_cursor?: string | null };
  return { items: r.items ?? r.data ?? [], next_cursor: r.next_cursor ?? null };
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
}

export interface CallQuery {
  status?: CallFilter;
  q?: string;
  since?: string | null;
  until?: string | null;
  contact_id?: string | null;
  limit?: number;
  cursor?: string | null;
}

export function callQueryString(params: Omit<CallQuery, "limit" | "cursor">): string {
  return query({
    status: params.status && params.status !== "all" ? params.status : undefined,
    q: params.q,
    since: params.since,
    until: params.until,
    contact_id: params.contact_id,
  });
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

export type ControlName = "mute" | "unmute" | "hold" | "resume";

export const api = {
  dial: (req: DialRequest) => post<CallView>("/api/telnyx/dial", req),
  hangup: (id: string) => post<CallView>(`/api/telnyx/hangup/${enc(id)}`),
  status: (id: string) => get<CallView>(`/api/call-status/status/${enc(id)}`),
  control: (id: string, action: ControlName) => post<CallView>(`/api/calls/${enc(id)}/${action}`),
  speaker: (id: string, on: boolean) => post<CallView>(`/api/calls/${enc(id)}/speaker`, { on }),
  dtmf: (id: string, digits: string, key: string = newIdempotencyKey()) =>
    post<CallView>(`/api/calls/${enc(id)}/dtmf`, { digits }, { "Idempotency-Key": key }),
  recording: (id: string, action: "start" | "stop") =>
    post<CallView>(`/api/calls/${enc(id)}/recording/${action}`),

  calls: async (params: CallQuery) =>
    page<CallView>(
      await get(
        `/api/calls${query({
          status: params.status && params.status !== "all" ? params.status : undefined,
          q: params.q,
          since: params.since,
          until: params.until,
          contact_id: params.contact_id,
          limit: params.limit,
          cursor: params.cursor,
        })}`,
      ),
    ),
  call: (id: string) => get<CallDetail>(`/api/calls/${enc(id)}`),
  updateCall: (id: string, patch: { notes?: string | null; tags?: string[] }) =>
    send<CallDetail>("PATCH", `/api/calls/${enc(id)}`, patch),

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
    send<Contact>("PUT", `/api/contacts/${enc(id)}`, input),
  setFavorite: (id: string, favorite: boolean) =>
    send<Contact>("PATCH", `/api/contacts/${enc(id)}`, { favorite }),
  deleteContact: (id: string) => send<null>("DELETE", `/api/contacts/${enc(id)}`),
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
  saveSettings: (update: SettingsUpdate) => send<SettingsView>("PUT", "/api/settings", update),
  testWebhook: () => post<WebhookTest>("/api/settings/test-webhook"),
  costEstimate: () => get<CostEstimate>("/api/cost-estimate"),
  numbers: async () => page<OwnedNumber>(await get("/api/numbers")),
  availableNumbers: async (params: { country?: string; area_code?: string; contains?: string }) =>
    page<AvailableNumber>(await get(`/api/numbers/available${query({ ...params, limit: 10 })}`)),
  orderNumber: (phone_number: string, confirm: string) =>
    post<Record<string, unknown>>("/api/numbers/orders", { phone_number, confirm }),
};
