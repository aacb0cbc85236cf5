export type CallStatus = "dialing" | "ringing" | "active" | "ended";

export type CallOutcome =
  | "completed"
  | "no_answer"
  | "busy"
  | "rejected"
  | "canceled"
  | "failed"
  /** Two-leg calls: the agent's leg was not answered, so the customer was never dialled. */
  | "agent_no_answer"
  /** Two-leg calls: the agent's leg failed, so the customer was never dialled. */
  | "agent_failed";

/** Two-leg calls that ended on the agent's side (the customer was never dialled). */
export type AgentOutcome = Extract<CallOutcome, "agent_no_answer" | "agent_failed">;

export type RecordingStatus = "recording" | "processing" | "available" | "failed";

export interface CallControls {
  hangup: boolean;
  mute: boolean;
  unmute: boolean;
  hold: boolean;
  resume: boolean;
  speaker: boolean;
  dtmf: boolean;
  record_start: boolean;
  record_stop: boolean;
}

export interface CallView {
  call_id: string;
  status: CallStatus;
  outcome: CallOutcome | null;
  answered_by: "human" | "machine" | null;
  /** The id of the user who placed the call; null when placed with the team API key. */
  placed_by?: string | null;
  from_number: string;
  to_number: string;
  contact: { id: string; name: string } | null;
  started_at: string;
  answered_at: string | null;
  ended_at: string | null;
  duration: number;
  muted: boolean;
  on_hold: boolean;
  speaker: boolean;
  recording_url: string | null;
  recording_status?: RecordingStatus | null;
  hangup_cause: string | null;
  hangup_source: string | null;
  sip_hangup_cause: string | null;
  /** When we asked Telnyx to hang up (the call may still be ending). */
  hangup_requested_at?: string | null;
  failure: { code: string; message: string } | null;
  controls: CallControls;
  direction?: "outbound" | "inbound";
  notes?: string | null;
  tags?: string[];
  /** How the agent takes part (a two-leg call rings the agent first). */
  agent_mode?: AgentMode;
  /** Progress over both legs; a one-leg call goes dialing_customer → ringing → connected → ended. */
  phase?: CallPhase;
  /** The agent's leg of a two-leg call; null for a one-leg call. */
  agent_leg?: AgentLeg | null;
}

/** calling you → you answered → dialing customer → ringing → connected → ended. */
export type CallPhase =
  "calling_agent" | "agent_answered" | "dialing_customer" | "ringing" | "connected" | "ended";

/** The agent's own leg (A): the browser's softphone or the agent's phone. */
export interface AgentLeg {
  /** Null for a moment while the agent's dial is in flight; set in the dial's 201. */
  call_control_id: string | null;
  status: "dialing" | "ringing" | "active" | "ended";
  answered_at: string | null;
  ended_at: string | null;
  hangup_cause: string | null;
}

export interface RecordingInfo {
  recording_id: string;
  format?: string | null;
  channels?: string | null;
  duration?: number | null;
  started_at?: string | null;
}

export interface TimelineEvent {
  kind: "event";
  at: string;
  event_type: string;
  event_id: string;
  received_at?: string | null;
  attempt?: number | null;
  deliveries?: number | null;
  summary?: string | null;
  /** Two-leg calls: whose leg the event is about. */
  leg?: "agent" | "customer" | null;
}

export interface TimelineCommand {
  kind: "command";
  at: string;
  command: string;
  command_id: string;
  detail?: string | null;
  result: "ok" | "absorbed" | "failed";
  code?: string | null;
  message?: string | null;
}

export type TimelineEntry = TimelineEvent | TimelineCommand;

export interface CallDetail extends CallView {
  recordings?: RecordingInfo[];
  timeline?: TimelineEntry[];
}

export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: FieldError[];
  /** Telnyx's own error code, when Telnyx refused. */
  telnyx_code?: string;
  call_id?: string;
  [extra: string]: unknown;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface OwnedNumber {
  phone_number: string;
  is_default_caller_id?: boolean;
  status?: string | null;
  connection_id?: string | null;
  country?: string | null;
}

export interface AvailableNumber {
  phone_number: string;
  locality?: string | null;
  region?: string | null;
  country?: string | null;
  monthly_cost?: string | null;
  upfront_cost?: string | null;
  currency?: string | null;
  features?: string[];
}

export type CallFilter = "all" | "active" | "completed" | "missed" | "failed";

export interface Contact {
  id: string;
  name: string;
  phone: string;
  email: string | null;
  company: string | null;
  notes: string | null;
  tags: string[];
  favorite: boolean;
  created_at: string;
  updated_at: string;
  call_count: number;
  last_called_at: string | null;
}

export interface ContactInput {
  name: string;
  phone: string;
  email?: string | null;
  company?: string | null;
  notes?: string | null;
  tags?: string[];
  favorite?: boolean;
}

export interface ImportRowError {
  row: number;
  field: string;
  message: string;
}

export interface ImportReport {
  rows?: number;
  created: number;
  updated: number;
  skipped: number;
  merged?: number;
  committed?: boolean;
  errors: ImportRowError[];
}

export interface OutcomeCounts {
  completed: number;
  no_answer: number;
  busy: number;
  rejected: number;
  canceled: number;
  failed: number;
  agent_no_answer: number;
  agent_failed: number;
}

export interface StatsSummary {
  total: number;
  active: number;
  completed: number;
  missed: number;
  failed: number;
  by_outcome: OutcomeCounts;
  answer_rate: number | null;
  total_talk_secs: number;
  avg_talk_secs: number | null;
  avg_ring_secs: number | null;
}

export interface StatsGroupRow extends StatsSummary {
  key: string;
}

/** GET /api/stats: the summary for the range, plus per-day and per-number groups. */
export interface Stats extends StatsSummary {
  since: string | null;
  until: string | null;
  by_day?: StatsGroupRow[];
  by_number?: StatsGroupRow[];
}

/** GET /api/settings (secrets masked; the API key is write-only). */
export interface SettingsView {
  telnyx_api_key: { configured: boolean; masked: string | null; writable: boolean };
  telnyx_public_key: string | null;
  telnyx_connection_id: string | null;
  default_caller_id: string | null;
  recording: RecordingPrefs;
  hold_music_url: string | null;
  agent_mode: AgentMode;
  agent_phone: string | null;
  dial_policy: DialPolicy;
  webhook_url: string | null;
}

/**
 * The toll-fraud guard's adjustable part. Destinations are allowed in the countries of the
 * team's own numbers plus `extra_countries`; premium-rate and special ranges are always blocked.
 * The limits apply to each user.
 */
export interface DialPolicy {
  /** ISO 3166 alpha-2 codes, e.g. ["CA", "GB"]. */
  extra_countries: string[];
  /** 1–20 */
  max_concurrent_calls: number;
  /** 1–1000, not above the daily limit */
  max_calls_per_hour: number;
  /** 1–10000 */
  max_calls_per_day: number;
}

export type AgentMode = "none" | "browser" | "phone";

export interface RecordingPrefs {
  auto_record: boolean;
  format: "mp3" | "wav";
  channels: "single" | "dual";
}

export interface SettingsUpdate {
  telnyx_api_key?: string | null;
  telnyx_public_key?: string | null;
  telnyx_connection_id?: string | null;
  default_caller_id?: string | null;
  recording?: Partial<RecordingPrefs>;
  hold_music_url?: string | null;
  agent_mode?: AgentMode;
  agent_phone?: string | null;
  dial_policy?: Partial<DialPolicy>;
}

export interface WebhookTest {
  supported: boolean;
  webhook_url: string;
  event_id: string | null;
  arrived: boolean;
  verified: boolean;
  result:
    | "verified"
    | "signature_rejected"
    | "endpoint_error"
    | "unreachable"
    | "no_answer_yet"
    | "unsupported";
  status: number | null;
  error: string | null;
  advice: string | null;
}

export type Role = "admin" | "agent";

/** A person who can sign in (`GET /api/users`, `GET /api/auth/me`). */
export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  created_at: string;
  /** The user's own agent mode (`mode`/`phone` null = the team default) and what applies. */
  agent?: UserAgent;
}

export interface UserAgent {
  mode: "browser" | "phone" | null;
  phone: string | null;
  effective_mode: AgentMode;
  effective_phone: string | null;
}

/** PATCH /api/auth/me */
export interface MePatch {
  agent_mode?: "browser" | "phone" | null;
  agent_phone?: string | null;
}

/** POST /api/webrtc/token: a login token for the softphone; host/ice_servers only when set. */
export interface WebRtcToken {
  token: string;
  expires_at: string;
  sip_username: string;
  host?: string | null;
  ice_servers?: { urls: string | string[]; username?: string; credential?: string }[] | null;
}

export interface NewUser {
  email: string;
  name: string;
  password: string;
  role: Role;
}

export interface UserPatch {
  name?: string;
  role?: Role;
  disabled?: boolean;
  password?: string;
}

/** One line of `GET /api/audit`, newest first. `actor` is a user id, a tried e-mail or null. */
export interface AuditEntry {
  at: string;
  actor: string | null;
  action: string;
  detail: string;
  ip: string | null;
}

/** A short-lived direct link to a call's recording (audio elements cannot send a token). */
export interface RecordingLink {
  url: string;
  expires_at: string;
}
