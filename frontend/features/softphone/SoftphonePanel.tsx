"use client";

import { useId, useState } from "react";
import { ApiError, api, errorMessage } from "@/lib/api";
import { DEFAULT_COUNTRY, checkNumber, displayNumber } from "@/lib/phone";
import type { MePatch } from "@/lib/types";
import { getSoftphone } from "@/lib/webrtc/browser";
import type { SoftphoneState } from "@/lib/webrtc/softphone";
import { Badge, Card, buttonClass, inputClass } from "@/ui/primitives";
import type { Tone } from "@/lib/format";
import { AudioSettings } from "./AudioSettings";
import { softphoneWords, useAgent, useSoftphoneLifecycle } from "./agent";

const TONE: Record<SoftphoneState["status"], Tone> = {
  idle: "info",
  connecting: "info",
  ready: "success",
  offline: "warning",
  mic_blocked: "danger",
  other_tab: "warning",
  error: "danger",
};

/** The dialer's softphone panel: the agent's own mode and, in browser mode, its state. */
export function SoftphonePanel() {
  const ids = { phone: useId(), phoneError: useId() };
  const { agent, mode, swr } = useAgent();
  const state = useSoftphoneLifecycle(mode, !!swr.data);
  const [choice, setChoice] = useState<"browser" | "phone" | null>(null);
  const [phoneInput, setPhoneInput] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<ApiError | Error | null>(null);

  if (!swr.data) return null;
  const shown = choice ?? (mode === "none" ? null : mode);
  const savedPhone = agent?.phone ?? agent?.effective_phone ?? "";
  const phoneValue = phoneInput ?? (savedPhone ? displayNumber(savedPhone) : "");

  const save = async (patch: MePatch) => {
    setSaving(true);
    setSaveError(null);
    try {
      const user = await api.updateMe(patch);
      await swr.mutate(user, { revalidate: false });
      setChoice(null);
      setPhoneInput(null);
    } catch (err) {
      setSaveError(err instanceof Error ? err : new Error(errorMessage(err)));
    } finally {
      setSaving(false);
    }
  };

  /** The number as +E.164 when it reads as one (the server checks it either way). */
  const e164 = (raw: string) => {
    const check = checkNumber(raw, DEFAULT_COUNTRY);
    return check.valid ? check.e164 : raw.trim();
  };

  const pick = (m: "browser" | "phone") => {
    setSaveError(null);
    setChoice(m);
    if (m === "browser") void save({ agent_mode: "browser" });
    else if (phoneValue) void save({ agent_mode: "phone", agent_phone: e164(phoneValue) });
  };

  const phoneError =
    saveError instanceof ApiError ? (saveError.fieldError("agent_phone") ?? null) : null;

  return (
    <Card className="p-5">
      <section aria-label="Softphone">
        <div className="flex items-center justify-between gap-3">
          <h2 className="text-base font-semibold text-slate-900">Softphone</h2>
          {mode === "browser" && shown === "browser" ? (
            <span data-testid="softphone-status">
              <Badge tone={TONE[state.status]}>{softphoneWords(state)}</Badge>
            </span>
          ) : null}
        </div>

        <fieldset className="mt-3">
          <legend className="text-sm text-slate-600">You talk on calls through</legend>
          <div className="mt-2 grid grid-cols-2 gap-2" role="radiogroup">
            {(
              [
                ["browser", "This browser"],
                ["phone", "My phone"],
              ] as const
            ).map(([m, label]) => (
              <label
                key={m}
                className={`flex cursor-pointer items-center justify-center gap-2 rounded-lg px-3 py-2 text-sm font-medium ring-1 ${
                  shown === m
                    ? "bg-indigo-50 text-indigo-800 ring-indigo-500"
                    : "bg-white text-slate-700 ring-slate-300 hover:bg-slate-50"
                }`}
              >
                <input
                  type="radio"
                  name="agent-mode"
                  value={m}
                  checked={shown === m}
                  disabled={saving}
                  onChange={() => pick(m)}
                  className="accent-indigo-600"
                />
                {label}
              </label>
            ))}
          </div>
          {agent && agent.mode === null && mode !== "none" ? (
            <p className="mt-1 text-xs text-slate-500">
              The team&apos;s default; pick to make it yours.
            </p>
          ) : null}
        </fieldset>

        {shown === null ? (
          <p className="mt-3 text-sm text-slate-600">
            Choose how you talk. Until then a call reaches the customer with nobody on your side.
          </p>
        ) : null}

        {shown === "phone" ? (
          <form
            className="mt-3"
            onSubmit={(e) => {
              e.preventDefault();
              void save({ agent_mode: "phone", agent_phone: e164(phoneValue) });
            }}
          >
            <label htmlFor={ids.phone} className="text-sm font-medium text-slate-700">
              Your phone number
            </label>
            <div className="mt-1 flex gap-2">
              <input
                id={ids.phone}
                type="tel"
                inputMode="tel"
                autoComplete="tel"
                placeholder="+1 312 555 0100"
                value={phoneValue}
                onChange={(e) => setPhoneInput(e.target.value)}
                aria-invalid={phoneError ? true : undefined}
                aria-describedby={phoneError ? ids.phoneError : undefined}
                className={inputClass}
              />
              <button
                type="submit"
                disabled={saving || !phoneValue}
                className={buttonClass("primary")}
              >
                Save
              </button>
            </div>
            {mode === "phone" && choice === null && agent?.effective_phone ? (
              <p className="mt-2 text-sm text-slate-600" data-testid="phone-mode-note">
                We ring {displayNumber(agent.effective_phone)} first. Answer it, then use your
                handset (its own mute and volume).
              </p>
            ) : null}
            {phoneError ? (
              <p id={ids.phoneError} className="mt-1 text-sm text-rose-700">
                {phoneError}
              </p>
            ) : null}
          </form>
        ) : null}

        {saveError && !phoneError ? (
          <p role="alert" className="mt-2 text-sm text-rose-700">
            {errorMessage(saveError)}
          </p>
        ) : null}

        {shown === "browser" && mode === "browser" ? <BrowserState state={state} /> : null}
      </section>
    </Card>
  );
}

function BrowserState({ state }: { state: SoftphoneState }) {
  const phone = getSoftphone();
  return (
    <div className="mt-3 space-y-3">
      {state.status === "ready" ? (
        <p className="text-sm text-slate-600">
          Calls you place ring here first and are answered by themselves; then the customer is
          dialled.
        </p>
      ) : state.problem ? (
        <div
          role="status"
          data-testid="softphone-problem"
          className={`rounded-lg px-3 py-2 text-sm ring-1 ${
            state.status === "other_tab" || state.status === "offline"
              ? "bg-amber-50 text-amber-900 ring-amber-200"
              : "bg-rose-50 text-rose-800 ring-rose-200"
          }`}
        >
          <p className="font-medium">{state.problem.title}</p>
          <p>{state.problem.nextStep}</p>
          <button
            type="button"
            onClick={() => (state.status === "other_tab" ? phone.useThisTab() : void phone.start())}
            className={`mt-2 ${buttonClass("secondary", "sm")}`}
          >
            {state.status === "other_tab" ? "Use this tab" : "Retry"}
          </button>
        </div>
      ) : (
        <p className="text-sm text-slate-600" role="status">
          Connecting the softphone…
        </p>
      )}
      {state.note ? <p className="text-xs text-slate-500">{state.note}</p> : null}
      {state.status === "ready" ? <AudioSettings live /> : null}
    </div>
  );
}
