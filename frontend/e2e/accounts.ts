import path from "node:path";

/** The local stack's demo accounts (printed when it starts); override for another stack. */
export const ACCOUNTS = {
  admin: {
    email: process.env.E2E_ADMIN_EMAIL ?? "admin@dialer.local",
    password: process.env.E2E_ADMIN_PASSWORD ?? "dialer-demo-admin",
  },
  agent: {
    email: process.env.E2E_AGENT_EMAIL ?? "agent@dialer.local",
    password: process.env.E2E_AGENT_PASSWORD ?? "dialer-demo-agent",
  },
} as const;

export type AccountName = keyof typeof ACCOUNTS;

/** Where the app keeps the session (lib/storage.ts KEYS.session). */
export const SESSION_KEY = "dialer.session";

export const AUTH_DIR = path.resolve(process.cwd(), "test-results/.auth");
export const stateFile = (name: AccountName) => path.join(AUTH_DIR, `${name}.json`);
