"use client";

import { useId, useState } from "react";
import type { FormEvent } from "react";
import { checkNumber, displayNumber, DEFAULT_COUNTRY } from "@/lib/phone";
import type { AgentMode, SettingsView } from "@/lib/types";
import { Card, CardHeader, inputClass } from "@/ui/primitives";
import { Field } from "@/ui/Field";
import { useSave, SaveBar } from "../form";

export function CallingCard({
  settings,
  onSaved,
  owned,
}: {
  settings: SettingsView;
  onSaved: (s: SettingsView) => void;
  owned: string[];
}) {
  const { save, saving, fieldError } = useSave(onSaved);
  const ids = { caller: useId(), hold: useId(), phone: useId() };
  const [caller, setCaller] = useState(settings.default_caller_id ?? "");
  const [hold, setHold] = useState(settings.hold_music_url ?? "");
  const [mode, setMode] = useState<AgentMode>(settings.agent_mode);
  const [agentPhone, setAgentPhone] = useState(
    settings.agent_phone ? displayNumber(settings.agent_phone) : "",
  );

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const agentCheck = checkNumber(agentPhone, DEFAULT_COUNTRY);
    await save(
      {
        default_caller_id: caller.trim() || null,
        hold_music_url: hold.trim() || null,
        agent_mode: mode,
        agent_phone: agentPhone.trim()
          ? agentCheck.valid
            ? agentCheck.e164
            : agentPhone.trim()
          : null,
      },
      "Calling settings saved",
    );
  };

  const modes: { value: AgentMode; label: string; hint: string }[] = [
    {
      value: "none",
      label: "No agent leg",
      hint: "Calls the customer only (demos, automated calls).",
    },
    { value: "browser", label: "Browser", hint: "You talk through this browser (WebRTC)." },
    {
      value: "phone",
      label: "Agent phone",
      hint: "Your own phone rings first, then the customer.",
    },
  ];

  return (
    <Card>
      <CardHeader title="Calling" />
      <form onSubmit={(e) => void submit(e)} aria-label="Calling" className="contents">
        <div className="space-y-4 px-5 py-4">
          <Field
            label="Default caller ID"
            htmlFor={ids.caller}
            error={fieldError("default_caller_id")}
            hint="Preselected in the dialer's From field."
          >
            {owned.length ? (
              <select
                id={ids.caller}
                value={caller}
                onChange={(e) => setCaller(e.target.value)}
                className={inputClass}
              >
                <option value="">No default (first number)</option>
                {owned.map((n) => (
                  <option key={n} value={n}>
                    {displayNumber(n)}
                  </option>
                ))}
              </select>
            ) : (
              <input
                id={ids.caller}
                type="tel"
                value={caller}
                onChange={(e) => setCaller(e.target.value)}
                placeholder="+1 212 555 0200"
                className={inputClass}
              />
            )}
          </Field>
          <fieldset>
            <legend className="text-sm font-medium text-slate-700">Agent mode</legend>
            <div className="mt-2 grid gap-2 sm:grid-cols-3">
              {modes.map((m) => (
                <label
                  key={m.value}
                  className={`flex cursor-pointer flex-col rounded-xl px-3 py-2 ring-1 ${
                    mode === m.value
                      ? "bg-indigo-50 ring-indigo-400"
                      : "ring-slate-200 hover:bg-slate-50"
                  }`}
                >
                  <span className="flex items-center gap-2 text-sm font-medium text-slate-900">
                    <input
                      type="radio"
                      name="agent_mode"
                      value={m.value}
                      checked={mode === m.value}
                      onChange={() => setMode(m.value)}
                      className="accent-indigo-600"
                    />
                    {m.label}
                  </span>
                  <span className="mt-0.5 text-xs text-slate-500">{m.hint}</span>
                </label>
              ))}
            </div>
          </fieldset>
          {mode === "phone" || fieldError("agent_phone") ? (
            <Field label="Agent phone" htmlFor={ids.phone} error={fieldError("agent_phone")}>
              <input
                id={ids.phone}
                type="tel"
                value={agentPhone}
                onChange={(e) => setAgentPhone(e.target.value)}
                placeholder="The number that rings for you"
                aria-invalid={fieldError("agent_phone") ? true : undefined}
                className={inputClass}
              />
            </Field>
          ) : null}
          <Field
            label="Hold music URL"
            htmlFor={ids.hold}
            error={fieldError("hold_music_url")}
            hint="An mp3 or wav Telnyx can fetch; played in a loop while a call is on hold."
          >
            <input
              id={ids.hold}
              type="url"
              value={hold}
              onChange={(e) => setHold(e.target.value)}
              placeholder="https://example.com/hold.mp3"
              aria-invalid={fieldError("hold_music_url") ? true : undefined}
              className={inputClass}
            />
          </Field>
        </div>
        <SaveBar saving={saving} />
      </form>
    </Card>
  );
}
