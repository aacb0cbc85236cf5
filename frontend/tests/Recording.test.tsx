import "./mocks";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CallDetail } from "@/features/calls/CallDetail";
import { RecordingAudio, RecordingDownload, linkExpired } from "@/features/calls/Recording";
import { resetConfig } from "@/lib/config";
import { makeCall, renderApp, signInAs } from "./utils";

const CALL = "call-rec-1";
const later = () => new Date(Date.now() + 10 * 60_000).toISOString();
const earlier = () => new Date(Date.now() - 60_000).toISOString();

let fetchMock: ReturnType<typeof vi.fn>;
let links: { url: string; expires_at: string }[];

function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status });
}

/** Answers like the API: the call's detail, and a new link per request. */
function route(url: string): Response {
  const path = new URL(url, "http://x").pathname;
  if (path === `/api/calls/${CALL}/recording/link`) {
    const next = links.shift();
    return next
      ? json(next)
      : json({ status: 404, code: "recording_not_found", detail: "No recording." }, 404);
  }
  if (path === `/api/calls/${CALL}`) {
    return json({
      ...makeCall({
        call_id: CALL,
        status: "ended",
        outcome: "completed",
        answered_at: "2026-11-24T10:00:02Z",
        ended_at: "2026-11-24T10:00:30Z",
        duration: 28,
        recording_url: `/api/calls/${CALL}/recording`,
        recording_status: "available",
        contact: { id: "c1", name: "Ana" },
      }),
      recordings: [{ recording_id: "r1", format: "mp3", channels: "dual", duration: 28 }],
      timeline: [],
    });
  }
  return json({ status: 404, code: "not_found" }, 404);
}

const requestedLinks = () =>
  fetchMock.mock.calls.filter(([u]) => String(u).endsWith("/recording/link")).length;

beforeEach(() => {
  resetConfig({ apiBaseUrl: "" });
  signInAs();
  links = [];
  fetchMock = vi.fn(async (url: string) => route(url));
  vi.stubGlobal("fetch", fetchMock);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("recording playback", () => {
  it("call detail plays and downloads through a fetched link, never the bare API path", async () => {
    links = [{ url: "/api/recordings/r1?sig=one", expires_at: later() }];
    renderApp(<CallDetail id={CALL} />);
    const audio = await screen.findByTestId("recording-audio");
    expect(audio).toHaveAttribute("src", "/api/recordings/r1?sig=one");
    expect(screen.getByRole("link", { name: "Download" })).toHaveAttribute(
      "href",
      "/api/recordings/r1?sig=one",
    );
    // The link request carried the session (the audio element could not have).
    const linkCall = fetchMock.mock.calls.find(([u]) => String(u).endsWith("/recording/link"))!;
    expect(new Headers((linkCall[1] as RequestInit).headers).get("Authorization")).toMatch(
      /^Bearer /,
    );
    expect(document.querySelector(`[src="/api/calls/${CALL}/recording"]`)).toBeNull();
    expect(document.querySelector(`[href="/api/calls/${CALL}/recording"]`)).toBeNull();
  });

  it("asks for a new link when the audio fails to load (an expired link)", async () => {
    links = [
      { url: "https://media.example/r1?sig=old", expires_at: later() },
      { url: "https://media.example/r1?sig=new", expires_at: later() },
    ];
    renderApp(<RecordingAudio callId={CALL} testId="audio" />);
    const audio = await screen.findByTestId("audio");
    expect(audio).toHaveAttribute("src", "https://media.example/r1?sig=old");
    fireEvent.error(audio);
    await waitFor(() =>
      expect(screen.getByTestId("audio")).toHaveAttribute(
        "src",
        "https://media.example/r1?sig=new",
      ),
    );
    expect(requestedLinks()).toBe(2);
  });

  it("does not ask forever when every link fails", async () => {
    links = Array.from({ length: 6 }, (_, i) => ({
      url: `https://media.example/r1?sig=${i}`,
      expires_at: later(),
    }));
    renderApp(<RecordingAudio callId={CALL} testId="audio" />);
    for (let i = 0; i < 5; i++) {
      fireEvent.error(await screen.findByTestId("audio"));
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(requestedLinks()).toBe(3); // the first link and two retries
  });

  it("a download with an expired link fetches a fresh one first", async () => {
    links = [
      { url: "https://media.example/r1?sig=stale", expires_at: earlier() },
      { url: "https://media.example/r1?sig=fresh", expires_at: later() },
    ];
    const clicked: string[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      clicked.push(this.href);
    });
    renderApp(<RecordingDownload callId={CALL} />);
    const link = await screen.findByRole("link", { name: "Download" });
    await userEvent.setup().click(link);
    await waitFor(() => expect(clicked).toEqual(["https://media.example/r1?sig=fresh"]));
    expect(requestedLinks()).toBe(2);
    click.mockRestore();
  });

  it("says so when there is no recording to link to", async () => {
    renderApp(<RecordingAudio callId={CALL} />);
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not load the recording");
    expect(screen.getByRole("button", { name: "Try again" })).toBeInTheDocument();
  });

  it("treats a link as spent just before it expires", () => {
    const now = Date.parse("2026-11-24T10:00:00Z");
    expect(linkExpired({ url: "x", expires_at: "2026-11-24T10:10:00Z" }, now)).toBe(false);
    expect(linkExpired({ url: "x", expires_at: "2026-11-24T10:00:03Z" }, now)).toBe(true);
    expect(linkExpired({ url: "x", expires_at: "garbage" }, now)).toBe(true);
  });
});
