import { request, type FullConfig } from "@playwright/test";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ACCOUNTS, AUTH_DIR, SESSION_KEY, stateFile, type AccountName } from "./accounts";

/**
 * Signs in once per run as the demo admin and the demo agent (sign-in is rate limited per
 * e-mail, so not once per test) and saves each session as a Playwright storage state: the
 * token in the app's localStorage, exactly where the sign-in page puts it.
 */
export default async function globalSetup(config: FullConfig) {
  const baseURL = config.projects[0]?.use.baseURL;
  if (!baseURL) throw new Error("no baseURL in the Playwright config");
  const origin = new URL(baseURL).origin;
  mkdirSync(AUTH_DIR, { recursive: true });
  const api = await request.newContext({ baseURL });
  try {
    for (const name of Object.keys(ACCOUNTS) as AccountName[]) {
      const { email, password } = ACCOUNTS[name];
      const res = await api.post("/api/auth/sign-in", { data: { email, password } });
      if (!res.ok()) {
        throw new Error(
          `signing in as ${email} answered ${res.status()}: ${await res.text()} ` +
            "(is the backend's auth wired, and are the demo accounts created?)",
        );
      }
      const session = await res.json();
      writeFileSync(
        stateFile(name),
        JSON.stringify({
          cookies: [],
          origins: [
            { origin, localStorage: [{ name: SESSION_KEY, value: JSON.stringify(session) }] },
          ],
        }),
      );
      writeFileSync(path.join(AUTH_DIR, `${name}.token`), session.token);
    }
  } finally {
    await api.dispose();
  }
}
