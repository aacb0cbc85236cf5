import { useId } from "react";
import { CloseIcon, SearchIcon } from "@/ui/icons";
import { focusRing } from "@/ui/primitives";

/** A search box with a hidden label, a search icon and its own clear button. */
export function SearchField({
  label,
  placeholder,
  value,
  onChange,
  className = "sm:w-64",
}: {
  /** The accessible name ("Search contacts by name, number or company"). */
  label: string;
  placeholder: string;
  value: string;
  onChange: (value: string) => void;
  /** Width from `sm` up. */
  className?: string;
}) {
  const id = useId();
  return (
    <div className={`relative ${className}`}>
      <label htmlFor={id} className="sr-only">
        {label}
      </label>
      <SearchIcon
        size={16}
        className="pointer-events-none absolute top-1/2 left-3 -translate-y-1/2 text-slate-400"
      />
      <input
        id={id}
        type="search"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder={placeholder}
        className="block w-full rounded-lg border-0 bg-white py-2 pr-9 pl-9 text-sm text-slate-900 ring-1 ring-slate-300 placeholder:text-slate-400 focus:ring-2 focus:ring-indigo-600 focus:outline-none"
      />
      {value ? (
        <button
          type="button"
          onClick={() => onChange("")}
          aria-label="Clear search"
          className={`absolute top-1/2 right-2 -translate-y-1/2 rounded p-1 text-slate-400 hover:text-slate-700 ${focusRing}`}
        >
          <CloseIcon size={14} />
        </button>
      ) : null}
    </div>
  );
}
