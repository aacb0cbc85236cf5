"use client";

import { useId, useState } from "react";
import { api, errorMessage } from "@/lib/api";
import type { SettingsView, WebhookTest } from "@/lib/types";
import { AlertIcon, CheckIcon, CopyIcon } from "@/ui/icons";
import { useToast } from "@/ui/Toasts";
import { Card, CardHeader, Spinner, buttonClass, inputClass } from "@/ui/primitives";
import { Field } from "@/ui/Field";

const WEBHOOK_RESULT: Record<string, string> = {
  verified: "Delivered and verified: the signature checked out and the event was queued.",
  signature_rejected: "The endpoint refused the signature.",
  endpoint_error: "The endpoint answered with an error.",
  unreachable: "The webhook URL could not be reached.",
  no_answer_yet: "No answer yet: the test event is still on its way.",
  unsupported: "Telnyx cannot send a test event on request.",
};

export function WebhookCard({ settings }: { settings: SettingsView }) {
  const toast = useToast();
  const urlId = useId();
  const [testing, setTesting] = useState(false);
  const [result, setResult] = useState<WebhookTest | null>(null);
  const [error, setError] = useState<string | null>(null);
  const url = settings.webhook_url;

  const copy = async () => {
    if (!url) return;
    try {
      await navigator.clipboard.writeText(url);
      toast.success("Webhook URL copied");
    } catch {
      const input = document.getElementById(urlId) as HTMLInputElement | null;
      input?.select();
      toast.error("Could not copy: the URL is selected, press Ctrl+C");
    }
  };

  const test = async () => {
    setTesting(true);
    setError(null);
    setResult(null);
    try {
      setResult(await api.testWebhook());
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setTesting(false);
    }
  };

  return (
    <Card>
      <CardHeader title="Webhook" />
      <div className="space-y-4 px-5 py-4">
        <Field
          label="Webhook URL"
          htmlFor={urlId}
          hint="Paste it into your Telnyx Call Control application's webhook URL."
        >
          <div className="flex gap-2">
            <input
              id={urlId}
              readOnly
              value={url ?? "Not known: set WEBHOOK_URL for this deployment"}
              className={`${inputClass} font-mono text-xs`}
              onFocus={(e) => e.target.select()}
            />
            <button
              type="button"
              onClick={() => void copy()}
              disabled={!url}
              aria-label="Copy webhook URL"
              className={buttonClass("secondary")}
            >
              <CopyIcon size={16} /> Copy
            </button>
          </div>
        </Field>
        <div className="flex flex-wrap items-center gap-3">
          <button
            type="button"
            onClick={() => void test()}
            disabled={testing || !url}
            className={buttonClass("secondary")}
          >
            {testing ? "Sending…" : "Send test webhook"}
          </button>
          {!url ? <span className="text-xs text-slate-500">Needs a webhook URL</span> : null}
        </div>
        {testing ? <Spinner label="Waiting for the test event to arrive…" /> : null}
        {error ? (
          <p
            role="alert"
            className="rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-800 ring-1 ring-rose-200"
          >
            {error}
          </p>
        ) : null}
        {result ? (
          <div
            role="status"
            data-testid="webhook-result"
            className={`rounded-lg px-3 py-2 text-sm ring-1 ${
              result.verified
                ? "bg-emerald-50 text-emerald-900 ring-emerald-200"
                : "bg-amber-50 text-amber-900 ring-amber-200"
            }`}
          >
            <p className="flex items-center gap-2 font-medium">
              {result.verified ? <CheckIcon size={16} /> : <AlertIcon size={16} />}
              {WEBHOOK_RESULT[result.result] ?? result.result}
            </p>
            {result.status ? <p className="mt-0.5">HTTP {result.status}</p> : null}
            {result.error ? <p className="mt-0.5">{result.error}</p> : null}
            {result.advice ? <p className="mt-0.5">{result.advice}</p> : null}
          </div>
        ) : null}
      </div>
    </Card>
  );
}
