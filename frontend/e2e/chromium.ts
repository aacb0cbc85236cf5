// How the browser tests start Debian's Chromium. It runs as root with no network beyond
// loopback: without the background-networking flags it keeps dialling Google's hosts, and the
// resolver rule keeps every name but 127.0.0.1 from being looked up.
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
];

// Real audio: a fake microphone that needs no permission prompt, and loopback ICE candidates
// (the emulator's WebRTC gateway takes only 127.0.0.1).
export const FAKE_MEDIA_ARGS = [
  "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream",
  "--allow-loopback-in-peer-connection",
  "--autoplay-policy=no-user-gesture-required",
];
