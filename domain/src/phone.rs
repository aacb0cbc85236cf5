//! E.164 phone numbers, parsed once at the edge with a libphonenumber port.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A valid phone number, always held in E.164 form (`+12125550100`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber {
    e164: String,
    country: Option<String>,
}

/// The kind of line a number reaches, as far as numbering plans tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberKind {
    /// Fixed line or mobile.
    Geographic,
    TollFree,
    PremiumRate,
    SharedCost,
    Personal,
    Voip,
    Pager,
    Uan,
    Voicemail,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("a phone number is required")]
    Empty,
    #[error(
        "a phone number may only contain digits, spaces, dashes, dots, parentheses and a leading +"
    )]
    BadCharacters,
    #[error("this is not a phone number we can dial")]
    Unparseable,
    #[error("this number is not valid for its country (check the digits or the country code)")]
    Invalid,
}

/// Whether `code` is an ISO 3166 alpha-2 region with a numbering plan (`"GB"`, not `"UK"`).
pub fn is_country_code(code: &str) -> bool {
    code.len() == 2
        && code.chars().all(|c| c.is_ascii_uppercase())
        && code.parse::<phonenumber::country::Id>().is_ok()
}

impl PhoneNumber {
    /// Parses any common way of writing a number. Numbers without a `+` or `00` prefix are read as
    /// national numbers of `default_country` (ISO 3166 alpha-2, e.g. "US").
    pub fn parse(input: &str, default_country: &str) -> Result<Self, PhoneError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        // libphonenumber also accepts vanity letters and extensions; a dialer should not guess
        // what "1-800-FLOWERS x2" means, so only punctuation a person types is allowed.
        let allowed = |c: char| c.is_ascii_digit() || " -.()/\u{a0}".contains(c);
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        if !rest.chars().all(allowed) {
            return Err(PhoneError::BadCharacters);
        }
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        if digits.len() < 3 || digits.len() > 17 {
            return Err(PhoneError::Unparseable);
        }
        let normalised = match (plus, digits.strip_prefix("00")) {
            (true, _) => format!("+{digits}"),
            (false, Some(international)) => format!("+{international}"),
            (false, None) => digits,
        };
        let region = default_country
            .parse::<phonenumber::country::Id>()
            .unwrap_or(phonenumber::country::Id::US);
        // An international number carries its country code: a region hint would only mislead
        // the parser (with "US", libphonenumber 0.3 reads +49 151… as +49 51…, the national
        // prefix "1" stripped after the country code: a valid, wrong number).
        let hint = (!normalised.starts_with('+')).then_some(region);
        let parsed = phonenumber::parse(hint, &normalised).map_err(|_| PhoneError::Unparseable)?;
        if !phonenumber::is_valid(&parsed) {
            return Err(PhoneError::Invalid);
        }
        let e164 = parsed.format().mode(phonenumber::Mode::E164).to_string();
        let country = parsed.country().id().map(|id| id.as_ref().to_string());
        Ok(Self { e164, country })
    }

    /// Reads back a number that was stored in E.164 form by this type.
    pub fn from_e164(e164: &str) -> Result<Self, PhoneError> {
        if !e164.starts_with('+') {
            return Err(PhoneError::Unparseable);
        }
        Self::parse(e164, "US")
    }

    pub fn as_str(&self) -> &str {
        &self.e164
    }

    /// ISO 3166 alpha-2 country of the number, when libphonenumber knows it.
    pub fn country(&self) -> Option<&str> {
        self.country.as_deref()
    }

    /// What kind of line libphonenumber says this is (premium rate, toll free, mobile, …).
    pub fn kind(&self) -> NumberKind {
        use phonenumber::Type;
        let Ok(parsed) = phonenumber::parse(None, &self.e164) else {
            return NumberKind::Unknown;
        };
        match parsed.number_type(&phonenumber::metadata::DATABASE) {
            Type::FixedLine | Type::Mobile | Type::FixedLineOrMobile => NumberKind::Geographic,
            Type::TollFree => NumberKind::TollFree,
            Type::PremiumRate => NumberKind::PremiumRate,
            Type::SharedCost => NumberKind::SharedCost,
            Type::PersonalNumber => NumberKind::Personal,
            Type::Voip => NumberKind::Voip,
            Type::Pager => NumberKind::Pager,
            Type::Uan => NumberKind::Uan,
            Type::Voicemail => NumberKind::Voicemail,
            _ => NumberKind::Unknown,
        }
    }

    /// The digits without the `+`, for fragment search.
    pub fn digits(&self) -> &str {
        &self.e164[1..]
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.e164)
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.e164)
    }
}

impl FromStr for PhoneNumber {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_e164(s)
    }
}

impl Serialize for PhoneNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.e164)
    }
}

impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::from_e164(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_international_number_reads_the_same_whatever_the_default_region() {
        // Found by domain/tests/properties.rs: with a "US" hint the parser dropped the digit
        // after the country code (+49 151… became +49 51…, another valid number).
        for (input, e164) in [
            ("+49 151 00000000", "+4915100000000"),
            ("+33 1 60 27 42 11", "+33160274211"),
            ("0049 151 00000000", "+4915100000000"),
        ] {
            for region in ["US", "DE", "FR", "GB"] {
                let n = super::PhoneNumber::parse(input, region).unwrap();
                assert_eq!(n.as_str(), e164, "{input} read in {region}");
            }
            let n = super::PhoneNumber::from_e164(e164).unwrap();
            assert_eq!(n.as_str(), e164, "stored numbers read back unchanged");
        }
        assert_eq!(
            super::PhoneNumber::parse("0151 00000000", "DE")
                .unwrap()
                .as_str(),
            "+4915100000000"
        );
    }

    use super::*;

    fn e164(input: &str) -> String {
        PhoneNumber::parse(input, "US")
            .unwrap_or_else(|e| panic!("{input:?}: {e}"))
            .to_string()
    }

    #[test]
    fn national_formats_normalise_to_e164() {
        for input in [
            "2125550100",
            "212-555-0100",
            "(212) 555-0100",
            "212.555.0100",
            " 212 555 0100 ",
            "1 212 555 0100",
            "+1 (212) 555-0100",
            "001 212 555 0100",
        ] {
            assert_eq!(e164(input), "+12125550100", "{input}");
        }
    }

    #[test]
    fn international_numbers_keep_their_country() {
        let uk = PhoneNumber::parse("+44 20 7946 0958", "US").unwrap();
        assert_eq!(uk.as_str(), "+442079460958");
        assert_eq!(uk.country(), Some("GB"));
        let de = PhoneNumber::parse("030 901820", "DE").unwrap();
        assert_eq!(de.as_str(), "+4930901820");
        assert_eq!(
            PhoneNumber::parse("2125550100", "US").unwrap().country(),
            Some("US")
        );
    }

    #[test]
    fn bad_input_is_refused_with_a_reason() {
        assert_eq!(PhoneNumber::parse("", "US"), Err(PhoneError::Empty));
        assert_eq!(PhoneNumber::parse("   ", "US"), Err(PhoneError::Empty));
        assert_eq!(
            PhoneNumber::parse("1-800-FLOWERS", "US"),
            Err(PhoneError::BadCharacters)
        );
        assert_eq!(
            PhoneNumber::parse("+1 212 555 0100; DROP", "US"),
            Err(PhoneError::BadCharacters)
        );
        assert_eq!(PhoneNumber::parse("12", "US"), Err(PhoneError::Unparseable));
        assert_eq!(
            PhoneNumber::parse("+1 212 555", "US"),
            Err(PhoneError::Invalid)
        );
        assert!(PhoneNumber::parse("+999 1234 5678", "US").is_err());
        assert!(PhoneNumber::parse("++12125550100", "US").is_err());
    }

    #[test]
    fn serde_round_trips_e164() {
        let n = PhoneNumber::parse("(212) 555-0100", "US").unwrap();
        let json = serde_json::to_string(&n).unwrap();
        assert_eq!(json, "\"+12125550100\"");
        let back: PhoneNumber = serde_json::from_str(&json).unwrap();
        assert_eq!(back, n);
        assert!(serde_json::from_str::<PhoneNumber>("\"2125550100\"").is_err());
    }
}
