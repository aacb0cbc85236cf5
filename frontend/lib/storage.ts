/** localStorage that never throws (private mode, disabled storage, server render). */
export const storage = {
  get(key: string): string | null {
    try {
      return typeof window === "undefined" ? null : window.localStorage.getItem(key);
    } catch {
      return null;
    }
  },
  set(key: string, value: string) {
    try {
      window.localStorage.setItem(key, value);
      window.dispatchEvent(new StorageEvent("storage", { key, newValue: value }));
    } catch {
      /* storage unavailable: nothing to remember */
    }
  },
  remove(key: string) {
    try {
      window.localStorage.removeItem(key);
      window.dispatchEvent(new StorageEvent("storage", { key, newValue: null }));
    } catch {
      /* storage unavailable */
    }
  },
};

export const KEYS = {
  from: "dialer.from",
  country: "dialer.country",
  record: "dialer.record",
  currentCall: "dialer.currentCall",
  session: "dialer.session",
  signedOut: "dialer.signedOut",
} as const;
