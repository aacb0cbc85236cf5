//! `cargo run -p local`: the whole product on one machine, no accounts needed.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    wiring::telemetry::init();
    let stack = match local::Settings::from_env() {
        Ok(settings) => local::Stack::start(settings).await,
        Err(e) => Err(e),
    };
    let stack = match stack {
        Ok(stack) => stack,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let ui = match &stack.frontend {
        Some(_) => format!("Open {}/ in your browser.", stack.url),
        None => "The web UI is not built (run ./scripts/run.sh to build it); the API works.".into(),
    };
    // The first line is read by tests and scripts: keep its shape. A closed stdout (a script
    // that stopped reading) must not take the server down, so write errors are ignored.
    let accounts = &stack.accounts;
    let admin_password = accounts
        .admin_password
        .clone()
        .unwrap_or_else(|| "the ADMIN_PASSWORD you set".into());
    let banner = format!(
        "Dialer running at {url}\n{ui}\n\
         Sign in as {admin} / {admin_password} (admin) or {agent} / {agent_password} (agent).\n\
         Telnyx emulator at {emulator} (public key {key})\n\
         Event pipeline: {pipeline}\n\
         Try: TOKEN=$(curl -s -X POST {url}/api/auth/sign-in -H 'content-type: application/json' \
         -d '{{\"email\":\"{agent}\",\"password\":\"{agent_password}\"}}' | sed 's/.*\"token\":\"\\([^\"]*\\)\".*/\\1/')\n\
         \x20    curl -s -X POST {url}/api/telnyx/dial -H \"authorization: Bearer $TOKEN\" \
         -H 'content-type: application/json' \
         -d '{{\"to_number\":\"+1 212 555 0100\",\"from_number\":\"+1 312 555 0201\"}}'\n",
        url = stack.url,
        admin = accounts.admin_email,
        agent = accounts.agent_email,
        agent_password = accounts.agent_password,
        emulator = stack.emulator.base_url(),
        key = stack.emulator.public_key_base64(),
        pipeline = stack.events.describe(),
    );
    let mut out = std::io::stdout();
    let _ = std::io::Write::write_all(&mut out, banner.as_bytes());
    let _ = std::io::Write::flush(&mut out);
    tokio::select! {
        _ = stack.wait() => {}
        _ = shutdown_signal() => { eprintln!("Stopping."); }
    }
    std::process::ExitCode::SUCCESS
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
