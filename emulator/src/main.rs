use std::process::ExitCode;

use emulator::{ChaosConfig, Emulator, EmulatorConfig};

const HELP: &str = "\
Telnyx Call Control v2 emulator

USAGE: emulator [OPTIONS]

Every option can also be set through the environment variable shown.

  --host <ADDR>            Address to bind [TELNYX_EMULATOR_HOST, default 127.0.0.1]
  --port <PORT>            Port to listen on, 0 = any [TELNYX_EMULATOR_PORT or PORT, default 4010]
  --signing-key <BASE64>   32-byte Ed25519 seed for webhook signatures
                           [TELNYX_EMULATOR_SIGNING_KEY, default: random, printed public key]
  --time-scale <X>         Multiply every simulated delay by X (0.05 = 20x faster)
                           [TELNYX_EMULATOR_TIME_SCALE, default 1]
  --api-key <KEY>          Bearer token accepted [TELNYX_EMULATOR_API_KEY]
  --connection-id <ID>     The Call Control application id [TELNYX_EMULATOR_CONNECTION_ID]
  --webhook-url <URL>      Application webhook URL, used when a dial gives none
                           [TELNYX_EMULATOR_WEBHOOK_URL]
  --failover-url <URL>     Failover webhook URL [TELNYX_EMULATOR_FAILOVER_URL]
  --public-url <URL>       Root URL clients reach the emulator at (recording links)
                           [TELNYX_EMULATOR_PUBLIC_URL]
  --chaos <SPEC>           off | on | seed=N,dup=P,reorder=P,delay_ms=N,concurrent=BOOL
                           [TELNYX_EMULATOR_CHAOS]
  --recording-ttl <SECS>   Lifetime of recording download links [TELNYX_EMULATOR_RECORDING_TTL_SECS, 600]
  --call-cost              Send call.cost after hangup [TELNYX_EMULATOR_CALL_COST]
  --dial-rate <N>          Dials per second allowed (over 5 s) [TELNYX_EMULATOR_DIAL_RATE, 30]
  -h, --help               Print this help

Set through the environment only (see README: REST faults, Account limits, Number orders):
  TELNYX_EMULATOR_FAULTS                 REST fault plan, e.g. 503,next=2 | lost_answer,rate=0.1
  TELNYX_EMULATOR_LIMITS                 account limits: new_account | concurrent=2,hourly=10,...
  TELNYX_EMULATOR_NUMBER_ORDER_DELAY_MS  number orders stay pending this long, then complete
";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("emulator: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut config = EmulatorConfig::from_env().map_err(|e| e.to_string())?;
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let mut listen = Listen {
        host: env("TELNYX_EMULATOR_HOST").unwrap_or_else(|| "127.0.0.1".into()),
        port: env("TELNYX_EMULATOR_PORT")
            .or_else(|| env("PORT"))
            .map(|p| p.parse().map_err(|_| format!("bad port {p:?}")))
            .transpose()?
            .unwrap_or(4010),
    };
    if !apply_args(&mut config, &mut listen)? {
        print!("{HELP}");
        return Ok(());
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    rt.block_on(serve(config, listen))
}

struct Listen {
    host: String,
    port: u16,
}

/// Applies the command line over the environment; false when help was asked for.
fn apply_args(config: &mut EmulatorConfig, listen: &mut Listen) -> Result<bool, String> {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(false),
            "--host" => listen.host = value()?,
            "--port" => listen.port = value()?.parse().map_err(|_| "bad --port".to_string())?,
            "--signing-key" => {
                config.signing_seed =
                    emulator_seed(&value()?).map_err(|e| format!("--signing-key: {e}"))?
            }
            "--time-scale" => {
                config.time_scale = value()?
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .ok_or("--time-scale must be a number >= 0")?
            }
            "--api-key" => config.api_key = value()?,
            "--connection-id" => config.connection_id = value()?,
            "--webhook-url" => config.app_webhook_url = Some(value()?),
            "--failover-url" => config.failover_webhook_url = Some(value()?),
            "--public-url" => config.public_base_url = Some(value()?),
            "--chaos" => config.chaos = ChaosConfig::parse(&value()?)?,
            "--recording-ttl" => {
                let s: f64 = value()?.parse().map_err(|_| "bad --recording-ttl")?;
                config.recording_url_ttl = std::time::Duration::from_secs_f64(s.max(0.0));
            }
            "--call-cost" => config.call_cost_in_webhooks = true,
            "--dial-rate" => {
                config.dial_rate_limit_per_sec = value()?.parse().map_err(|_| "bad --dial-rate")?
            }
            other => return Err(format!("unknown option {other:?} (see --help)")),
        }
    }
    Ok(true)
}

async fn serve(config: EmulatorConfig, Listen { host, port }: Listen) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind((host.as_str(), port))
        .await
        .map_err(|e| format!("bind {host}:{port}: {e}"))?;
    let api_key = config.api_key.clone();
    let connection_id = config.connection_id.clone();
    let emu = Emulator::start(config, listener)
        .await
        .map_err(|e| e.to_string())?;
    println!("Telnyx emulator listening");
    println!("TELNYX_API_BASE={}", emu.base_url());
    println!("TELNYX_PUBLIC_KEY={}", emu.public_key_base64());
    println!("TELNYX_API_KEY={api_key}");
    println!("TELNYX_CONNECTION_ID={connection_id}");
    println!("controls: {}/emulator/info", emu.root_url());
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())
}

fn emulator_seed(v: &str) -> Result<[u8; 32], String> {
    emulator::EmulatorConfig::from_lookup(|k| {
        (k == "TELNYX_EMULATOR_SIGNING_KEY").then(|| v.to_string())
    })
    .map(|c| c.signing_seed)
    .map_err(|e| e.to_string())
}
