"use client";

import { useState } from "react";
import { ApiError, api, errorMessage } from "@/lib/api";
import type { SettingsUpdate, SettingsView } from "@/lib/types";
import { useToast } from "@/ui/Toasts";
import { buttonClass } from "@/ui/primitives";

/** Save part of the settings; field errors come back from the problem JSON. */
export function useSave(onSaved: (s: SettingsView) => void) {
  const toast = useToast();
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const save = async (update: SettingsUpdate, message = "Settings saved") => {
    setSaving(true);
    setError(null);
    try {
      const saved = await api.saveSettings(update);
      onSaved(saved);
      toast.success(message);
      return true;
    } catch (err) {
      setError(err instanceof ApiError ? err : null);
      // Field errors show under their fields; the toast only says why nothing was saved.
      toast.error(
        err instanceof ApiError && err.errors.length
          ? "Not saved: see the messages under the fields"
          : errorMessage(err),
      );
      return false;
    } finally {
      setSaving(false);
    }
  };
  return { save, saving, error, fieldError: (f: string) => error?.fieldError(f) };
}

export function SaveBar({
  saving,
  disabled,
  reason,
}: {
  saving: boolean;
  disabled?: boolean;
  reason?: string;
}) {
  return (
    <div className="flex items-center justify-end gap-3 border-t border-slate-100 px-5 py-3">
      {disabled && reason ? <span className="text-xs text-slate-500">{reason}</span> : null}
      <button type="submit" disabled={saving || disabled} className={buttonClass("primary")}>
        {saving ? "Saving…" : "Save"}
      </button>
    </div>
  );
}
