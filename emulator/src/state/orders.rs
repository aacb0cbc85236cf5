//! Number orders that complete later, as Telnyx's do: the order and its numbers turn
//! `success`/`active` and `number_order.complete` is sent to the application's webhook URL.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use super::Core;
use crate::config::ChaosConfig;
use crate::events::{Event, Target};
use crate::time::rfc3339;

impl Core {
    /// Completes order `id` after `after` (scaled).
    pub fn complete_order_later(self: &Arc<Self>, id: &str, after: Duration) {
        let id = id.to_string();
        self.later(after, move |core| core.complete_order(&id));
    }

    fn complete_order(&self, id: &str) {
        let mut st = self.lock();
        let Some(order) = st.numbers.orders.get_mut(id) else {
            return;
        };
        if order["status"] != "pending" {
            return;
        }
        order["status"] = json!("success");
        order["updated_at"] = json!(rfc3339(Utc::now()));
        let mut bought = Vec::new();
        if let Some(items) = order["phone_numbers"].as_array_mut() {
            for item in items {
                item["status"] = json!("success");
                bought.extend(item["phone_number"].as_str().map(str::to_string));
            }
        }
        let payload = order.clone();
        for n in st.numbers.owned.iter_mut() {
            if bought.contains(&n.phone_number) {
                n.status = "active";
            }
        }
        let seq = st.call_seq;
        let chaos = st.chaos.clone();
        drop(st);
        self.send_detached(Event::new("number_order.complete", payload), chaos, seq);
    }

    /// Sends one event outside any call, to the application's webhook URL.
    fn send_detached(&self, ev: Event, chaos: Option<ChaosConfig>, seq: u64) {
        let tx = self.events.open(Target::default(), chaos, seq);
        let _ = tx.send(ev);
    }
}
