import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { SWRConfig } from "swr";
import { ToastProvider } from "@/ui/Toasts";
import { setSession, type Session } from "@/lib/session";
import type { CallControls, CallView, User } from "@/lib/types";

/** Render with a fresh SWR cache (no state leaks between tests) and toasts. */
export function renderApp(ui: ReactElement) {
  return render(
    <SWRConfig
      value={{ provider: () => new Map(), dedupingInterval: 0, shouldRetryOnError: false }}
    >
      <ToastProvider>{ui}</ToastProvider>
    </SWRConfig>,
  );
}

export const NO_CONTROLS: CallControls = {
  hangup: false,
  mute: false,
  unmute: false,
  hold: false,
  resume: false,
  speaker: false,
  dtmf: false,
  record_start: false,
  record_stop: false,
};

export function makeCall(over: Partial<CallView> = {}): CallView {
  return {
    call_id: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
    status: "dialing",
    outcome: null,
    answered_by: null,
    from_number: "+12125550200",
    to_number: "+12125550100",
    contact: null,
    started_at: "2026-11-24T10:00:00Z",
    answered_at: null,
    ended_at: null,
    duration: 0,
    muted: false,
    on_hold: false,
    speaker: false,
    recording_url: null,
    hangup_cause: null,
    hangup_source: null,
    sip_hangup_cause: null,
    failure: null,
    controls: { ...NO_CONTROLS, hangup: true },
    ...over,
  };
}

export const ADMIN: User = {
  id: "u-admin",
  email: "admin@dialer.local",
  name: "Ada Admin",
  role: "admin",
  disabled: false,
  created_at: "2026-11-01T09:00:00Z",
};

export const AGENT: User = {
  id: "u-agent",
  email: "agent@dialer.local",
  name: "Alan Agent",
  role: "agent",
  disabled: false,
  created_at: "2026-11-02T09:00:00Z",
};

/** Store a signed-in session as the sign-in page would (valid for an hour by default). */
export function signInAs(user: User = ADMIN, token = `token-${user.id}`, validMs = 3_600_000) {
  const session: Session = {
    token,
    expires_at: new Date(Date.now() + validMs).toISOString(),
    user,
  };
  setSession(session);
  return session;
}
