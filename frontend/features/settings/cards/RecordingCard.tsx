"use client";

import { useId, useState } from "react";
import type { RecordingPrefs, SettingsView } from "@/lib/types";
import { Card, CardHeader, inputClass } from "@/ui/primitives";
import { Field } from "@/ui/Field";
import { useSave, SaveBar } from "../form";

export function RecordingCard({
  settings,
  onSaved,
}: {
  settings: SettingsView;
  onSaved: (s: SettingsView) => void;
}) {
  const { save, saving } = useSave(onSaved);
  const [prefs, setPrefs] = useState<RecordingPrefs>(settings.recording);
  const ids = { format: useId(), channels: useId() };
  return (
    <Card>
      <CardHeader title="Recording" />
      <form
        aria-label="Recording"
        className="contents"
        onSubmit={(e) => {
          e.preventDefault();
          void save({ recording: prefs }, "Recording preferences saved");
        }}
      >
        <div className="space-y-4 px-5 py-4">
          <label className="flex items-start gap-2 text-sm text-slate-700">
            <input
              type="checkbox"
              checked={prefs.auto_record}
              onChange={(e) => setPrefs({ ...prefs, auto_record: e.target.checked })}
              className="mt-0.5 size-4 accent-indigo-600"
            />
            <span>
              <span className="font-medium text-slate-900">Record every call</span>
              <span className="block text-xs text-slate-500">
                Check local consent rules: many places require telling the other side.
              </span>
            </span>
          </label>
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label="Format" htmlFor={ids.format}>
              <select
                id={ids.format}
                value={prefs.format}
                onChange={(e) =>
                  setPrefs({ ...prefs, format: e.target.value as RecordingPrefs["format"] })
                }
                className={inputClass}
              >
                <option value="mp3">MP3 (smaller)</option>
                <option value="wav">WAV (lossless)</option>
              </select>
            </Field>
            <Field label="Channels" htmlFor={ids.channels}>
              <select
                id={ids.channels}
                value={prefs.channels}
                onChange={(e) =>
                  setPrefs({ ...prefs, channels: e.target.value as RecordingPrefs["channels"] })
                }
                className={inputClass}
              >
                <option value="dual">Dual (each side on its own channel)</option>
                <option value="single">Single (mixed)</option>
              </select>
            </Field>
          </div>
        </div>
        <SaveBar saving={saving} />
      </form>
    </Card>
  );
}
