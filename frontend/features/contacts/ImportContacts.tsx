"use client";

import { useId, useState } from "react";
import { ApiError, api, errorMessage } from "@/lib/api";
import type { ImportReport as Report } from "@/lib/types";
import { AlertIcon, CheckIcon, UploadIcon } from "@/ui/icons";
import { buttonClass } from "@/ui/primitives";

/** The per-row result of an import: counts, then every row that was not used and why. */
export function ImportReport({ report }: { report: Report }) {
  const counts: [string, number, string][] = [
    ["Created", report.created, "text-emerald-700"],
    ["Updated", report.updated, "text-indigo-700"],
    ["Skipped", report.skipped, report.skipped ? "text-amber-700" : "text-slate-700"],
  ];
  if (report.merged) counts.push(["Merged duplicates", report.merged, "text-slate-700"]);
  return (
    <section aria-label="Import report" data-testid="import-report">
      <p className="flex items-center gap-2 text-sm font-medium text-slate-900">
        {report.errors.length ? (
          <AlertIcon size={18} className="text-amber-600" />
        ) : (
          <CheckIcon size={18} className="text-emerald-600" />
        )}
        {report.committed === false
          ? "Nothing was imported."
          : report.errors.length
            ? `Imported with ${report.errors.length} problem${report.errors.length === 1 ? "" : "s"}.`
            : "Import complete."}
        {report.rows !== undefined
          ? ` ${report.rows} row${report.rows === 1 ? "" : "s"} read.`
          : ""}
      </p>
      <dl className="mt-3 grid grid-cols-3 gap-2 sm:grid-cols-4">
        {counts.map(([label, n, colour]) => (
          <div key={label} className="rounded-xl bg-slate-50 px-3 py-2 ring-1 ring-slate-200">
            <dt className="text-xs text-slate-500">{label}</dt>
            <dd className={`text-xl font-semibold tabular-nums ${colour}`}>{n}</dd>
          </div>
        ))}
      </dl>
      {report.errors.length ? (
        <div className="mt-4 max-h-64 overflow-auto rounded-xl ring-1 ring-slate-200">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Rows that were not imported</caption>
            <thead className="sticky top-0 bg-slate-50 text-xs text-slate-600">
              <tr>
                <th scope="col" className="px-3 py-2 font-medium">
                  Line
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Field
                </th>
                <th scope="col" className="px-3 py-2 font-medium">
                  Problem
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {report.errors.map((e, i) => (
                <tr key={`${e.row}-${e.field}-${i}`} data-testid="import-error-row">
                  <td className="px-3 py-2 tabular-nums text-slate-900">{e.row}</td>
                  <td className="px-3 py-2 text-slate-700">{e.field}</td>
                  <td className="px-3 py-2 text-rose-700">
                    {e.message.charAt(0).toUpperCase() + e.message.slice(1)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

/** Pick a CSV file, send it, show the report. */
export function ImportContacts({ onDone, onClose }: { onDone: () => void; onClose: () => void }) {
  const fileId = useId();
  const hintId = useId();
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);

  const run = async () => {
    if (!file) return;
    setBusy(true);
    setError(null);
    setReport(null);
    try {
      const text = await file.text();
      const result = await api.importContacts(text);
      setReport(result);
      onDone();
    } catch (err) {
      const withReport =
        err instanceof ApiError ? (err.problem.report as Report | undefined) : undefined;
      if (withReport) setReport(withReport);
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="space-y-4">
      <p id={hintId} className="text-sm text-slate-600">
        A CSV file with a header row. Columns are recognised by name: <strong>name</strong> (or
        first name and last name), <strong>phone</strong> (or mobile), and optionally email,
        company, notes, tags and favorite. A number already in your contacts updates that contact.
      </p>
      <div>
        <label htmlFor={fileId} className="text-sm font-medium text-slate-700">
          CSV file
        </label>
        <input
          id={fileId}
          type="file"
          accept=".csv,text/csv"
          aria-describedby={hintId}
          onChange={(e) => {
            setFile(e.target.files?.[0] ?? null);
            setReport(null);
            setError(null);
          }}
          className="mt-1 block w-full text-sm text-slate-700 file:mr-3 file:rounded-lg file:border-0 file:bg-indigo-50 file:px-3 file:py-2 file:text-sm file:font-semibold file:text-indigo-700 hover:file:bg-indigo-100"
        />
      </div>
      {error ? (
        <p
          role="alert"
          className="rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-800 ring-1 ring-rose-200"
        >
          {error}
        </p>
      ) : null}
      {report ? <ImportReport report={report} /> : null}
      <div className="flex flex-col-reverse gap-2 pt-1 sm:flex-row sm:justify-end">
        <button type="button" onClick={onClose} className={buttonClass("secondary")}>
          {report ? "Done" : "Cancel"}
        </button>
        <button
          type="button"
          onClick={() => void run()}
          disabled={!file || busy}
          title={!file ? "Choose a CSV file first" : undefined}
          className={buttonClass("primary")}
        >
          <UploadIcon size={16} />
          {busy ? "Importing…" : "Import contacts"}
        </button>
      </div>
      {!file ? <p className="text-right text-xs text-slate-500">Choose a CSV file first.</p> : null}
    </div>
  );
}
