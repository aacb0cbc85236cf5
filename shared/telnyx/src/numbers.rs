//! Phone numbers over Telnyx's REST API (`/v2/phone_numbers`, `/v2/available_phone_numbers`,
//! `/v2/number_orders`), and the short-lived cache the dial path asks "do we own this number?".

use crate::client::TelnyxHttp;
use async_trait::async_trait;
use domain::PhoneNumber;
use ports::{
    AvailableNumber, NumberInventory, NumberOrder, NumberSearch, OwnedNumber, OwnedNumbers,
    TelnyxError,
};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Telnyx's largest page; accounts with more numbers than `MAX_PAGES` pages are not a
/// softphone's audience.
const PAGE_SIZE: u32 = 250;
const MAX_PAGES: u32 = 20;

fn unexpected(what: &str) -> TelnyxError {
    TelnyxError::Unavailable(format!("unexpected Telnyx answer: {what}"))
}

fn string(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

#[async_trait]
impl NumberInventory for TelnyxHttp {
    async fn owned_numbers(&self) -> Result<Vec<OwnedNumber>, TelnyxError> {
        let mut out = Vec::new();
        for page in 1..=MAX_PAGES {
            let mut url = self.url(&["phone_numbers"]);
            url.query_pairs_mut()
                .append_pair("page[number]", &page.to_string())
                .append_pair("page[size]", &PAGE_SIZE.to_string());
            let answer = self.get(url).await?;
            let items = answer["data"]
                .as_array()
                .ok_or_else(|| unexpected("data"))?;
            for n in items {
                out.push(OwnedNumber {
                    phone_number: string(n, "phone_number").ok_or_else(|| unexpected("number"))?,
                    status: string(n, "status"),
                    connection_id: string(n, "connection_id"),
                    country: string(n, "country_iso_alpha2"),
                });
            }
            let pages = answer["meta"]["total_pages"].as_u64().unwrap_or(1);
            if u64::from(page) >= pages || items.is_empty() {
                break;
            }
        }
        Ok(out)
    }

    async fn available_numbers(
        &self,
        search: &NumberSearch,
    ) -> Result<Vec<AvailableNumber>, TelnyxError> {
        let mut url = self.url(&["available_phone_numbers"]);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("filter[country_code]", &search.country);
            if let Some(a) = &search.area_code {
                q.append_pair("filter[national_destination_code]", a);
            }
            if let Some(c) = &search.contains {
                q.append_pair("filter[phone_number][contains]", c);
            }
            q.append_pair("filter[limit]", &search.limit.to_string());
        }
        let answer = self.get(url).await?;
        let items = answer["data"]
            .as_array()
            .ok_or_else(|| unexpected("data"))?;
        Ok(items
            .iter()
            .filter_map(|n| {
                let region = |kind: &str| {
                    n["region_information"].as_array()?.iter().find_map(|r| {
                        (r["region_type"] == kind).then(|| string(r, "region_name"))?
                    })
                };
                let cost = &n["cost_information"];
                Some(AvailableNumber {
                    phone_number: string(n, "phone_number")?,
                    locality: region("location"),
                    region: region("state"),
                    country: region("country_code"),
                    monthly_cost: string(cost, "monthly_cost"),
                    upfront_cost: string(cost, "upfront_cost"),
                    currency: string(cost, "currency"),
                    features: n["features"]
                        .as_array()
                        .map(|f| f.iter().filter_map(|x| string(x, "name")).collect())
                        .unwrap_or_default(),
                })
            })
            .collect())
    }

    async fn order_numbers(&self, numbers: &[PhoneNumber]) -> Result<NumberOrder, TelnyxError> {
        let mut body = json!({
            "phone_numbers": numbers.iter().map(|n| json!({"phone_number": n.as_str()})).collect::<Vec<_>>(),
        });
        // New numbers are put on the dialer's Call Control application straight away.
        if !self.connection_id().is_empty() {
            body["connection_id"] = json!(self.connection_id());
        }
        let answer = self.post(self.url(&["number_orders"]), &body).await?;
        let d = &answer["data"];
        Ok(NumberOrder {
            id: string(d, "id").ok_or_else(|| unexpected("order id"))?,
            status: string(d, "status").unwrap_or_else(|| "pending".into()),
            phone_numbers: d["phone_numbers"]
                .as_array()
                .map(|a| a.iter().filter_map(|x| string(x, "phone_number")).collect())
                .unwrap_or_default(),
        })
    }
}

/// Owned numbers cached for a short while: the list changes only when someone buys or releases
/// a number, and the dial path should not add a Telnyx round trip to every call.
pub struct CachedInventory {
    inner: Arc<dyn NumberInventory>,
    ttl: Duration,
    owned: Mutex<Option<(Instant, Vec<OwnedNumber>)>>,
}

/// How long a process trusts its list of the account's numbers. A purchase through this process
/// clears it at once; one made elsewhere (the portal, another function) shows within this time.
pub const OWNED_NUMBERS_TTL: Duration = Duration::from_secs(60);

impl CachedInventory {
    pub fn new(inner: Arc<dyn NumberInventory>, ttl: Duration) -> Self {
        Self {
            inner,
            ttl,
            owned: Mutex::new(None),
        }
    }

    fn cached(&self) -> Option<Vec<OwnedNumber>> {
        let guard = self.owned.lock().ok()?;
        let (at, list) = guard.as_ref()?;
        (at.elapsed() < self.ttl).then(|| list.clone())
    }

    async fn refresh(&self) -> Result<Vec<OwnedNumber>, TelnyxError> {
        let list = self.inner.owned_numbers().await?;
        if let Ok(mut guard) = self.owned.lock() {
            *guard = Some((Instant::now(), list.clone()));
        }
        Ok(list)
    }

    pub fn invalidate(&self) {
        if let Ok(mut guard) = self.owned.lock() {
            *guard = None;
        }
    }
}

#[async_trait]
impl NumberInventory for CachedInventory {
    async fn owned_numbers(&self) -> Result<Vec<OwnedNumber>, TelnyxError> {
        match self.cached() {
            Some(list) => Ok(list),
            None => self.refresh().await,
        }
    }

    async fn available_numbers(
        &self,
        search: &NumberSearch,
    ) -> Result<Vec<AvailableNumber>, TelnyxError> {
        self.inner.available_numbers(search).await
    }

    async fn order_numbers(&self, numbers: &[PhoneNumber]) -> Result<NumberOrder, TelnyxError> {
        let order = self.inner.order_numbers(numbers).await;
        self.invalidate();
        order
    }
}

#[async_trait]
impl OwnedNumbers for CachedInventory {
    /// A miss re-reads the list before refusing: the number may have been bought a moment ago
    /// through another function instance whose cache this one does not share.
    async fn owns(&self, number: &PhoneNumber) -> Result<bool, TelnyxError> {
        let has = |list: &[OwnedNumber]| list.iter().any(|n| n.phone_number == number.as_str());
        if let Some(list) = self.cached()
            && has(&list)
        {
            return Ok(true);
        }
        Ok(has(&self.refresh().await?))
    }

    async fn countries(&self) -> Result<std::collections::BTreeSet<String>, TelnyxError> {
        Ok(self
            .owned_numbers()
            .await?
            .iter()
            .filter_map(|n| PhoneNumber::from_e164(&n.phone_number).ok())
            .filter_map(|n| n.country().map(str::to_string))
            .collect())
    }
}
