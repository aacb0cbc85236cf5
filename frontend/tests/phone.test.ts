import { describe, expect, it } from "vitest";
import { nextRawValue } from "@/features/dialer/Dialer";
import { checkNumber, cleanNumberInput, displayNumber, formatAsYouType } from "@/lib/phone";

describe("cleanNumberInput", () => {
  it.each([
    ["(212) 555-0100", "2125550100"],
    ["+1 212.555.0100", "+12125550100"],
    ["  +1 (212) 555-0100 ", "+12125550100"],
    ["tel:+12125550100", "+12125550100"],
    ["1-800-FLOWERS", "18003569377"],
    ["*67#", "*67#"],
    ["abc", "222"],
    ["", ""],
  ])("%s -> %s", (input, expected) => {
    expect(cleanNumberInput(input)).toBe(expected);
  });
});

describe("formatAsYouType", () => {
  it("formats national US numbers as they grow", () => {
    expect(formatAsYouType("21", "US")).toBe("21");
    expect(formatAsYouType("212", "US")).toBe("(212)");
    expect(formatAsYouType("2125", "US")).toBe("(212) 5");
    expect(formatAsYouType("2125550100", "US")).toBe("(212) 555-0100");
  });
  it("formats international numbers whatever the selected country", () => {
    expect(formatAsYouType("+12125550100", "GB")).toBe("+1 212 555 0100");
    expect(formatAsYouType("+442079460958", "US")).toBe("+44 20 7946 0958");
  });
  it("uses the selected country for national digits", () => {
    expect(formatAsYouType("02079460958", "GB")).toBe("020 7946 0958");
  });
  it("leaves keypad symbols alone", () => {
    expect(formatAsYouType("*67", "US")).toBe("*67");
    expect(formatAsYouType("+", "US")).toBe("+");
    expect(formatAsYouType("", "US")).toBe("");
  });
});

describe("checkNumber", () => {
  it("gives E.164 for a valid number in any format", () => {
    for (const input of ["+1 212 555 0100", "(212) 555-0100", "212.555.0100", "1 212 555 0100"]) {
      const r = checkNumber(input, "US");
      expect(r).toMatchObject({ valid: true, e164: "+12125550100", country: "US" });
    }
  });
  it("reads national numbers in the selected country", () => {
    expect(checkNumber("020 7946 0958", "GB")).toMatchObject({
      valid: true,
      e164: "+442079460958",
    });
  });
  it("explains what is wrong", () => {
    expect(checkNumber("", "US")).toEqual({ valid: false, reason: "Enter a phone number" });
    expect(checkNumber("212 555", "US")).toEqual({ valid: false, reason: "Number is too short" });
    expect(checkNumber("+1 212 555 0100 0000", "US")).toEqual({
      valid: false,
      reason: "Number is too long",
    });
    expect(checkNumber("(111) 555-0100", "US")).toEqual({
      valid: false,
      reason: "Not a valid United States number",
    });
    expect(checkNumber("*67", "US")).toMatchObject({ valid: false });
  });
});

describe("displayNumber", () => {
  it("prints E.164 in international format", () => {
    expect(displayNumber("+12125550100")).toBe("+1 212 555 0100");
    expect(displayNumber("not a number")).toBe("not a number");
  });
});

describe("nextRawValue", () => {
  it("keeps the digits typed or pasted", () => {
    expect(nextRawValue("212", "212", "2125")).toBe("2125");
    expect(nextRawValue("", "", "+1 (212) 555-0100")).toBe("+12125550100");
  });
  it("deleting a formatting character deletes the digit before it", () => {
    // "(212) 5" -> backspace over the space/paren leaves the same digits: drop one.
    expect(nextRawValue("2125", "(212) 5", "(212)5")).toBe("212");
  });
});
