use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};

use crate::time::rfc3339;

#[derive(Clone, Debug)]
pub struct OwnedNumber {
    pub id: String,
    pub phone_number: String,
    pub connection_id: Option<String>,
    pub purchased_at: String,
    /// `active`, or `purchase-pending` while its order is pending.
    pub status: &'static str,
    /// ISO 3166 alpha-2.
    pub country: String,
}

/// ISO 3166 alpha-2 country of an E.164 number: libphonenumber's answer, else the main
/// country of its calling code (the fictional 555 numbers match no region's patterns).
/// `None` for SIP URIs and what is not a phone number.
pub fn country_of(number: &str) -> Option<String> {
    let parsed = phonenumber::parse(None, number).ok()?;
    let id = parsed.country().id().or_else(|| {
        phonenumber::metadata::DATABASE
            .by_code(&parsed.code().value())
            .and_then(|regions| {
                let main = regions.iter().find(|m| m.is_main_country_for_code());
                main.or(regions.first()).and_then(|m| m.id().parse().ok())
            })
    })?;
    Some(id.as_ref().to_string())
}

#[derive(Clone, Debug)]
pub struct Available {
    pub phone_number: String,
    pub country: &'static str,
    pub ndc: String,
    pub region: &'static str,
    pub locality: &'static str,
}

#[derive(Default)]
pub struct Numbers {
    pub owned: Vec<OwnedNumber>,
    pub available: Vec<Available>,
    pub orders: HashMap<String, Value>,
    /// `Some`: new orders stay pending this long (scaled) before they complete.
    pub order_delay: Option<Duration>,
    next_id: u64,
}

/// Area codes offered by the number search: (country, NPA, state/province, city).
const POOL: &[(&str, &str, &str, &str)] = &[
    ("US", "212", "NY", "New York"),
    ("US", "312", "IL", "Chicago"),
    ("US", "415", "CA", "San Francisco"),
    ("US", "512", "TX", "Austin"),
    ("US", "617", "MA", "Boston"),
    ("US", "646", "NY", "New York"),
    ("CA", "416", "ON", "Toronto"),
    ("CA", "604", "BC", "Vancouver"),
];

/// Owned at start so the demo has caller IDs: +1 NPA 555-02xx.
pub const SEEDED_OWNED: &[&str] = &[
    "+13125550201",
    "+13125550202",
    "+14155550203",
    "+12125550204",
];

impl Numbers {
    pub fn seeded(connection_id: &str, order_delay: Option<Duration>) -> Numbers {
        let mut n = Numbers {
            next_id: 1_000_000_000_000_000_000,
            order_delay,
            ..Numbers::default()
        };
        for p in SEEDED_OWNED {
            let country = country_of(p).unwrap_or_else(|| "US".into());
            n.add_owned(p, Some(connection_id.to_string()), country, "active");
        }
        for (country, ndc, region, locality) in POOL {
            for i in 0..10 {
                n.available.push(Available {
                    phone_number: format!("+1{ndc}55503{i:02}"),
                    country,
                    ndc: ndc.to_string(),
                    region,
                    locality,
                });
            }
        }
        n
    }

    pub fn next_id(&mut self) -> String {
        self.next_id += 1;
        self.next_id.to_string()
    }

    pub fn add_owned(
        &mut self,
        phone: &str,
        connection_id: Option<String>,
        country: String,
        status: &'static str,
    ) -> OwnedNumber {
        let n = OwnedNumber {
            id: self.next_id(),
            phone_number: phone.to_string(),
            connection_id,
            purchased_at: rfc3339(Utc::now()),
            status,
            country,
        };
        self.owned.push(n.clone());
        n
    }
}

impl OwnedNumber {
    pub fn json(&self) -> Value {
        // The fields of Telnyx's phone number schema, with a new number's defaults.
        json!({
            "id": self.id,
            "record_type": "phone_number",
            "phone_number": self.phone_number,
            "status": self.status,
            "connection_id": self.connection_id,
            "connection_name": self.connection_id.as_ref().map(|_| "emulator"),
            "phone_number_type": "local",
            "country_iso_alpha2": self.country,
            "tags": [],
            "external_pin": null,
            "deletion_lock_enabled": false,
            "customer_reference": null,
            "billing_group_id": null,
            "messaging_profile_id": null,
            "messaging_profile_name": null,
            "emergency_enabled": false,
            "emergency_address_id": null,
            "emergency_status": "disabled",
            "call_forwarding_enabled": false,
            "cnam_listing_enabled": false,
            "caller_id_name_enabled": false,
            "call_recording_enabled": false,
            "hd_voice_enabled": false,
            "inbound_call_screening": "disabled",
            "source_type": "number_order",
            "purchased_at": self.purchased_at,
            "created_at": self.purchased_at,
            "updated_at": self.purchased_at,
        })
    }
}

impl Available {
    pub fn json(&self) -> Value {
        json!({
            "record_type": "available_phone_number",
            "phone_number": self.phone_number,
            "vanity_format": null,
            "best_effort": false,
            "quickship": true,
            "reservable": true,
            "features": [{"name": "voice"}, {"name": "sms"}],
            "cost_information": {"currency": "USD", "monthly_cost": "1.00", "upfront_cost": "1.00"},
            "region_information": [
                {"region_type": "country_code", "region_name": self.country},
                {"region_type": "state", "region_name": self.region},
                {"region_type": "location", "region_name": self.locality},
                {"region_type": "rate_center", "region_name": self.locality.to_uppercase()},
            ],
            "phone_number_type": "local",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_of_tells_nanp_countries_and_others_apart() {
        assert_eq!(country_of("+13125550201").as_deref(), Some("US"));
        assert_eq!(country_of("+14165550300").as_deref(), Some("CA"));
        assert_eq!(country_of("+442079460018").as_deref(), Some("GB"));
        assert_eq!(country_of("+33142685300").as_deref(), Some("FR"));
        assert_eq!(country_of("sip:alice@sip.telnyx.com"), None);
    }
}
