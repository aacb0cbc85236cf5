import { expect, test } from "@playwright/test";
import { asAdmin, callStatus, snap } from "./helpers";

// Every screen needs a session: these run signed in as the demo admin.
test.use(asAdmin);

test("contacts: add with validation, search, favorite, call", async ({ page }) => {
  await page.goto("/contacts/");
  await expect(page.getByRole("heading", { name: "Contacts", exact: true })).toBeVisible();
  await expect(page.getByRole("tabpanel")).toHaveAttribute("aria-busy", "false");
  await snap(page, "contacts-empty");

  await page.getByRole("button", { name: "Add contact" }).first().click();
  const dialog = page.getByRole("dialog", { name: "New contact" });
  await dialog.getByRole("button", { name: "Add contact" }).click();
  await expect(dialog.getByText("Enter a name")).toBeVisible();
  await expect(dialog.getByText("Enter a phone number")).toBeVisible();
  await dialog.getByLabel("Name").fill("Grace Hopper");
  await dialog.getByLabel("Phone").fill("212 555 01");
  await dialog.getByLabel("Email").fill("grace@");
  await dialog.getByRole("button", { name: "Add contact" }).click();
  await expect(dialog.getByText("Number is too short")).toBeVisible();
  await expect(dialog.getByText("Not an email address")).toBeVisible();
  await snap(page, "contact-form-errors");
  await dialog.getByLabel("Phone").fill("(212) 555-0100");
  await dialog.getByLabel("Email").fill("grace@navy.example");
  await dialog.getByLabel("Company").fill("US Navy");
  await dialog.getByRole("button", { name: "Add contact" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByText("Grace Hopper added")).toBeVisible();

  // A second contact with the same number: the server's 409 lands on the phone field.
  await page.getByRole("button", { name: "Add contact" }).first().click();
  const again = page.getByRole("dialog", { name: "New contact" });
  await again.getByLabel("Name").fill("Someone Else");
  await again.getByLabel("Phone").fill("+1 212 555 0100");
  await again.getByRole("button", { name: "Add contact" }).click();
  await expect(again.getByText(/already has this phone number/)).toBeVisible();
  await again.getByRole("button", { name: "Cancel" }).click();

  await page.getByRole("button", { name: "Add contact" }).first().click();
  const third = page.getByRole("dialog", { name: "New contact" });
  await third.getByLabel("Name").fill("Alan Turing");
  await third.getByLabel("Phone").fill("+1 212 555 0101");
  await third.getByRole("button", { name: "Add contact" }).click();
  await expect(third).toHaveCount(0);

  await expect(page.getByTestId("contact-row")).toHaveCount(2);
  await page.getByLabel("Search contacts by name, number or company").fill("hopper");
  await expect(page.getByTestId("contact-row")).toHaveCount(1);
  await expect(page.getByTestId("contact-row")).toContainText("Grace Hopper");
  await page.getByLabel("Search contacts by name, number or company").fill("5550101");
  await expect(page.getByTestId("contact-row")).toHaveCount(1);
  await expect(page.getByTestId("contact-row")).toContainText("Alan Turing");
  await page.getByLabel("Search contacts by name, number or company").fill("");

  await page.getByRole("button", { name: "Add Grace Hopper to favorites" }).click();
  await expect(
    page.getByRole("button", { name: "Remove Grace Hopper from favorites" }),
  ).toHaveAttribute("aria-pressed", "true");
  await page.getByRole("tab", { name: "Favorites" }).click();
  await expect(page.getByTestId("contact-row")).toHaveCount(1);
  await page.getByRole("tab", { name: "All" }).click();
  await expect(page.getByTestId("contact-row")).toHaveCount(2);
  await snap(page, "contacts");

  // Call from the contact: the dialer is prefilled, the call carries the name.
  await page.getByRole("link", { name: "Call Grace Hopper" }).click();
  await expect(page.getByLabel("To", { exact: true })).toHaveValue(/212.*555.*0100/);
  await expect(page.getByRole("button", { name: /^Call Grace Hopper, / })).toHaveAttribute(
    "aria-pressed",
    "true",
  );
  await snap(page, "dialer-with-favorites");
  await page.getByRole("button", { name: "Call", exact: true }).click();
  await expect(page.getByTestId("call-party")).toHaveText("Grace Hopper");
  await expect(callStatus(page)).toHaveText("Connected", { timeout: 20_000 });
  await page.getByRole("button", { name: "End call" }).click();
  await expect(callStatus(page)).toHaveText("Ended", { timeout: 15_000 });

  // The contact's page lists the call.
  await page.goto("/contacts/");
  await page
    .getByTestId("contact-row")
    .filter({ hasText: "Grace Hopper" })
    .getByRole("link")
    .first()
    .click();
  await expect(page.getByRole("heading", { name: "Grace Hopper" })).toBeVisible();
  // Calls link to the contact by number, so earlier calls to it are listed too.
  const history = page
    .getByRole("list", { name: "Calls with Grace Hopper" })
    .getByTestId("call-row");
  await expect(history.first()).toBeVisible();
  await expect(history.first()).toContainText("Completed");
  await snap(page, "contact-detail");

  // Edit, then delete.
  await page.getByRole("button", { name: "Edit" }).click();
  const edit = page.getByRole("dialog", { name: "Edit contact" });
  await edit.getByLabel("Company").fill("Yale");
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText("+1 212 555 0100 · Yale")).toBeVisible();
  await page.goto("/contacts/");
  await page
    .getByTestId("contact-row")
    .filter({ hasText: "Alan Turing" })
    .getByRole("link")
    .first()
    .click();
  await page.getByRole("button", { name: "Delete Alan Turing" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete contact" }).click();
  await expect(page).toHaveURL(/\/contacts\/$/);
  await expect(page.getByTestId("contact-row")).toHaveCount(1);
});

test("contacts: CSV import shows the per-row report", async ({ page }) => {
  await page.goto("/contacts/");
  await page.getByRole("button", { name: "Import CSV" }).first().click();
  const dialog = page.getByRole("dialog", { name: "Import contacts" });
  await expect(dialog.getByRole("button", { name: "Import contacts" })).toBeDisabled();
  const csv = [
    "Name,Phone,Email,Tags",
    "Katherine Johnson,(212) 555-0111,kj@nasa.example,nasa;math",
    "Dorothy Vaughan,+1 212 555 0112,,",
    "No Number,,,",
    "Bad Email,212 555 0113,not-an-email,",
  ].join("\n");
  await dialog.getByLabel("CSV file").setInputFiles({
    name: "contacts.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(csv),
  });
  await dialog.getByRole("button", { name: "Import contacts" }).click();
  const report = dialog.getByTestId("import-report");
  await expect(report).toBeVisible();
  await expect(report.getByText("Created").locator("xpath=following-sibling::dd")).toHaveText("2");
  await expect(report.getByText("Skipped").locator("xpath=following-sibling::dd")).toHaveText("2");
  const rows = report.getByTestId("import-error-row");
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText("4");
  await expect(rows.first()).toContainText("phone");
  await expect(rows.nth(1)).toContainText("5");
  await expect(rows.nth(1)).toContainText("email");
  await snap(page, "contacts-import-report");
  await dialog.getByRole("button", { name: "Done" }).click();
  await page.getByLabel("Search contacts by name, number or company").fill("katherine");
  await expect(page.getByTestId("contact-row")).toHaveCount(1);
});
