"use client";

import { useId, useState } from "react";
import type { FormEvent } from "react";
import type { SettingsUpdate, SettingsView } from "@/lib/types";
import { Badge, Card, CardHeader, buttonClass, inputClass } from "@/ui/primitives";
import { Field } from "@/ui/Field";
import { useSave, SaveBar } from "../form";

export function TelnyxCard({
  settings,
  onSaved,
}: {
  settings: SettingsView;
  onSaved: (s: SettingsView) => void;
}) {
  const { save, saving, fieldError } = useSave(onSaved);
  const ids = { key: useId(), pub: useId(), conn: useId() };
  const [apiKey, setApiKey] = useState("");
  const [connection, setConnection] = useState(settings.telnyx_connection_id ?? "");
  const key = settings.telnyx_api_key;
  const dirty = apiKey.trim() !== "" || connection !== (settings.telnyx_connection_id ?? "");

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const update: SettingsUpdate = {};
    if (apiKey.trim()) update.telnyx_api_key = apiKey.trim();
    if (connection !== (settings.telnyx_connection_id ?? ""))
      update.telnyx_connection_id = connection.trim() || null;
    if (await save(update, "Telnyx settings saved")) setApiKey("");
  };

  return (
    <Card>
      <CardHeader title="Telnyx account" />
      <form onSubmit={(e) => void submit(e)} aria-label="Telnyx account" className="contents">
        <div className="space-y-4 px-5 py-4">
          <Field
            label="API key"
            htmlFor={ids.key}
            error={fieldError("telnyx_api_key")}
            hint={
              key.writable
                ? "Write-only: the saved key is never shown, only its last characters."
                : "This deployment keeps the key in AWS Secrets Manager; change it there."
            }
          >
            <div className="mb-2 flex items-center gap-2 text-sm" data-testid="api-key-status">
              {key.configured ? (
                <>
                  <Badge tone="success">Configured</Badge>
                  <span className="font-mono text-slate-700" aria-label="Saved key, masked">
                    {key.masked}
                  </span>
                </>
              ) : (
                <Badge tone="warning">Not set</Badge>
              )}
              {key.configured && key.writable ? (
                <button
                  type="button"
                  onClick={() => void save({ telnyx_api_key: null }, "API key removed")}
                  disabled={saving}
                  className={buttonClass("ghost", "sm")}
                >
                  Remove key
                </button>
              ) : null}
            </div>
            <input
              id={ids.key}
              type="password"
              autoComplete="off"
              spellCheck={false}
              value={apiKey}
              onChange={(e) => setApiKey(e.target.value)}
              disabled={!key.writable}
              placeholder={key.configured ? "Paste a new key to replace it" : "KEY0123…"}
              aria-invalid={fieldError("telnyx_api_key") ? true : undefined}
              className={inputClass}
            />
          </Field>
          <Field
            label="Webhook public key"
            htmlFor={ids.pub}
            hint="Set by the deployment (TELNYX_PUBLIC_KEY; the TelnyxPublicKey parameter in AWS) from Portal → Keys & Credentials → Public Key. Every webhook is verified with it."
          >
            <input
              id={ids.pub}
              value={settings.telnyx_public_key ?? "Not configured"}
              readOnly
              spellCheck={false}
              className={`${inputClass} font-mono text-slate-600`}
            />
          </Field>
          <Field
            label="Connection (Call Control application ID)"
            htmlFor={ids.conn}
            error={fieldError("telnyx_connection_id")}
          >
            <input
              id={ids.conn}
              value={connection}
              onChange={(e) => setConnection(e.target.value)}
              spellCheck={false}
              aria-invalid={fieldError("telnyx_connection_id") ? true : undefined}
              className={`${inputClass} font-mono`}
            />
          </Field>
        </div>
        <SaveBar saving={saving} disabled={!dirty} reason="No changes to save" />
      </form>
    </Card>
  );
}
