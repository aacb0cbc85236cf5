//! What the AWS side of a call costs, next to what the carrier charges for it.
//!
//! A pure function of a usage profile (how long calls last, how often the softphone polls the
//! status, how many webhooks Telnyx sends, how long each handler runs) and a price list. It
//! answers "AWS cost per 1,000 calls", broken down by service and by cause, and that cost as a
//! share of the Telnyx per-minute charge for the same calls. `docs/cost-model.md` explains every
//! default; the settings screen can show [`estimate`] of [`CostInputs::default`].
//!
//! What a call costs, one line per invocation kind (each is one Lambda invocation):
//!
//! | cause | API Gateway requests | Lambda invocations | SQS requests |
//! |---|---|---|---|
//! | status polls (`polls_per_call`) | 1 each | 1 each | — |
//! | commands: dial, hangup, controls (`commands_per_call`) | 1 each | 1 each | — |
//! | webhooks (`webhooks_per_call`) | 1 each | 1 (webhook) + 1 / batch (processor) | send + receive + delete |
//!
//! Lambda compute is `memory × billed duration` (billed per started millisecond) at the GB-second
//! price; every invocation writes `log_bytes_per_invocation` to CloudWatch Logs (the platform's
//! START/END/REPORT lines plus our one structured line). Free tiers are ignored: this is the
//! price at scale. Fixed monthly costs (the SQS event source's idle long polls, alarms) are not
//! per call and are listed in the docs instead.

use serde::{Deserialize, Serialize};

/// AWS prices (USD, us-east-1, arm64, as published in 2026) and the carrier's per-minute price.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prices {
    /// Lambda compute, per GB-second (arm64).
    pub lambda_gb_second: f64,
    /// Lambda requests, per million invocations.
    pub lambda_per_million_requests: f64,
    /// API Gateway HTTP API, per million requests (first 300 M per month).
    pub api_per_million_requests: f64,
    /// SQS standard queue, per million requests (each 64 KB chunk is a request).
    pub sqs_per_million_requests: f64,
    /// CloudWatch Logs ingestion, per GB (10^9 bytes).
    pub log_ingestion_per_gb: f64,
    /// Telnyx outbound per-minute price for the destination.
    pub telnyx_per_minute: f64,
}

impl Default for Prices {
    fn default() -> Self {
        Self {
            lambda_gb_second: 0.000_013_333_4,
            lambda_per_million_requests: 0.20,
            api_per_million_requests: 1.00,
            sqs_per_million_requests: 0.40,
            log_ingestion_per_gb: 0.50,
            telnyx_per_minute: 0.007,
        }
    }
}

/// The usage profile of one call and the prices to apply.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CostInputs {
    /// Talk time billed by the carrier, in seconds.
    pub call_seconds: f64,
    /// Status reads per call (the softphone polls once a second while a call is up).
    pub polls_per_call: f64,
    /// Telnyx webhooks per call (initiated, answered, hangup, and e.g. a recording or AMD one).
    pub webhooks_per_call: f64,
    /// API calls that drive Telnyx: the dial, the hangup, any in-call control.
    pub commands_per_call: f64,
    /// Lambda memory size, in MB (the template's setting).
    pub memory_mb: f64,
    /// Billed milliseconds of one status read (a MongoDB find).
    pub poll_ms: f64,
    /// Billed milliseconds of one webhook: verify the signature, one SQS send.
    pub webhook_ms: f64,
    /// Billed milliseconds of one processor batch (one event: a few MongoDB writes).
    pub processor_ms: f64,
    /// Billed milliseconds of one command, mostly waiting for Telnyx's answer.
    pub command_ms: f64,
    /// Events per processor invocation (the SQS batch actually delivered, ≥ 1).
    pub events_per_batch: f64,
    /// SQS requests per event: send, receive and delete (batched receive/delete share theirs).
    pub sqs_requests_per_event: f64,
    /// CloudWatch Logs bytes written per invocation.
    pub log_bytes_per_invocation: f64,
    pub prices: Prices,
}

impl Default for CostInputs {
    /// A 3-minute answered call watched by the softphone polling every second.
    fn default() -> Self {
        Self {
            call_seconds: 180.0,
            polls_per_call: 180.0,
            webhooks_per_call: 4.0,
            commands_per_call: 2.0,
            memory_mb: 256.0,
            poll_ms: 6.0,
            webhook_ms: 15.0,
            processor_ms: 20.0,
            command_ms: 250.0,
            events_per_batch: 1.0,
            sqs_requests_per_event: 3.0,
            log_bytes_per_invocation: 550.0,
            prices: Prices::default(),
        }
    }
}

/// USD per 1,000 calls, by AWS service.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ByService {
    pub api_gateway: f64,
    pub lambda_requests: f64,
    pub lambda_compute: f64,
    pub sqs: f64,
    pub logs: f64,
}

/// USD per 1,000 calls, by what caused it (each includes its API, Lambda, SQS and log costs).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ByCause {
    pub polling: f64,
    pub commands: f64,
    pub webhooks: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostEstimate {
    /// AWS cost of 1,000 calls, USD.
    pub aws_per_1000_calls: f64,
    /// Telnyx cost of the same 1,000 calls, USD.
    pub telnyx_per_1000_calls: f64,
    /// `aws / telnyx` × 100; `None` when the carrier charges nothing (zero-length calls or a
    /// zero price).
    pub aws_share_of_telnyx_percent: Option<f64>,
    pub by_service: ByService,
    pub by_cause: ByCause,
    /// Lambda invocations per call (all functions).
    pub invocations_per_call: f64,
    pub inputs: CostInputs,
}

/// Why an estimate cannot be made: a negative or non-finite input, or a zero batch size.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} must be a finite number{}", if *.zero_allowed { " ≥ 0" } else { " > 0" })]
pub struct CostInputError {
    pub field: &'static str,
    zero_allowed: bool,
}

/// Per-call usage of one cause, before prices.
#[derive(Default)]
struct Usage {
    api_requests: f64,
    invocations: f64,
    gb_seconds: f64,
    sqs_requests: f64,
    log_bytes: f64,
}

impl Usage {
    fn priced(&self, p: &Prices) -> ByService {
        ByService {
            api_gateway: self.api_requests * p.api_per_million_requests / 1e6,
            lambda_requests: self.invocations * p.lambda_per_million_requests / 1e6,
            lambda_compute: self.gb_seconds * p.lambda_gb_second,
            sqs: self.sqs_requests * p.sqs_per_million_requests / 1e6,
            logs: self.log_bytes * p.log_ingestion_per_gb / 1e9,
        }
    }
}

impl ByService {
    fn total(&self) -> f64 {
        self.api_gateway + self.lambda_requests + self.lambda_compute + self.sqs + self.logs
    }

    fn scaled(&self, k: f64) -> Self {
        Self {
            api_gateway: self.api_gateway * k,
            lambda_requests: self.lambda_requests * k,
            lambda_compute: self.lambda_compute * k,
            sqs: self.sqs * k,
            logs: self.logs * k,
        }
    }

    fn plus(&self, o: &Self) -> Self {
        Self {
            api_gateway: self.api_gateway + o.api_gateway,
            lambda_requests: self.lambda_requests + o.lambda_requests,
            lambda_compute: self.lambda_compute + o.lambda_compute,
            sqs: self.sqs + o.sqs,
            logs: self.logs + o.logs,
        }
    }
}

fn check(inputs: &CostInputs) -> Result<(), CostInputError> {
    let p = &inputs.prices;
    let non_negative = [
        ("call_seconds", inputs.call_seconds),
        ("polls_per_call", inputs.polls_per_call),
        ("webhooks_per_call", inputs.webhooks_per_call),
        ("commands_per_call", inputs.commands_per_call),
        ("memory_mb", inputs.memory_mb),
        ("poll_ms", inputs.poll_ms),
        ("webhook_ms", inputs.webhook_ms),
        ("processor_ms", inputs.processor_ms),
        ("command_ms", inputs.command_ms),
        ("sqs_requests_per_event", inputs.sqs_requests_per_event),
        ("log_bytes_per_invocation", inputs.log_bytes_per_invocation),
        ("prices.lambda_gb_second", p.lambda_gb_second),
        (
            "prices.lambda_per_million_requests",
            p.lambda_per_million_requests,
        ),
        (
            "prices.api_per_million_requests",
            p.api_per_million_requests,
        ),
        (
            "prices.sqs_per_million_requests",
            p.sqs_per_million_requests,
        ),
        ("prices.log_ingestion_per_gb", p.log_ingestion_per_gb),
        ("prices.telnyx_per_minute", p.telnyx_per_minute),
    ];
    for (field, value) in non_negative {
        if !value.is_finite() || value < 0.0 {
            return Err(CostInputError {
                field,
                zero_allowed: true,
            });
        }
    }
    if !inputs.events_per_batch.is_finite() || inputs.events_per_batch <= 0.0 {
        return Err(CostInputError {
            field: "events_per_batch",
            zero_allowed: false,
        });
    }
    Ok(())
}

/// Lambda bills each invocation's duration rounded up to the millisecond.
fn billed_seconds(ms: f64) -> f64 {
    ms.ceil() / 1000.0
}

/// AWS cost per 1,000 calls for `inputs`, and its share of the Telnyx cost of the same calls.
pub fn estimate(inputs: &CostInputs) -> Result<CostEstimate, CostInputError> {
    check(inputs)?;
    let gb = inputs.memory_mb / 1024.0;
    let log = inputs.log_bytes_per_invocation;

    let polling = Usage {
        api_requests: inputs.polls_per_call,
        invocations: inputs.polls_per_call,
        gb_seconds: inputs.polls_per_call * gb * billed_seconds(inputs.poll_ms),
        sqs_requests: 0.0,
        log_bytes: inputs.polls_per_call * log,
    };
    let commands = Usage {
        api_requests: inputs.commands_per_call,
        invocations: inputs.commands_per_call,
        gb_seconds: inputs.commands_per_call * gb * billed_seconds(inputs.command_ms),
        sqs_requests: 0.0,
        log_bytes: inputs.commands_per_call * log,
    };
    let batches = inputs.webhooks_per_call / inputs.events_per_batch;
    let webhooks = Usage {
        api_requests: inputs.webhooks_per_call,
        invocations: inputs.webhooks_per_call + batches,
        gb_seconds: gb
            * (inputs.webhooks_per_call * billed_seconds(inputs.webhook_ms)
                + batches * billed_seconds(inputs.processor_ms)),
        sqs_requests: inputs.webhooks_per_call * inputs.sqs_requests_per_event,
        log_bytes: (inputs.webhooks_per_call + batches) * log,
    };

    let p = &inputs.prices;
    let per_call = [&polling, &commands, &webhooks].map(|u| u.priced(p));
    let by_service = per_call[0].plus(&per_call[1]).plus(&per_call[2]);
    let aws_per_call = by_service.total();
    let telnyx_per_call = inputs.call_seconds / 60.0 * p.telnyx_per_minute;
    let share = (telnyx_per_call > 0.0).then(|| aws_per_call / telnyx_per_call * 100.0);
    Ok(CostEstimate {
        aws_per_1000_calls: aws_per_call * 1000.0,
        telnyx_per_1000_calls: telnyx_per_call * 1000.0,
        aws_share_of_telnyx_percent: share,
        by_service: by_service.scaled(1000.0),
        by_cause: ByCause {
            polling: per_call[0].total() * 1000.0,
            commands: per_call[1].total() * 1000.0,
            webhooks: per_call[2].total() * 1000.0,
        },
        invocations_per_call: polling.invocations + commands.invocations + webhooks.invocations,
        inputs: inputs.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() <= 1e-9 * expected.abs().max(1.0),
            "{actual} != {expected}"
        );
    }

    /// Round prices so every figure can be checked on paper.
    fn round_prices() -> Prices {
        Prices {
            lambda_gb_second: 0.00001,
            lambda_per_million_requests: 0.20,
            api_per_million_requests: 1.00,
            sqs_per_million_requests: 0.40,
            log_ingestion_per_gb: 0.50,
            telnyx_per_minute: 0.01,
        }
    }

    fn nothing() -> CostInputs {
        CostInputs {
            call_seconds: 60.0,
            polls_per_call: 0.0,
            webhooks_per_call: 0.0,
            commands_per_call: 0.0,
            memory_mb: 1024.0,
            poll_ms: 0.0,
            webhook_ms: 0.0,
            processor_ms: 0.0,
            command_ms: 0.0,
            events_per_batch: 1.0,
            sqs_requests_per_event: 3.0,
            log_bytes_per_invocation: 0.0,
            prices: round_prices(),
        }
    }

    #[test]
    fn polling_alone_by_hand() {
        // 100 polls of 10 ms at 1 GB: API 100 × $1/M = $0.0001; Lambda requests 100 × $0.2/M =
        // $0.00002; compute 100 × 1 GB × 0.010 s = 1 GB-s × $0.00001 = $0.00001;
        // logs 100 × 1,000 B = 10^5 B = 10^-4 GB × $0.5 = $0.00005. Per call $0.00018,
        // per 1,000 calls $0.18. Telnyx: 1 min × $0.01 = $0.01 → $10 per 1,000 → 1.8 %.
        let inputs = CostInputs {
            polls_per_call: 100.0,
            poll_ms: 10.0,
            log_bytes_per_invocation: 1000.0,
            ..nothing()
        };
        let e = estimate(&inputs).unwrap();
        close(e.by_service.api_gateway, 0.1);
        close(e.by_service.lambda_requests, 0.02);
        close(e.by_service.lambda_compute, 0.01);
        close(e.by_service.sqs, 0.0);
        close(e.by_service.logs, 0.05);
        close(e.aws_per_1000_calls, 0.18);
        close(e.telnyx_per_1000_calls, 10.0);
        close(e.aws_share_of_telnyx_percent.unwrap(), 1.8);
        close(e.by_cause.polling, 0.18);
        close(e.invocations_per_call, 100.0);
    }

    #[test]
    fn webhooks_go_through_the_queue_by_hand() {
        // 4 webhooks of 2 ms, processed in batches of 2 at 40 ms, 512 MB, 3 SQS requests each:
        // API 4 → $4/M; invocations 4 + 2 = 6 → $1.2/M; compute 0.5 GB × (4 × 0.002 + 2 × 0.040)
        // = 0.044 GB-s → $0.44/M; SQS 12 × $0.4/M = $4.8/M; logs 6 × 500 B = 3,000 B → $1.5/M.
        // Total per call $11.94/M → per 1,000 calls $0.01194.
        let inputs = CostInputs {
            webhooks_per_call: 4.0,
            webhook_ms: 2.0,
            processor_ms: 40.0,
            events_per_batch: 2.0,
            memory_mb: 512.0,
            log_bytes_per_invocation: 500.0,
            ..nothing()
        };
        let e = estimate(&inputs).unwrap();
        close(e.by_service.api_gateway, 0.004);
        close(e.by_service.lambda_requests, 0.0012);
        close(e.by_service.lambda_compute, 0.00044);
        close(e.by_service.sqs, 0.0048);
        close(e.by_service.logs, 0.0015);
        close(e.aws_per_1000_calls, 0.01194);
        close(e.by_cause.webhooks, 0.01194);
        close(e.invocations_per_call, 6.0);
    }

    #[test]
    fn durations_are_billed_per_started_millisecond() {
        // 1.2 ms bills as 2 ms: 1,000 commands × 1 GB × 0.002 s = 2 GB-s → $0.00002 per call.
        let inputs = CostInputs {
            commands_per_call: 1000.0,
            command_ms: 1.2,
            prices: Prices {
                lambda_per_million_requests: 0.0,
                api_per_million_requests: 0.0,
                ..round_prices()
            },
            ..nothing()
        };
        let e = estimate(&inputs).unwrap();
        close(e.by_service.lambda_compute, 0.02);
        close(e.aws_per_1000_calls, 0.02);
    }

    #[test]
    fn the_default_profile_matches_the_published_anchor() {
        // 3-minute call, 180 polls, 4 webhooks, 2 commands, 256 MB, us-east-1 arm64 prices:
        //   API      186 req × $1/M                                  = $0.000186
        //   requests 190 inv × $0.2/M                                = $0.000038
        //   compute  0.25 GB × (180×.006 + 2×.25 + 4×.015 + 4×.02) s
        //            = 0.43 GB-s × $0.0000133334                     = $0.000005733362
        //   SQS      12 × $0.4/M                                     = $0.0000048
        //   logs     190 × 550 B = 104,500 B × $0.5/GB               = $0.00005225
        //   total per call                                           = $0.000286783362
        // Telnyx: 3 min × $0.007 = $0.021. Share 1.3656…%.
        let e = estimate(&CostInputs::default()).unwrap();
        close(e.aws_per_1000_calls, 0.286_783_362);
        close(e.telnyx_per_1000_calls, 21.0);
        close(
            e.aws_share_of_telnyx_percent.unwrap(),
            0.286_783_362 / 21.0 * 100.0,
        );
        close(e.invocations_per_call, 190.0);
        // The figures the docs quote: ≈ $0.29 per 1,000 calls, ≈ 1.4 % of the carrier cost;
        // the polls' API and Lambda charges about three quarters of it, logs about a sixth,
        // and polling with its logs over 90 %.
        assert_eq!(format!("{:.2}", e.aws_per_1000_calls), "0.29");
        assert_eq!(
            format!("{:.1}", e.aws_share_of_telnyx_percent.unwrap()),
            "1.4"
        );
        let poll_logs = 180.0 * 550.0 * 0.5 / 1e9 * 1000.0;
        let polls_without_logs = (e.by_cause.polling - poll_logs) / e.aws_per_1000_calls;
        assert!(
            (0.75..0.80).contains(&polls_without_logs),
            "{polls_without_logs}"
        );
        let logs = e.by_service.logs / e.aws_per_1000_calls;
        assert!((0.15..0.20).contains(&logs), "{logs}");
        assert!(e.by_cause.polling / e.aws_per_1000_calls > 0.9);
        close(
            e.by_cause.polling + e.by_cause.commands + e.by_cause.webhooks,
            e.aws_per_1000_calls,
        );
    }

    #[test]
    fn polling_less_often_costs_less() {
        let every_second = estimate(&CostInputs::default()).unwrap();
        let every_3s = estimate(&CostInputs {
            polls_per_call: 60.0,
            ..CostInputs::default()
        })
        .unwrap();
        assert!(every_3s.aws_per_1000_calls < every_second.aws_per_1000_calls / 2.0);
    }

    #[test]
    fn bad_inputs_are_refused() {
        let err = estimate(&CostInputs {
            poll_ms: -1.0,
            ..CostInputs::default()
        })
        .unwrap_err();
        assert_eq!(err.field, "poll_ms");
        let err = estimate(&CostInputs {
            events_per_batch: 0.0,
            ..CostInputs::default()
        })
        .unwrap_err();
        assert_eq!(err.field, "events_per_batch");
        assert_eq!(
            err.to_string(),
            "events_per_batch must be a finite number > 0"
        );
        let err = estimate(&CostInputs {
            prices: Prices {
                telnyx_per_minute: f64::NAN,
                ..Prices::default()
            },
            ..CostInputs::default()
        })
        .unwrap_err();
        assert_eq!(err.field, "prices.telnyx_per_minute");
    }

    #[test]
    fn a_zero_length_call_has_no_carrier_share() {
        let e = estimate(&CostInputs {
            call_seconds: 0.0,
            ..CostInputs::default()
        })
        .unwrap();
        assert_eq!(e.telnyx_per_1000_calls, 0.0);
        assert_eq!(e.aws_share_of_telnyx_percent, None);
    }

    #[test]
    fn inputs_deserialise_with_defaults_for_missing_fields() {
        let inputs: CostInputs = serde_json::from_str(
            r#"{"polls_per_call": 60, "prices": {"telnyx_per_minute": 0.01}}"#,
        )
        .unwrap();
        assert_eq!(inputs.polls_per_call, 60.0);
        assert_eq!(inputs.call_seconds, 180.0);
        assert_eq!(inputs.prices.telnyx_per_minute, 0.01);
        assert_eq!(inputs.prices.api_per_million_requests, 1.00);
    }
}
