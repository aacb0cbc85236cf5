"use client";

import { useId, useState } from "react";
import { storage } from "@/lib/storage";
import {
  AUDIO_KEYS,
  canChooseOutput,
  currentVolume,
  getSoftphone,
  setOutputDevice,
  setVolume,
} from "@/lib/webrtc/browser";
import { inputClass } from "@/ui/primitives";
import { useDevices, useInputLevel } from "./devices";

/** Microphone (with its level), output device and volume of the browser softphone. */
export function AudioSettings({ live }: { live: boolean }) {
  const ids = { mic: useId(), out: useId(), vol: useId(), meter: useId() };
  const { inputs, outputs } = useDevices(live);
  const [mic, setMic] = useState<string>(() => storage.get(AUDIO_KEYS.mic) ?? "");
  const [out, setOut] = useState<string>(() => storage.get(AUDIO_KEYS.output) ?? "");
  const [volume, setVol] = useState<number>(() => currentVolume());
  const [outError, setOutError] = useState<string | null>(null);
  const level = useInputLevel(live, mic || null);

  const chooseMic = (id: string) => {
    setMic(id);
    storage.set(AUDIO_KEYS.mic, id);
    void getSoftphone().setMicrophone(id || null);
  };
  const chooseOut = (id: string) => {
    setOut(id);
    setOutError(null);
    setOutputDevice(id).catch((e: unknown) =>
      setOutError(`That output cannot be used: ${e instanceof Error ? e.message : String(e)}`),
    );
  };

  return (
    <div className="grid gap-3 text-sm">
      <div>
        <label htmlFor={ids.mic} className="font-medium text-slate-700">
          Microphone
        </label>
        <select
          id={ids.mic}
          value={mic}
          onChange={(e) => chooseMic(e.target.value)}
          className={`mt-1 ${inputClass}`}
        >
          <option value="">Default microphone</option>
          {inputs.map((d) => (
            <option key={d.deviceId} value={d.deviceId}>
              {d.label}
            </option>
          ))}
        </select>
        <div className="mt-1.5 flex items-center gap-2">
          <span id={ids.meter} className="shrink-0 text-xs text-slate-500">
            Input level
          </span>
          <div
            role="meter"
            aria-labelledby={ids.meter}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(level * 100)}
            data-testid="mic-level"
            className="h-2 flex-1 overflow-hidden rounded-full bg-slate-200"
          >
            <div
              className="h-full rounded-full bg-emerald-500 transition-[width] duration-100"
              style={{ width: `${Math.round(level * 100)}%` }}
            />
          </div>
        </div>
      </div>
      {canChooseOutput() ? (
        <div>
          <label htmlFor={ids.out} className="font-medium text-slate-700">
            Output
          </label>
          <select
            id={ids.out}
            value={out}
            onChange={(e) => chooseOut(e.target.value)}
            className={`mt-1 ${inputClass}`}
          >
            <option value="">Default output</option>
            {outputs.map((d) => (
              <option key={d.deviceId} value={d.deviceId}>
                {d.label}
              </option>
            ))}
          </select>
          {outError ? <p className="mt-1 text-xs text-rose-700">{outError}</p> : null}
        </div>
      ) : null}
      <div>
        <label htmlFor={ids.vol} className="font-medium text-slate-700">
          Volume
        </label>
        <input
          id={ids.vol}
          type="range"
          min={0}
          max={100}
          value={Math.round(volume * 100)}
          onChange={(e) => {
            const v = Number(e.target.value) / 100;
            setVol(v);
            setVolume(v);
          }}
          className="mt-1 block w-full accent-indigo-600"
        />
      </div>
    </div>
  );
}
