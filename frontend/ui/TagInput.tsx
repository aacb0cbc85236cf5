"use client";

import { useId, useState } from "react";
import type { KeyboardEvent } from "react";
import { CloseIcon } from "./icons";
import { focusRing } from "./primitives";

/** Tags as chips: Enter or comma adds, Backspace on an empty field removes the last. */
export function TagInput({
  label,
  value,
  onChange,
  error,
  placeholder = "Add a tag and press Enter",
}: {
  label: string;
  value: string[];
  onChange: (tags: string[]) => void;
  error?: string;
  placeholder?: string;
}) {
  const id = useId();
  const errorId = useId();
  const [draft, setDraft] = useState("");

  const add = (text: string) => {
    const fresh = text
      .split(",")
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t && !value.includes(t));
    if (fresh.length) onChange([...value, ...Array.from(new Set(fresh))]);
    setDraft("");
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Enter" || e.key === ",") {
      e.preventDefault();
      add(draft);
    } else if (e.key === "Backspace" && !draft && value.length) {
      onChange(value.slice(0, -1));
    }
  };

  return (
    <div>
      <label htmlFor={id} className="text-sm font-medium text-slate-700">
        {label}
      </label>
      <div
        className={`mt-1 flex flex-wrap items-center gap-1.5 rounded-lg bg-white px-2 py-1.5 ring-1 ring-inset focus-within:ring-2 focus-within:ring-indigo-600 ${
          error ? "ring-rose-500" : "ring-slate-300"
        }`}
      >
        {value.map((tag) => (
          <span
            key={tag}
            className="inline-flex items-center gap-1 rounded-full bg-indigo-50 py-0.5 pr-1 pl-2.5 text-xs font-medium text-indigo-800 ring-1 ring-indigo-200"
          >
            {tag}
            <button
              type="button"
              onClick={() => onChange(value.filter((t) => t !== tag))}
              aria-label={`Remove tag ${tag}`}
              className={`rounded-full p-0.5 text-indigo-500 hover:bg-indigo-100 hover:text-indigo-800 ${focusRing}`}
            >
              <CloseIcon size={12} />
            </button>
          </span>
        ))}
        <input
          id={id}
          value={draft}
          onChange={(e) => {
            if (e.target.value.includes(",")) add(e.target.value);
            else setDraft(e.target.value);
          }}
          onKeyDown={onKeyDown}
          onBlur={() => draft.trim() && add(draft)}
          placeholder={value.length ? "" : placeholder}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : undefined}
          className="min-w-[8rem] flex-1 border-0 bg-transparent px-1 py-1 text-sm text-slate-900 placeholder:text-slate-400 focus:outline-none"
        />
      </div>
      {error ? (
        <p id={errorId} role="alert" className="mt-1 text-sm text-rose-700">
          {error}
        </p>
      ) : null}
    </div>
  );
}
