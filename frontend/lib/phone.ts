import {
  AsYouType,
  getCountries,
  getCountryCallingCode,
  parsePhoneNumberFromString,
  validatePhoneNumberLength,
  type CountryCode,
} from "libphonenumber-js";

export type { CountryCode };

export const DEFAULT_COUNTRY: CountryCode = "US";

/** Letters printed under the keys of a phone keypad. */
export const KEYPAD_LETTERS: Record<string, string> = {
  "1": "",
  "2": "ABC",
  "3": "DEF",
  "4": "GHI",
  "5": "JKL",
  "6": "MNO",
  "7": "PQRS",
  "8": "TUV",
  "9": "WXYZ",
  "*": "",
  "0": "+",
  "#": "",
};

const LETTER_TO_DIGIT: Record<string, string> = Object.fromEntries(
  Object.entries(KEYPAD_LETTERS).flatMap(([digit, letters]) =>
    /^[2-9]$/.test(digit) ? letters.split("").map((l) => [l, digit]) : [],
  ),
);

/**
 * Reduce anything typed or pasted ("(212) 555-0100", "+1.212.555.0100", "1-800-FLOWERS",
 * "tel:+12125550100") to what a dialer keeps: digits (and the keypad's * and #), with one
 * leading "+".
 * A leading "00" international prefix is left alone: the number is then treated as national
 * digits of the selected country, which is what a person typing it on a phone would expect.
 */
export function cleanNumberInput(text: string): string {
  const trimmed = text.trim().replace(/^tel:/i, "");
  const plus = trimmed.startsWith("+");
  const digits = trimmed
    .toUpperCase()
    .replace(/[A-Z]/g, (c) => LETTER_TO_DIGIT[c] ?? "")
    .replace(/[^0-9*#]/g, "");
  return plus ? `+${digits}` : digits;
}

/** As-you-type formatting for display; the stored value stays clean. */
export function formatAsYouType(raw: string, country: CountryCode): string {
  if (!raw) return "";
  if (raw === "+" || /[*#]/.test(raw)) return raw;
  return new AsYouType(country).input(raw);
}

export type NumberCheck =
  | { valid: true; e164: string; country?: CountryCode; international: string }
  | { valid: false; reason: string };

/** Validate a number typed in any format against a default country; E.164 when valid. */
export function checkNumber(raw: string, country: CountryCode): NumberCheck {
  const clean = cleanNumberInput(raw);
  if (/[*#]/.test(clean)) {
    return { valid: false, reason: "* and # can only be sent during a call" };
  }
  const digits = clean.replace(/\D/g, "");
  if (!digits) return { valid: false, reason: "Enter a phone number" };
  const lengthProblem = validatePhoneNumberLength(clean, country);
  if (lengthProblem === "TOO_SHORT" || lengthProblem === "NOT_A_NUMBER") {
    return { valid: false, reason: "Number is too short" };
  }
  if (lengthProblem === "TOO_LONG") return { valid: false, reason: "Number is too long" };
  if (lengthProblem === "INVALID_COUNTRY") {
    return { valid: false, reason: "Unknown country code" };
  }
  const parsed = parsePhoneNumberFromString(clean, country);
  if (!parsed) return { valid: false, reason: "Not a phone number" };
  if (!parsed.isValid()) {
    const where = parsed.country ?? (clean.startsWith("+") ? undefined : country);
    return {
      valid: false,
      reason: where ? `Not a valid ${countryName(where)} number` : "Not a valid phone number",
    };
  }
  return {
    valid: true,
    e164: parsed.number,
    country: parsed.country,
    international: parsed.formatInternational(),
  };
}

/** Pretty form of an E.164 number for lists and the call screen. */
export function displayNumber(e164: string): string {
  const parsed = parsePhoneNumberFromString(e164);
  return parsed ? parsed.formatInternational() : e164;
}

let regionNames: Intl.DisplayNames | null = null;

export function countryName(code: CountryCode): string {
  try {
    regionNames ??= new Intl.DisplayNames(["en"], { type: "region" });
    return regionNames.of(code) ?? code;
  } catch {
    return code;
  }
}

export interface CountryOption {
  code: CountryCode;
  name: string;
  callingCode: string;
}

let countryOptions: CountryOption[] | null = null;

export function listCountries(): CountryOption[] {
  countryOptions ??= getCountries()
    .map((code) => ({ code, name: countryName(code), callingCode: getCountryCallingCode(code) }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return countryOptions;
}

export function isCountryCode(value: unknown): value is CountryCode {
  return typeof value === "string" && (getCountries() as string[]).includes(value);
}

/** The country of an E.164 number (as the dial policy counts the team's numbers), if known. */
export function countryOfNumber(e164: string): CountryCode | null {
  return parsePhoneNumberFromString(e164)?.country ?? null;
}

/**
 * The countries the team's own numbers are in, sorted by name: calls to these are allowed
 * without an entry in the dial policy. A number's `country` field counts when it cannot be
 * parsed.
 */
export function teamCountries(
  numbers: { phone_number: string; country?: string | null }[],
): CountryCode[] {
  const found = new Set<CountryCode>();
  for (const n of numbers) {
    const fromNumber = countryOfNumber(n.phone_number);
    const given = n.country?.toUpperCase();
    const code = fromNumber ?? (isCountryCode(given) ? given : null);
    if (code) found.add(code);
  }
  return [...found].sort((a, b) => countryName(a).localeCompare(countryName(b)));
}
