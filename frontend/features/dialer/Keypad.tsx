"use client";

import { KEYPAD_LETTERS } from "@/lib/phone";
import { focusRing } from "@/ui/primitives";

export const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"] as const;
export type Key = (typeof KEYS)[number];

export function isKeypadKey(value: string): value is Key {
  return (KEYS as readonly string[]).includes(value);
}

/** What a screen reader says for a key: "2 ABC", "Star", "Pound". */
export function keyLabel(key: Key): string {
  if (key === "*") return "Star";
  if (key === "#") return "Pound";
  const letters = KEYPAD_LETTERS[key];
  return letters && key !== "0" ? `${key} ${letters}` : key;
}

export function Keypad({
  onPress,
  label = "Keypad",
  disabled = false,
  activeKey = null,
  compact = false,
}: {
  onPress: (key: Key) => void;
  label?: string;
  disabled?: boolean;
  activeKey?: string | null;
  compact?: boolean;
}) {
  return (
    <div role="group" aria-label={label} className="grid grid-cols-3 justify-items-center gap-3">
      {KEYS.map((key) => {
        const letters = KEYPAD_LETTERS[key];
        const pressed = activeKey === key;
        return (
          <button
            key={key}
            type="button"
            aria-label={keyLabel(key)}
            disabled={disabled}
            onClick={() => onPress(key)}
            className={`flex flex-col items-center justify-center rounded-full font-medium text-slate-900 transition select-none ${
              compact ? "size-14" : "size-16 sm:size-[4.5rem]"
            } ${
              pressed ? "scale-95 bg-slate-200" : "bg-slate-100 hover:bg-slate-200 active:scale-95"
            } disabled:cursor-not-allowed disabled:opacity-40 ${focusRing}`}
          >
            <span
              aria-hidden="true"
              className={`leading-none ${compact ? "text-xl" : "text-2xl"} ${key === "*" ? "translate-y-1" : ""}`}
            >
              {key}
            </span>
            <span
              aria-hidden="true"
              className="mt-0.5 h-3 text-[0.625rem] leading-3 font-semibold tracking-widest text-slate-500"
            >
              {letters}
            </span>
          </button>
        );
      })}
    </div>
  );
}
