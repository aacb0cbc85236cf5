import "./mocks";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ImportContacts, ImportReport } from "@/features/contacts/ImportContacts";
import { ApiError, api } from "@/lib/api";
import { renderApp } from "./utils";

vi.mock("@/lib/api", async (orig) => {
  const real = await orig<typeof import("@/lib/api")>();
  return { ...real, api: { importContacts: vi.fn() } };
});

describe("ImportReport", () => {
  it("shows the counts and every bad row with its line, field and problem", () => {
    renderApp(
      <ImportReport
        report={{
          rows: 4,
          created: 2,
          updated: 1,
          skipped: 1,
          merged: 0,
          committed: true,
          errors: [{ row: 4, field: "phone", message: "is not a phone number" }],
        }}
      />,
    );
    const report = screen.getByRole("region", { name: "Import report" });
    expect(within(report).getByText("Created").nextSibling).toHaveTextContent("2");
    expect(within(report).getByText("Updated").nextSibling).toHaveTextContent("1");
    expect(within(report).getByText("Skipped").nextSibling).toHaveTextContent("1");
    expect(within(report).getByText(/Imported with 1 problem/)).toBeInTheDocument();
    const rows = screen.getAllByTestId("import-error-row");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toHaveTextContent("4phoneIs not a phone number");
  });

  it("a clean import says so and lists no rows", () => {
    renderApp(<ImportReport report={{ created: 3, updated: 0, skipped: 0, errors: [] }} />);
    expect(screen.getByText("Import complete.")).toBeInTheDocument();
    expect(screen.queryByRole("table")).toBeNull();
  });
});

describe("ImportContacts", () => {
  it("uploads the chosen file and shows the server's report", async () => {
    vi.mocked(api.importContacts).mockResolvedValue({
      rows: 2,
      created: 1,
      updated: 0,
      skipped: 1,
      errors: [{ row: 3, field: "name", message: "is required" }],
    });
    const onDone = vi.fn();
    const user = userEvent.setup();
    renderApp(<ImportContacts onDone={onDone} onClose={() => {}} />);
    const button = screen.getByRole("button", { name: "Import contacts" });
    expect(button).toBeDisabled();
    const file = new File(["name,phone\nAda,2125550100\n,2125550101\n"], "c.csv", {
      type: "text/csv",
    });
    await user.upload(screen.getByLabelText("CSV file"), file);
    await user.click(button);
    expect(api.importContacts).toHaveBeenCalledWith("name,phone\nAda,2125550100\n,2125550101\n");
    expect(await screen.findByTestId("import-report")).toBeInTheDocument();
    expect(screen.getByTestId("import-error-row")).toHaveTextContent("3nameIs required");
    expect(onDone).toHaveBeenCalled();
  });

  it("shows a file-level problem", async () => {
    vi.mocked(api.importContacts).mockRejectedValue(
      new ApiError(422, {
        code: "invalid_csv",
        detail: "no column holds phone numbers",
        errors: [{ field: "file", message: "no column holds phone numbers" }],
      }),
    );
    const user = userEvent.setup();
    renderApp(<ImportContacts onDone={() => {}} onClose={() => {}} />);
    await user.upload(
      screen.getByLabelText("CSV file"),
      new File(["a,b\n1,2\n"], "x.csv", { type: "text/csv" }),
    );
    await user.click(screen.getByRole("button", { name: "Import contacts" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("no column holds phone numbers");
  });
});
