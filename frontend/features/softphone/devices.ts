"use client";

import { useEffect, useState } from "react";

export interface Device {
  deviceId: string;
  label: string;
}

/** The microphones and speakers the browser offers (labels appear once the mic is allowed). */
export function useDevices(on: boolean): { inputs: Device[]; outputs: Device[] } {
  const [devices, setDevices] = useState<{ inputs: Device[]; outputs: Device[] }>({
    inputs: [],
    outputs: [],
  });
  useEffect(() => {
    const md = typeof navigator !== "undefined" ? navigator.mediaDevices : undefined;
    if (!on || !md?.enumerateDevices) return;
    let live = true;
    const read = async () => {
      const all = await md.enumerateDevices().catch(() => [] as MediaDeviceInfo[]);
      if (!live) return;
      const pick = (kind: MediaDeviceKind, fallback: string) =>
        all
          .filter((d) => d.kind === kind && d.deviceId)
          .map((d, i) => ({ deviceId: d.deviceId, label: d.label || `${fallback} ${i + 1}` }));
      setDevices({
        inputs: pick("audioinput", "Microphone"),
        outputs: pick("audiooutput", "Speaker"),
      });
    };
    void read();
    md.addEventListener?.("devicechange", read);
    return () => {
      live = false;
      md.removeEventListener?.("devicechange", read);
    };
  }, [on]);
  return devices;
}

/**
 * The microphone's input level, 0..1 (RMS of the waveform on a -60..0 dBFS scale, as level
 * meters read), about 10 times a second from its own stream of the chosen device.
 */
export function useInputLevel(on: boolean, deviceId: string | null): number {
  const [level, setLevel] = useState(0);
  useEffect(() => {
    const md = typeof navigator !== "undefined" ? navigator.mediaDevices : undefined;
    const Ctx =
      typeof window !== "undefined"
        ? (window.AudioContext ??
          (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext)
        : undefined;
    if (!on || !md?.getUserMedia || !Ctx) return;
    let stream: MediaStream | null = null;
    let ctx: AudioContext | null = null;
    let timer: number | undefined;
    let live = true;
    void md
      .getUserMedia({ audio: deviceId ? { deviceId: { exact: deviceId } } : true })
      .then((s) => {
        if (!live) {
          s.getTracks().forEach((t) => t.stop());
          return;
        }
        stream = s;
        ctx = new Ctx();
        const analyser = ctx.createAnalyser();
        analyser.fftSize = 1024;
        ctx.createMediaStreamSource(s).connect(analyser);
        const buf = new Float32Array(analyser.fftSize);
        timer = window.setInterval(() => {
          analyser.getFloatTimeDomainData(buf);
          let sum = 0;
          for (const v of buf) sum += v * v;
          const db = 20 * Math.log10(Math.sqrt(sum / buf.length) + 1e-9);
          setLevel(Math.min(1, Math.max(0, (db + 60) / 60)));
        }, 100);
      })
      .catch(() => setLevel(0));
    return () => {
      live = false;
      if (timer !== undefined) window.clearInterval(timer);
      stream?.getTracks().forEach((t) => t.stop());
      void ctx?.close().catch(() => undefined);
      setLevel(0);
    };
  }, [on, deviceId]);
  return level;
}
