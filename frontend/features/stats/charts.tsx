"use client";

import { useEffect, useRef, useState } from "react";
import type { ReactNode } from "react";

/** The element's width in CSS pixels (so the SVG draws text at its real size). */
function useWidth(fallback: number) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver((entries) => {
      const w = Math.round(entries[0]?.contentRect.width ?? 0);
      if (w > 0) setWidth(w);
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width] as const;
}

export interface Series {
  key: string;
  label: string;
  /** Tailwind fill class, e.g. "fill-emerald-500". */
  fill: string;
  /** Tailwind background class for the legend swatch. */
  swatch: string;
}

export interface Datum {
  label: string;
  /** Longer label for screen readers and tooltips. */
  title?: string;
  values: Record<string, number>;
}

/** Tick labels: whole numbers as they are, small fractions with enough digits to differ. */
export function formatTick(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return n < 1 ? n.toFixed(2).replace(/0$/, "") : n.toFixed(1);
}

function niceMax(n: number): number {
  if (n <= 0) return 1;
  const pow = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (n <= step * pow) return step * pow;
  }
  return 10 * pow;
}

export function Legend({ series }: { series: Series[] }) {
  return (
    <ul className="flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-600" aria-hidden="true">
      {series.map((s) => (
        <li key={s.key} className="inline-flex items-center gap-1.5">
          <span className={`size-2.5 rounded-sm ${s.swatch}`} />
          {s.label}
        </li>
      ))}
    </ul>
  );
}

/** The same numbers as a table, for screen readers (the SVG is a picture of it). */
function DataTable({
  caption,
  series,
  data,
  format,
}: {
  caption: string;
  series: Series[];
  data: Datum[];
  format: (n: number) => string;
}) {
  return (
    // A table ignores `width: 1px`, so the visually hidden box is a div around it.
    <div className="sr-only">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Group</th>
            {series.map((s) => (
              <th key={s.key} scope="col">
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {data.map((d) => (
            <tr key={d.label}>
              <th scope="row">{d.title ?? d.label}</th>
              {series.map((s) => (
                <td key={s.key}>{format(d.values[s.key] ?? 0)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Vertical stacked bars, one per datum. */
export function StackedBars({
  title,
  series,
  data,
  format = formatTick,
  height = 180,
  integer = false,
}: {
  title: string;
  series: Series[];
  data: Datum[];
  format?: (n: number) => string;
  height?: number;
  /** Counts: keep every tick a whole number. */
  integer?: boolean;
}) {
  const totals = data.map((d) => series.reduce((sum, s) => sum + (d.values[s.key] ?? 0), 0));
  let max = niceMax(Math.max(0, ...totals));
  if (integer) {
    max = Math.max(2, Math.ceil(max));
    if (max % 2) max += 1;
  }
  const [ref, width] = useWidth(640);
  const left = 40;
  const bottom = 22;
  const top = 8;
  const plotH = height - bottom - top;
  const slot = (width - left) / Math.max(1, data.length);
  const barW = Math.max(2, Math.min(36, slot * 0.7));
  const every = Math.max(1, Math.ceil((data.length * 56) / Math.max(1, width - left)));
  const ticks = [0, max / 2, max];
  return (
    <figure>
      <div ref={ref} className="w-full">
        <svg
          width={width}
          height={height}
          viewBox={`0 0 ${width} ${height}`}
          role="img"
          aria-label={title}
          className="block overflow-visible"
        >
          {ticks.map((t) => {
            const y = top + plotH - (t / max) * plotH;
            return (
              <g key={t}>
                <line x1={left} x2={width} y1={y} y2={y} className="stroke-slate-200" />
                <text
                  x={left - 6}
                  y={y + 3}
                  textAnchor="end"
                  className="fill-slate-500 text-[11px] tabular-nums"
                >
                  {format(t)}
                </text>
              </g>
            );
          })}
          {data.map((d, i) => {
            let y = top + plotH;
            const x = left + i * slot + (slot - barW) / 2;
            return (
              <g key={d.label}>
                <title>
                  {`${d.title ?? d.label}: ${series
                    .map((s) => `${s.label} ${format(d.values[s.key] ?? 0)}`)
                    .join(", ")}`}
                </title>
                {series.map((s) => {
                  const v = d.values[s.key] ?? 0;
                  if (!v) return null;
                  const h = (v / max) * plotH;
                  y -= h;
                  return (
                    <rect
                      key={s.key}
                      x={x}
                      y={y}
                      width={barW}
                      height={h}
                      rx={2}
                      className={s.fill}
                    />
                  );
                })}
                {i % every === 0 ? (
                  <text
                    x={x + barW / 2}
                    y={height - 6}
                    textAnchor="middle"
                    className="fill-slate-500 text-[11px]"
                  >
                    {d.label}
                  </text>
                ) : null}
              </g>
            );
          })}
        </svg>
      </div>
      <figcaption className="mt-2">
        <Legend series={series} />
      </figcaption>
      <DataTable caption={title} series={series} data={data} format={format} />
    </figure>
  );
}

/** Horizontal bars, one row per item, with the value written at the end. */
export function HBars({
  title,
  rows,
  format = (n) => String(n),
}: {
  title: string;
  rows: { label: ReactNode; key: string; value: number; fill: string; note?: string }[];
  format?: (n: number) => string;
}) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  return (
    <figure aria-label={title} role="group">
      <ul className="space-y-2.5">
        {rows.map((r) => (
          <li
            key={r.key}
            className="grid grid-cols-[minmax(5.5rem,9rem)_1fr_2.5rem] items-center gap-x-3"
          >
            <span className="min-w-0 text-sm text-slate-700">
              <span className="block truncate">{r.label}</span>
              {r.note ? (
                <span className="block truncate text-xs text-slate-500">{r.note}</span>
              ) : null}
            </span>
            <svg
              viewBox="0 0 100 10"
              preserveAspectRatio="none"
              className="h-3 w-full"
              aria-hidden="true"
            >
              <rect x="0" y="0" width="100" height="10" rx="2" className="fill-slate-100" />
              <rect
                x="0"
                y="0"
                width={(r.value / max) * 100}
                height="10"
                rx="2"
                className={r.fill}
              />
            </svg>
            <span className="text-right text-sm font-medium text-slate-900 tabular-nums">
              {format(r.value)}
            </span>
          </li>
        ))}
      </ul>
    </figure>
  );
}

/** A ring showing one share (0–1), with the percentage in the middle. */
export function Ring({ value, label }: { value: number | null; label: string }) {
  const r = 40;
  const c = 2 * Math.PI * r;
  const share = value ?? 0;
  return (
    <svg viewBox="0 0 100 100" role="img" aria-label={label} className="size-24 shrink-0">
      <circle cx="50" cy="50" r={r} className="fill-none stroke-slate-100" strokeWidth="12" />
      <circle
        cx="50"
        cy="50"
        r={r}
        className="fill-none stroke-emerald-500"
        strokeWidth="12"
        strokeDasharray={`${share * c} ${c}`}
        strokeLinecap={share > 0 ? "round" : "butt"}
        transform="rotate(-90 50 50)"
      />
      <text
        x="50"
        y="55"
        textAnchor="middle"
        className="fill-slate-900 text-[18px] font-semibold tabular-nums"
      >
        {value === null ? "—" : `${Math.round(share * 100)}%`}
      </text>
    </svg>
  );
}
