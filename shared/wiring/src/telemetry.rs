//! Logging set-up shared by every binary: compact lines, level from `LOG_LEVEL` (default info).

pub fn init() {
    let filter = std::env::var("LOG_LEVEL")
        .ok()
        .and_then(|level| tracing_subscriber::EnvFilter::try_new(level).ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new("info"));
    // Lambda adds its own timestamps and request ids to every line; ours would only cost bytes.
    let in_lambda = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(!in_lambda && std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = if in_lambda {
        builder.without_time().try_init()
    } else {
        builder.try_init()
    };
}
