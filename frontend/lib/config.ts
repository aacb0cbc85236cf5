export interface RuntimeConfig {
  apiBaseUrl: string;
}

let cached: Promise<RuntimeConfig> | null = null;

/**
 * Runtime configuration is read from `/config.json`, served next to the static files, so one
 * build serves any deployment. A missing or broken file means "same origin".
 */
export function loadConfig(): Promise<RuntimeConfig> {
  if (!cached) {
    cached = fetch("/config.json", { cache: "no-store" })
      .then(async (res) => {
        if (!res.ok) return { apiBaseUrl: "" };
        const json = (await res.json()) as Partial<RuntimeConfig>;
        return { apiBaseUrl: normaliseBase(json.apiBaseUrl) };
      })
      .catch(() => ({ apiBaseUrl: "" }));
  }
  return cached;
}

export function normaliseBase(base: unknown): string {
  if (typeof base !== "string") return "";
  return base.trim().replace(/\/+$/, "");
}

/** Test hook: forget the cached configuration. */
export function resetConfig(value?: RuntimeConfig) {
  cached = value ? Promise.resolve(value) : null;
}
