//! Issue 17 on the local stack: `HOST` exposes the API, never the emulator's unauthenticated
//! control plane, and the embedded file with the keys is owner-only.

use std::os::unix::fs::PermissionsExt;

#[test]
fn only_a_loopback_host_is_kept_for_the_emulator() {
    for (host, emulator) in [
        ("127.0.0.1", "127.0.0.1"),
        ("127.0.0.2", "127.0.0.2"),
        ("localhost", "localhost"),
        ("::1", "::1"),
        ("[::1]", "[::1]"),
        ("0.0.0.0", "127.0.0.1"),
        ("::", "127.0.0.1"),
        ("192.168.1.20", "127.0.0.1"),
        ("dialer.example", "127.0.0.1"),
    ] {
        assert_eq!(local::emulator_host(host), emulator, "{host}");
    }
}

#[tokio::test]
async fn with_host_on_every_interface_the_emulator_stays_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let settings = local::Settings {
        host: "0.0.0.0".into(),
        port: 0,
        emulator_port: 0,
        frontend_dir: dir.path().join("no-frontend"),
        config: wiring::Config {
            data_dir: data.clone(),
            ..wiring::Config::default()
        },
        emulator: emulator::EmulatorConfig::default(),
    };
    let stack = local::Stack::start(settings).await.unwrap();
    assert!(
        stack.addr.ip().is_unspecified(),
        "the API is where HOST says"
    );
    let root = stack.emulator.root_url();
    assert!(root.starts_with("http://127.0.0.1:"), "{root}");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("dialer.sqlite3")), 0o600);
}
