//! MongoDB side of the data ports: contacts, history queries and statistics, settings.
//!
//! # Schema
//!
//! `calls.facts` (written with every call by `mongo::encode_call`):
//! `{class, outcome, from, to, contact_id, digits, day, talk_secs, ring_secs, rang}` — the
//! history class (`active|completed|missed|failed`), E.164 numbers, both numbers' digits for
//! fragment search, the UTC day of `started_at` (`YYYY-MM-DD`, the `group=day` key), talk and
//! ring seconds (0 when none) and `rang` (1 when `ring_secs` counts). Plain numbers rather than
//! nulls keep the `$group` sums to `$sum` of a field, which every server version and the local
//! stand-in support.
//!
//! `contacts`: `{_id: id, phone (unique), name_key (lower-cased name), digits, favorite,
//! contact: <serde form of domain::Contact>}`.
//!
//! `settings`: `{_id: "team", settings: <serde form of domain::settings::Settings>}`.
//!
//! Searches escape the user's text before it becomes a regular expression, so `.*` finds only
//! itself.

use crate::store::{CALLS, MongoStore, classify, collect, decode_call, from_micros, micros};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::settings::Settings;
use domain::{Call, CallId, Contact, ContactDraft, PhoneNumber, Tally};
use mongodb::bson::{Bson, Document, doc};
use mongodb::error::{ErrorKind, WriteFailure};
use mongodb::options::IndexOptions;
use mongodb::{Collection, IndexModel};
use ports::{
    CallFilter, CallHistory, ContactActivity, ContactLink, ContactQuery, ContactStore,
    ImportCounts, SettingsStore, StatsGroup, StoreError,
};
use std::collections::HashMap;

const CONTACTS: &str = "contacts";
const SETTINGS: &str = "settings";
const DUPLICATE_KEY: i32 = 11000;
/// Contacts whose names match a history search, at most (their numbers join the query).
const NAME_MATCHES: i64 = 500;

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// A regular expression matching `text` literally.
fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if "\\^$.|?*+()[]{}/-".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn is_duplicate(e: &mongodb::error::Error) -> bool {
    matches!(&*e.kind, ErrorKind::Write(WriteFailure::WriteError(w)) if w.code == DUPLICATE_KEY)
}

fn encode_contact(c: &Contact) -> Result<Document, StoreError> {
    Ok(doc! {
        "_id": &c.id,
        "phone": c.phone.as_str(),
        "name_key": c.name.to_lowercase(),
        "digits": c.phone.digits(),
        "favorite": c.favorite,
        "contact": mongodb::bson::to_document(c).map_err(corrupt)?,
    })
}

fn decode_contact(d: &Document) -> Result<Contact, StoreError> {
    let body = d.get_document("contact").map_err(corrupt)?;
    mongodb::bson::from_document(body.clone()).map_err(corrupt)
}

impl MongoStore {
    async fn contacts(&self) -> Result<Collection<Document>, StoreError> {
        self.collection(CONTACTS).await
    }

    async fn settings_collection(&self) -> Result<Collection<Document>, StoreError> {
        self.collection(SETTINGS).await
    }

    /// Indexes for the data features; part of `ensure_indexes`.
    pub async fn ensure_data_indexes(&self) -> Result<(), StoreError> {
        let unique = IndexOptions::builder().unique(true).build();
        self.db
            .collection::<Document>(CONTACTS)
            .create_index(
                IndexModel::builder()
                    .keys(doc! { "phone": 1 })
                    .options(unique)
                    .build(),
            )
            .await
            .map_err(classify)?;
        for keys in [
            doc! { "name_key": 1 },
            doc! { "favorite": 1, "name_key": 1 },
        ] {
            self.db
                .collection::<Document>(CONTACTS)
                .create_index(IndexModel::builder().keys(keys).build())
                .await
                .map_err(classify)?;
        }
        for keys in [
            doc! { "facts.class": 1, "started_at_us": -1 },
            doc! { "facts.to": 1, "started_at_us": -1 },
            doc! { "facts.from": 1, "started_at_us": -1 },
            doc! { "facts.contact_id": 1, "started_at_us": -1 },
            doc! { "facts.placed_by": 1, "started_at_us": -1 },
        ] {
            self.db
                .collection::<Document>(CALLS)
                .create_index(IndexModel::builder().keys(keys).build())
                .await
                .map_err(classify)?;
        }
        Ok(())
    }

    async fn one_contact(&self, filter: Document) -> Result<Option<Contact>, StoreError> {
        let found = self
            .contacts()
            .await?
            .find_one(filter)
            .await
            .map_err(classify)?;
        found.as_ref().map(decode_contact).transpose()
    }

    async fn holder_of(&self, phone: &str) -> String {
        let Ok(contacts) = self.contacts().await else {
            return String::new();
        };
        contacts
            .find_one(doc! { "phone": phone })
            .await
            .ok()
            .flatten()
            .and_then(|d| d.get_str("_id").ok().map(str::to_string))
            .unwrap_or_default()
    }

    async fn write_error(&self, e: mongodb::error::Error, phone: &str) -> StoreError {
        if is_duplicate(&e) {
            StoreError::Duplicate(self.holder_of(phone).await)
        } else {
            classify(e)
        }
    }

    /// The history filter as a query on `calls`.
    async fn call_query(&self, filter: &CallFilter) -> Result<Document, StoreError> {
        let mut and: Vec<Document> = Vec::new();
        if let Some(st) = filter.status {
            and.push(doc! { "facts.class": st.as_str() });
        }
        let mut started = Document::new();
        if let Some(t) = filter.since {
            started.insert("$gte", micros(t));
        }
        if let Some(t) = filter.until {
            started.insert("$lt", micros(t));
        }
        if !started.is_empty() {
            and.push(doc! { "started_at_us": started });
        }
        if let Some(n) = &filter.from_number {
            and.push(doc! { "facts.from": n.as_str() });
        }
        if let Some(user) = &filter.placed_by {
            and.push(doc! { "facts.placed_by": user });
        }
        if let Some(c) = &filter.contact {
            let mut or = vec![doc! { "facts.contact_id": &c.id }];
            if let Some(p) = &c.phone {
                or.push(doc! { "facts.to": p.as_str() });
            }
            and.push(doc! { "$or": or });
        }
        if let Some(s) = &filter.search {
            let named = collect(
                self.contacts()
                    .await?
                    .find(doc! { "name_key": { "$regex": literal(&s.text) } })
                    .limit(NAME_MATCHES)
                    .await
                    .map_err(classify)?,
            )
            .await?;
            let phones: Vec<Bson> = named
                .iter()
                .filter_map(|d| d.get_str("phone").ok().map(|p| Bson::from(p.to_string())))
                .collect();
            let ids: Vec<Bson> = named
                .iter()
                .filter_map(|d| d.get_str("_id").ok().map(|p| Bson::from(p.to_string())))
                .collect();
            // Also the call's own notes and tags, whatever their case.
            let own = || doc! { "$regex": literal(&s.text), "$options": "i" };
            let mut or = vec![
                doc! { "facts.to": { "$in": phones } },
                doc! { "facts.contact_id": { "$in": ids } },
                doc! { "call.notes": own() },
                doc! { "call.tags": own() },
            ];
            if let Some(d) = &s.digits {
                or.push(doc! { "facts.digits": { "$regex": literal(d) } });
            }
            and.push(doc! { "$or": or });
        }
        Ok(if and.is_empty() {
            doc! {}
        } else {
            doc! { "$and": and }
        })
    }

    async fn tallies(
        &self,
        filter: &CallFilter,
        key: Bson,
    ) -> Result<Vec<(String, Tally)>, StoreError> {
        let count_if = |field: &str, value: &str| {
            doc! { "$sum": { "$cond": [ { "$eq": [ format!("$facts.{field}"), value ] }, 1, 0 ] } }
        };
        let pipeline = vec![
            doc! { "$match": self.call_query(filter).await? },
            doc! { "$group": {
                "_id": key,
                "total": { "$sum": 1 },
                "active": count_if("class", "active"),
                "completed": count_if("outcome", "completed"),
                "no_answer": count_if("outcome", "no_answer"),
                "busy": count_if("outcome", "busy"),
                "rejected": count_if("outcome", "rejected"),
                "canceled": count_if("outcome", "canceled"),
                "failed": count_if("outcome", "failed"),
                "agent_no_answer": count_if("outcome", "agent_no_answer"),
                "agent_failed": count_if("outcome", "agent_failed"),
                "talk": { "$sum": "$facts.talk_secs" },
                "ring": { "$sum": "$facts.ring_secs" },
                "rang": { "$sum": "$facts.rang" },
            } },
            doc! { "$sort": { "_id": 1 } },
        ];
        let rows = collect(
            self.calls()
                .await?
                .aggregate(pipeline)
                .await
                .map_err(classify)?,
        )
        .await?;
        rows.iter()
            .map(|d| {
                let n = |k: &str| -> Result<i64, StoreError> {
                    match d.get(k) {
                        Some(Bson::Int32(v)) => Ok(i64::from(*v)),
                        Some(Bson::Int64(v)) => Ok(*v),
                        Some(Bson::Double(v)) => Ok(*v as i64),
                        other => Err(corrupt(format!("{k}: {other:?}"))),
                    }
                };
                let u = |k: &str| n(k).map(|v| v.max(0) as u64);
                let key = match d.get("_id") {
                    Some(Bson::String(s)) => s.clone(),
                    _ => String::new(),
                };
                Ok((
                    key,
                    Tally {
                        total: u("total")?,
                        active: u("active")?,
                        completed: u("completed")?,
                        no_answer: u("no_answer")?,
                        busy: u("busy")?,
                        rejected: u("rejected")?,
                        canceled: u("canceled")?,
                        failed: u("failed")?,
                        agent_no_answer: u("agent_no_answer")?,
                        agent_failed: u("agent_failed")?,
                        talk_secs_sum: n("talk")?,
                        ring_secs_sum: n("ring")?,
                        ring_count: u("rang")?,
                    },
                ))
            })
            .collect()
    }
}

#[async_trait]
impl CallHistory for MongoStore {
    async fn search_calls(
        &self,
        filter: &CallFilter,
        limit: usize,
        before: Option<(DateTime<Utc>, CallId)>,
    ) -> Result<Vec<Call>, StoreError> {
        let mut query = self.call_query(filter).await?;
        if let Some((t, id)) = before {
            let t = micros(t);
            let cursor = doc! { "$or": [
                { "started_at_us": { "$lt": t } },
                { "started_at_us": t, "id": { "$lt": id.to_string() } },
            ] };
            query = if query.is_empty() {
                cursor
            } else {
                doc! { "$and": [query, cursor] }
            };
        }
        let found = self
            .calls()
            .await?
            .find(query)
            .sort(doc! { "started_at_us": -1, "id": -1 })
            .limit(limit.clamp(1, 1000) as i64)
            .await
            .map_err(classify)?;
        collect(found).await?.iter().map(decode_call).collect()
    }

    async fn tally(&self, filter: &CallFilter) -> Result<Tally, StoreError> {
        Ok(self
            .tallies(filter, Bson::Null)
            .await?
            .into_iter()
            .next()
            .map(|(_, t)| t)
            .unwrap_or_default())
    }

    async fn tally_by(
        &self,
        filter: &CallFilter,
        group: StatsGroup,
    ) -> Result<Vec<(String, Tally)>, StoreError> {
        let key = match group {
            StatsGroup::Day => "$facts.day",
            StatsGroup::FromNumber => "$facts.from",
        };
        self.tallies(filter, Bson::from(key)).await
    }

    async fn contact_activity(
        &self,
        contacts: &[ContactLink],
    ) -> Result<HashMap<String, ContactActivity>, StoreError> {
        let mut out = HashMap::new();
        for link in contacts {
            let mut or = vec![doc! { "facts.contact_id": &link.id }];
            if let Some(p) = &link.phone {
                or.push(doc! { "facts.to": p.as_str() });
            }
            let filter = doc! { "$or": or };
            let count = self
                .calls()
                .await?
                .count_documents(filter.clone())
                .await
                .map_err(classify)?;
            let latest = self
                .calls()
                .await?
                .find_one(filter)
                .sort(doc! { "started_at_us": -1 })
                .await
                .map_err(classify)?;
            let last = match latest {
                Some(d) => Some(from_micros(d.get_i64("started_at_us").map_err(corrupt)?)?),
                None => None,
            };
            out.insert(
                link.id.clone(),
                ContactActivity {
                    call_count: count,
                    last_called_at: last,
                },
            );
        }
        Ok(out)
    }
}

#[async_trait]
impl ContactStore for MongoStore {
    async fn create_contact(&self, contact: &Contact) -> Result<(), StoreError> {
        match self
            .contacts()
            .await?
            .insert_one(encode_contact(contact)?)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => Err(self.write_error(e, contact.phone.as_str()).await),
        }
    }

    async fn contact(&self, id: &str) -> Result<Option<Contact>, StoreError> {
        self.one_contact(doc! { "_id": id }).await
    }

    async fn contact_by_phone(&self, phone: &PhoneNumber) -> Result<Option<Contact>, StoreError> {
        self.one_contact(doc! { "phone": phone.as_str() }).await
    }

    async fn replace_contact(&self, contact: &Contact) -> Result<bool, StoreError> {
        match self
            .contacts()
            .await?
            .replace_one(doc! { "_id": &contact.id }, encode_contact(contact)?)
            .await
        {
            Ok(r) => Ok(r.matched_count == 1),
            Err(e) => Err(self.write_error(e, contact.phone.as_str()).await),
        }
    }

    async fn delete_contact(&self, id: &str) -> Result<bool, StoreError> {
        let r = self
            .contacts()
            .await?
            .delete_one(doc! { "_id": id })
            .await
            .map_err(classify)?;
        Ok(r.deleted_count == 1)
    }

    async fn list_contacts(&self, query: &ContactQuery) -> Result<Vec<Contact>, StoreError> {
        let mut and: Vec<Document> = Vec::new();
        if let Some(s) = &query.search {
            let mut or = vec![
                doc! { "name_key": { "$regex": literal(&s.text) } },
                // The company is not lower-cased in the document.
                doc! { "contact.company": { "$regex": literal(&s.text), "$options": "i" } },
            ];
            if let Some(d) = &s.digits {
                or.push(doc! { "digits": { "$regex": literal(d) } });
            }
            and.push(doc! { "$or": or });
        }
        if let Some(f) = query.favorite {
            and.push(doc! { "favorite": f });
        }
        if let Some(tag) = &query.tag {
            and.push(doc! { "contact.tags": tag });
        }
        if let Some((name, id)) = &query.after {
            and.push(doc! { "$or": [
                { "name_key": { "$gt": name } },
                { "name_key": name, "_id": { "$gt": id } },
            ] });
        }
        let filter = if and.is_empty() {
            doc! {}
        } else {
            doc! { "$and": and }
        };
        let found = self
            .contacts()
            .await?
            .find(filter)
            .sort(doc! { "name_key": 1, "_id": 1 })
            .limit(query.limit.clamp(1, 1000) as i64)
            .await
            .map_err(classify)?;
        collect(found).await?.iter().map(decode_contact).collect()
    }

    /// In one multi-document transaction (Atlas runs replica sets, which have them), so a
    /// failure half-way leaves the contacts as they were.
    async fn import_contacts(
        &self,
        rows: &[ContactDraft],
        now: DateTime<Utc>,
    ) -> Result<ImportCounts, StoreError> {
        let mut session = self
            .contacts()
            .await?
            .client()
            .start_session()
            .await
            .map_err(classify)?;
        session.start_transaction().await.map_err(classify)?;
        let mut counts = ImportCounts::default();
        let outcome: Result<(), StoreError> = async {
            for row in rows {
                let existing = self
                    .contacts()
                    .await?
                    .find_one(doc! { "phone": row.phone.as_str() })
                    .session(&mut session)
                    .await
                    .map_err(classify)?;
                match existing.as_ref().map(decode_contact).transpose()? {
                    Some(mut c) => {
                        if c.merge_import(row, now) {
                            self.contacts()
                                .await?
                                .replace_one(doc! { "_id": &c.id }, encode_contact(&c)?)
                                .session(&mut session)
                                .await
                                .map_err(classify)?;
                            counts.updated += 1;
                        } else {
                            counts.unchanged += 1;
                        }
                    }
                    None => {
                        let c = Contact::new(CallId::new_at(now).to_string(), row.clone(), now);
                        self.contacts()
                            .await?
                            .insert_one(encode_contact(&c)?)
                            .session(&mut session)
                            .await
                            .map_err(classify)?;
                        counts.created += 1;
                    }
                }
            }
            Ok(())
        }
        .await;
        match outcome {
            Ok(()) => {
                session.commit_transaction().await.map_err(classify)?;
                Ok(counts)
            }
            Err(e) => {
                let _ = session.abort_transaction().await;
                Err(e)
            }
        }
    }
}

#[async_trait]
impl SettingsStore for MongoStore {
    async fn load_settings(&self) -> Result<Settings, StoreError> {
        let found = self
            .settings_collection()
            .await?
            .find_one(doc! { "_id": "team" })
            .await
            .map_err(classify)?;
        match found {
            None => Ok(Settings::default()),
            Some(d) => {
                let body = d.get_document("settings").map_err(corrupt)?;
                mongodb::bson::from_document(body.clone()).map_err(corrupt)
            }
        }
    }

    async fn save_settings(&self, settings: &Settings) -> Result<(), StoreError> {
        let body = mongodb::bson::to_document(settings).map_err(corrupt)?;
        self.settings_collection()
            .await?
            .replace_one(
                doc! { "_id": "team" },
                doc! { "_id": "team", "settings": body },
            )
            .upsert(true)
            .await
            .map_err(classify)?;
        Ok(())
    }
}
