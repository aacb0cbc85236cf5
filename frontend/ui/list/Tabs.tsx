import { focusRing } from "@/ui/primitives";

export interface TabOption<T> {
  value: T;
  label: string;
}

/**
 * A row of tabs that filters the list in the panel `controls` names (a `ListStates` with the
 * same `panelId`). Segmented on a phone, pills from `sm` up.
 */
export function Tabs<T extends string | boolean>({
  label,
  options,
  value,
  onChange,
  controls,
}: {
  /** What the tabs choose, for screen readers ("Filter calls by status"). */
  label: string;
  options: readonly TabOption<T>[];
  value: T;
  onChange: (value: T) => void;
  controls: string;
}) {
  // Five tabs have to fit a 320 px phone: many tabs get tighter padding and type there.
  const size = options.length > 3 ? "px-1.5 text-[0.8125rem] sm:px-3 sm:text-sm" : "px-3 text-sm";
  return (
    <div
      role="tablist"
      aria-label={label}
      className="flex gap-1 rounded-xl bg-slate-100 p-1 sm:bg-transparent sm:p-0"
    >
      {options.map((option) => {
        const selected = option.value === value;
        return (
          <button
            key={String(option.value)}
            type="button"
            role="tab"
            aria-selected={selected}
            aria-controls={controls}
            onClick={() => onChange(option.value)}
            className={`flex-1 rounded-lg py-1.5 font-medium sm:flex-none ${size} ${focusRing} ${
              selected
                ? "bg-white text-indigo-700 shadow-sm sm:bg-indigo-600 sm:text-white"
                : "text-slate-600 hover:bg-white/60 hover:text-slate-900 sm:hover:bg-slate-100"
            }`}
          >
            {option.label}
          </button>
        );
      })}
    </div>
  );
}
