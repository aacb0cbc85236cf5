//! The dial policy: the toll-fraud guard every dial passes before it costs money.
//!
//! Attackers who reach a dialer pump calls to numbers that pay them per minute: premium-rate
//! and shared-cost services, and international ranges sold for revenue-share fraud. The guard
//! refuses, in words a person understands:
//! - destinations in countries the team does not call (by default, the countries of the team's
//!   own numbers);
//! - premium-rate, shared-cost, personal-number and pager ranges, as libphonenumber's numbering
//!   plans classify them, in every country;
//! - the prefixes in [`BLOCKED_PREFIXES`] and North American `NPA-976-XXXX` numbers (976 is a
//!   premium exchange inside ordinary area codes), which stay blocked whatever the plans say;
//! - more concurrent calls, or more calls per hour or per day, than the per-user limits.

use crate::phone::{NumberKind, PhoneNumber};
use std::collections::BTreeSet;

/// Ranges refused even when the country is allowed. Each entry: E.164 prefix and why.
pub const BLOCKED_PREFIXES: &[(&str, &str)] = &[
    ("+1900", "a premium-rate number (North America 900)"),
    ("+44870", "a UK non-geographic revenue-sharing number"),
    ("+44871", "a UK non-geographic revenue-sharing number"),
    ("+44872", "a UK non-geographic revenue-sharing number"),
    ("+44873", "a UK non-geographic revenue-sharing number"),
    ("+449", "a UK premium-rate number"),
    ("+3389", "a French premium-rate number"),
    ("+49900", "a German premium-rate number"),
    ("+39899", "an Italian premium-rate number"),
    ("+34803", "a Spanish premium-rate number"),
    ("+34806", "a Spanish premium-rate number"),
    ("+34807", "a Spanish premium-rate number"),
    ("+61190", "an Australian premium-rate number"),
    ("+870", "a satellite (Inmarsat) number"),
    ("+881", "a satellite (global mobile) number"),
    ("+882", "an international network number"),
    ("+883", "an international network number"),
    ("+979", "an international premium-rate number"),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialPolicy {
    /// ISO 3166 alpha-2 codes callers may reach. Empty means "nowhere": a team with no numbers
    /// and no explicit list cannot dial.
    pub allowed_countries: BTreeSet<String>,
    pub max_concurrent_calls: u32,
    pub max_calls_per_hour: u32,
    pub max_calls_per_day: u32,
}

impl DialPolicy {
    /// The default: the countries of the team's own numbers, and limits a human agent never
    /// reaches (one call at a time is what a person can talk on; 3 leaves room for a stuck
    /// call that has not ended yet).
    pub fn for_team_numbers<'a>(numbers: impl IntoIterator<Item = &'a PhoneNumber>) -> Self {
        Self::for_countries(
            numbers
                .into_iter()
                .filter_map(|n| n.country().map(str::to_string)),
        )
    }

    /// The default limits with these allowed countries.
    pub fn for_countries(countries: impl IntoIterator<Item = String>) -> Self {
        Self {
            allowed_countries: countries.into_iter().collect(),
            max_concurrent_calls: 3,
            max_calls_per_hour: 60,
            max_calls_per_day: 400,
        }
    }
}

/// What one user has been dialing: counted by the store, judged here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DialUsage {
    pub active_calls: u32,
    pub calls_last_hour: u32,
    pub calls_last_day: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialRefusal {
    CountryNotAllowed { number: String, country: String },
    UnknownCountry { number: String },
    PremiumRange { number: String, why: &'static str },
    TooManyConcurrent { limit: u32 },
    HourlyLimit { limit: u32 },
    DailyLimit { limit: u32 },
}

impl DialRefusal {
    /// Stable machine code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::CountryNotAllowed { .. } | Self::UnknownCountry { .. } => {
                "destination_country_not_allowed"
            }
            Self::PremiumRange { .. } => "destination_blocked",
            Self::TooManyConcurrent { .. } => "too_many_concurrent_calls",
            Self::HourlyLimit { .. } | Self::DailyLimit { .. } => "dial_limit_reached",
        }
    }

    /// Whether waiting helps (limits) or not (destinations).
    pub fn is_limit(&self) -> bool {
        matches!(
            self,
            Self::TooManyConcurrent { .. } | Self::HourlyLimit { .. } | Self::DailyLimit { .. }
        )
    }

    pub fn message(&self) -> String {
        match self {
            Self::CountryNotAllowed { number, country } => format!(
                "{} is in {country}, which this team does not call; an admin can allow {country} in settings",
                short(number)
            ),
            Self::UnknownCountry { number } => format!(
                "{} belongs to no country's numbering plan; such destinations are blocked",
                short(number)
            ),
            Self::PremiumRange { number, why } => format!(
                "{} is {why}; premium-rate and special-service destinations are blocked",
                short(number)
            ),
            Self::TooManyConcurrent { limit } => format!(
                "you already have {limit} calls in progress; end one before placing another"
            ),
            Self::HourlyLimit { limit } => {
                format!(
                    "you have placed {limit} calls in the last hour, the most allowed; try again later"
                )
            }
            Self::DailyLimit { limit } => {
                format!("you have placed {limit} calls today, the most allowed; try again tomorrow")
            }
        }
    }
}

/// The number with its last digits hidden, as shown in refusals and audit logs.
fn short(number: &str) -> String {
    let keep = number.len().saturating_sub(4).max(4);
    format!("{}…", &number[..keep.min(number.len())])
}

/// Judges one dial. Destination rules come before limits, so a blocked number is reported as
/// such even when the user is also at a limit.
pub fn check(policy: &DialPolicy, to: &PhoneNumber, usage: DialUsage) -> Result<(), DialRefusal> {
    check_destination(policy, to)?;
    check_usage(policy, usage)
}

/// The destination rules alone: country, premium and special ranges.
pub fn check_destination(policy: &DialPolicy, to: &PhoneNumber) -> Result<(), DialRefusal> {
    let number = to.as_str().to_string();
    if let Some((_, why)) = BLOCKED_PREFIXES.iter().find(|(p, _)| number.starts_with(p)) {
        return Err(DialRefusal::PremiumRange { number, why });
    }
    if number.starts_with("+1") && number.get(5..8) == Some("976") {
        return Err(DialRefusal::PremiumRange {
            number,
            why: "a premium-rate number (North America 976 exchange)",
        });
    }
    let special = match to.kind() {
        NumberKind::PremiumRate => Some("a premium-rate number"),
        NumberKind::SharedCost => Some("a shared-cost number"),
        NumberKind::Personal => Some("a personal (follow-me) number"),
        NumberKind::Pager => Some("a pager number"),
        _ => None,
    };
    if let Some(why) = special {
        return Err(DialRefusal::PremiumRange { number, why });
    }
    match to.country() {
        None => return Err(DialRefusal::UnknownCountry { number }),
        Some(country) if !policy.allowed_countries.contains(country) => {
            return Err(DialRefusal::CountryNotAllowed {
                number,
                country: country.to_string(),
            });
        }
        Some(_) => {}
    }
    Ok(())
}

/// The per-user limits alone.
pub fn check_usage(policy: &DialPolicy, usage: DialUsage) -> Result<(), DialRefusal> {
    if usage.active_calls >= policy.max_concurrent_calls {
        return Err(DialRefusal::TooManyConcurrent {
            limit: policy.max_concurrent_calls,
        });
    }
    if usage.calls_last_hour >= policy.max_calls_per_hour {
        return Err(DialRefusal::HourlyLimit {
            limit: policy.max_calls_per_hour,
        });
    }
    if usage.calls_last_day >= policy.max_calls_per_day {
        return Err(DialRefusal::DailyLimit {
            limit: policy.max_calls_per_day,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> PhoneNumber {
        PhoneNumber::parse(s, "US").unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn us_team() -> DialPolicy {
        DialPolicy::for_team_numbers([&n("+13125550201"), &n("+14155550203")])
    }

    #[test]
    fn the_default_allows_the_countries_of_the_team_numbers() {
        let policy = us_team();
        assert_eq!(policy.allowed_countries, BTreeSet::from(["US".to_string()]));
        assert_eq!(
            check(&policy, &n("+1 212 555 0100"), DialUsage::default()),
            Ok(())
        );
        assert_eq!(
            check(&policy, &n("+1 (800) 555-0199"), DialUsage::default()),
            Ok(()),
            "toll free is fine"
        );
        let uk = check(&policy, &n("+44 20 7946 0958"), DialUsage::default()).unwrap_err();
        assert_eq!(uk.code(), "destination_country_not_allowed");
        assert_eq!(
            uk.message(),
            "+44207946… is in GB, which this team does not call; an admin can allow GB in settings"
        );
        let mut with_uk = policy.clone();
        with_uk.allowed_countries.insert("GB".into());
        assert_eq!(
            check(&with_uk, &n("+44 20 7946 0958"), DialUsage::default()),
            Ok(())
        );
        let nobody = DialPolicy::for_team_numbers([]);
        assert!(check(&nobody, &n("+1 212 555 0100"), DialUsage::default()).is_err());
    }

    #[test]
    fn premium_and_special_ranges_are_refused_even_in_allowed_countries() {
        let mut policy = us_team();
        policy
            .allowed_countries
            .extend(["GB", "DE", "FR"].map(String::from));
        for (number, expected) in [
            (
                "+1 900 555 0100",
                "+1900555… is a premium-rate number (North America 900); premium-rate and special-service destinations are blocked",
            ),
            (
                "+1 212 976 0100",
                "+1212976… is a premium-rate number (North America 976 exchange); premium-rate and special-service destinations are blocked",
            ),
            (
                "+44 909 879 0000",
                "+44909879… is a UK premium-rate number; premium-rate and special-service destinations are blocked",
            ),
            (
                "+49 900 1234567",
                "+49900123… is a German premium-rate number; premium-rate and special-service destinations are blocked",
            ),
        ] {
            let refusal = check(&policy, &n(number), DialUsage::default()).unwrap_err();
            assert_eq!(refusal.code(), "destination_blocked", "{number}");
            assert_eq!(refusal.message(), expected);
            assert!(!refusal.is_limit());
        }
        // libphonenumber's own premium-rate classification, outside the explicit list
        let fr_premium = n("+33 8 99 70 12 34");
        assert_eq!(fr_premium.kind(), NumberKind::PremiumRate);
        assert_eq!(
            check(&policy, &fr_premium, DialUsage::default())
                .unwrap_err()
                .code(),
            "destination_blocked"
        );
        // UK 0845 "local rate" numbers share revenue with the callee
        let uk_0845 = n("+44 845 464 0000");
        assert!(matches!(
            uk_0845.kind(),
            NumberKind::SharedCost | NumberKind::PremiumRate
        ));
        assert_eq!(
            check(&policy, &uk_0845, DialUsage::default())
                .unwrap_err()
                .code(),
            "destination_blocked"
        );
    }

    #[test]
    fn limits_apply_per_user_after_destination_rules() {
        let policy = us_team();
        let ok = n("+1 212 555 0100");
        let at = |active, hour, day| DialUsage {
            active_calls: active,
            calls_last_hour: hour,
            calls_last_day: day,
        };
        assert_eq!(check(&policy, &ok, at(2, 59, 399)), Ok(()));
        let busy = check(&policy, &ok, at(3, 0, 0)).unwrap_err();
        assert_eq!(
            (busy.code(), busy.is_limit()),
            ("too_many_concurrent_calls", true)
        );
        assert_eq!(
            check(&policy, &ok, at(0, 60, 60)).unwrap_err().code(),
            "dial_limit_reached"
        );
        assert_eq!(
            check(&policy, &ok, at(0, 0, 400)).unwrap_err().message(),
            "you have placed 400 calls today, the most allowed; try again tomorrow"
        );
        // a blocked number is reported as blocked even at the limit
        assert_eq!(
            check(&policy, &n("+1 900 555 0100"), at(9, 99, 999))
                .unwrap_err()
                .code(),
            "destination_blocked"
        );
    }
}
