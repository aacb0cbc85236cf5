//! The contacts import use case without HTTP, built from the same wiring as the Lambda and the
//! local stack, against a real store.

use contacts::ContactsState;
use domain::PhoneNumber;
use ports::ContactStore;
use testkit::{emulator, memory_store};

const CSV: &str = "name,phone,company\n\
Ada Lovelace,+1 212 555 0100,Analytical\n\
No Number,,Nowhere\n\
Grace Hopper,(312) 555-0201,Navy\n";

async fn state(store: &store_sqlite::SqliteStore) -> ContactsState {
    let emulator = emulator(None).await;
    ContactsState::build(&testkit::wiring(&emulator, store))
        .await
        .expect("contacts build")
}

async fn stored(store: &store_sqlite::SqliteStore, number: &str) -> bool {
    let number = PhoneNumber::parse(number, "US").unwrap();
    store.contact_by_phone(&number).await.unwrap().is_some()
}

#[tokio::test]
async fn all_or_nothing_writes_nothing_when_a_row_is_bad() {
    let store = memory_store();
    let report = state(&store)
        .await
        .import_contacts(CSV, true)
        .await
        .unwrap();
    assert!(!report.committed);
    assert_eq!((report.rows, report.created, report.skipped), (3, 0, 1));
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].row, 3, "the header is line 1");
    assert!(!stored(&store, "+12125550100").await);
}

#[tokio::test]
async fn good_rows_are_written_and_a_second_import_changes_nothing() {
    let store = memory_store();
    let state = state(&store).await;
    let first = state.import_contacts(CSV, false).await.unwrap();
    assert!(first.committed);
    assert_eq!((first.created, first.updated, first.skipped), (2, 0, 1));
    assert!(stored(&store, "+12125550100").await);
    assert!(stored(&store, "+13125550201").await);
    let again = state.import_contacts(CSV, false).await.unwrap();
    assert_eq!((again.created, again.updated, again.skipped), (0, 0, 3));
}
