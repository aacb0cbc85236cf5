//! Property tests of the parsers at the edge (issue #8): phone numbers, the dial policy on any
//! parsed number, the CSV reader and writer, and the contact import. Any input gives a value or
//! a clear error, never a panic.
//!
//! The budget is small by default so the suite stays fast in CI; `PROPTEST_CASES=N` raises it.
//! Failures are not persisted to files (the tree stays clean): a failing case is printed with
//! its minimal input instead.

use domain::contact::{ContactInput, MAX_NAME, MAX_TAG, MAX_TAGS, SearchTerms};
use domain::csv::{self, CsvError};
use domain::history::HistoryStatus;
use domain::import::{self, ImportError};
use domain::policy::{self, BLOCKED_PREFIXES, DialPolicy, DialUsage};
use domain::settings::{Settings, SettingsPatch};
use domain::{PhoneError, PhoneNumber};
use proptest::prelude::*;
use std::collections::{BTreeSet, HashSet};

/// `cases` unless `PROPTEST_CASES` says otherwise; no failure files.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Region codes as a client or a config file might give them: real ones, wrong case, junk.
fn region() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "US", "GB", "DE", "FR", "IT", "ES", "AU", "JP", "BR", "IN", "CA", "NL", "CH", "SE",
            "NO", "MX", "ZA", "NG", "AE", "CN", "RU", "001", "ZZ", "", "us", "XK",
        ])
        .prop_map(str::to_string),
        "[A-Za-z]{0,3}",
        any::<String>(),
    ]
}

/// Country calling codes, including shared (+1, +7), non-geographic (+800, +870, +979) and
/// unassigned ones.
const CALLING_CODES: &[&str] = &[
    "1", "7", "20", "27", "30", "31", "33", "34", "39", "41", "44", "46", "47", "49", "52", "55",
    "61", "81", "86", "91", "234", "353", "370", "420", "800", "808", "870", "878", "881", "882",
    "883", "888", "971", "979", "999", "0", "",
];

/// Strings that look like numbers a person types: many are valid somewhere.
fn phone_like() -> impl Strategy<Value = String> {
    let international = (
        prop::sample::select(vec!["+", "00", "+ ", "", "++", "0"]),
        prop::sample::select(CALLING_CODES.to_vec()),
        "[0-9]{3,12}",
    )
        .prop_map(|(prefix, cc, rest)| format!("{prefix}{cc}{rest}"));
    let punctuated = prop::collection::vec(
        prop_oneof![
            4 => "[0-9]{1,4}",
            1 => prop::sample::select(vec![" ", "-", ".", "(", ")", "/", "\u{a0}", "+", "x", "#"])
                .prop_map(str::to_string),
        ],
        1..10,
    )
    .prop_map(|parts| parts.concat());
    prop_oneof![
        3 => international,
        3 => real_number().prop_map(|(n, _)| n),
        2 => "[0-9]{3,18}",
        2 => punctuated,
        1 => "\\PC{0,24}",
        1 => any::<String>(),
    ]
}

/// Real numbering ranges (country code, leading digits, how many digits follow): geographic,
/// mobile, toll-free, premium-rate and non-geographic, in many countries.
const RANGES: &[(&str, &str, usize)] = &[
    ("1", "212555", 4),
    ("1", "312555", 4),
    ("1", "416555", 4),
    ("1", "800555", 4),
    ("1", "900555", 4),
    ("1", "212976", 4),
    ("44", "207946", 4),
    ("44", "161496", 4),
    ("44", "7911", 6),
    ("44", "9", 9),
    ("44", "870", 7),
    ("33", "1", 8),
    ("33", "6", 8),
    ("33", "89", 7),
    ("49", "30", 8),
    ("49", "151", 8),
    ("49", "181", 9),
    ("49", "900", 7),
    ("55", "112", 7),
    ("55", "119", 8),
    ("86", "158", 8),
    ("91", "98", 8),
    ("81", "3", 8),
    ("81", "90", 8),
    ("61", "2", 8),
    ("61", "4", 8),
    ("61", "190", 7),
    ("46", "8", 7),
    ("82", "2", 8),
    ("27", "11", 7),
    ("31", "20", 7),
    ("39", "06", 8),
    ("39", "3", 9),
    ("34", "91", 7),
    ("34", "6", 8),
    ("7", "495", 7),
    ("7", "9", 9),
    ("52", "55", 8),
    ("353", "1", 7),
    ("971", "50", 7),
    ("800", "", 8),
    ("870", "", 9),
    ("882", "16", 7),
    ("979", "1", 8),
];

/// The same ranges written nationally: (region, how a person there starts it, digits after).
const NATIONAL: &[(&str, &str, usize)] = &[
    ("US", "212555", 4),
    ("US", "1 212 555", 4),
    ("CA", "416555", 4),
    ("GB", "0161 496", 4),
    ("GB", "020 7946", 4),
    ("GB", "07911", 6),
    ("FR", "01", 8),
    ("FR", "06", 8),
    ("DE", "030", 8),
    ("DE", "0151", 8),
    ("BR", "11 2", 7),
    ("BR", "011 9", 8),
    ("AU", "02", 8),
    ("JP", "03", 8),
    ("IN", "098", 8),
    ("IT", "06", 8),
    ("ES", "91", 7),
    ("CN", "158", 8),
];

fn digits(n: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(0u8..10, n)
        .prop_map(|d| d.into_iter().map(|d| char::from(b'0' + d)).collect())
}

/// Puts the punctuation people type between some of the characters.
fn punctuate(text: String, seps: Vec<(prop::sample::Index, &'static str)>) -> String {
    let mut chars: Vec<String> = text.chars().map(String::from).collect();
    for (at, sep) in seps {
        let i = at.index(chars.len() + 1);
        chars.insert(i.min(chars.len()), sep.to_string());
    }
    chars.concat()
}

fn separators() -> impl Strategy<Value = Vec<(prop::sample::Index, &'static str)>> {
    prop::collection::vec(
        (
            any::<prop::sample::Index>(),
            prop::sample::select(vec![" ", "-", ".", "(", ")", "/", "\u{a0}"]),
        ),
        0..4,
    )
}

/// A number from a real range as a person writes it, and the region it is read in.
fn real_number() -> impl Strategy<Value = (String, String)> {
    let international = (
        prop::sample::select(RANGES.to_vec()),
        prop::sample::select(vec!["+", "00", "+ ", "011"]),
        region(),
    )
        .prop_flat_map(|((cc, lead, n), prefix, region)| {
            (digits(n), separators()).prop_map(move |(rest, seps)| {
                let written = punctuate(format!("{cc}{lead}{rest}"), seps);
                (format!("{prefix}{written}"), region.clone())
            })
        });
    let national = prop::sample::select(NATIONAL.to_vec()).prop_flat_map(|(region, lead, n)| {
        (digits(n), separators()).prop_map(move |(rest, seps)| {
            (punctuate(format!("{lead}{rest}"), seps), region.to_string())
        })
    });
    prop_oneof![3 => international, 1 => national]
}

/// Numbers that parse, with the input and region they came from.
fn parsed_number() -> impl Strategy<Value = (String, String, PhoneNumber)> {
    prop_oneof![
        4 => real_number(),
        1 => (phone_like(), region()),
    ]
    .prop_filter_map("not a valid number", |(input, region)| {
        PhoneNumber::parse(&input, &region)
            .ok()
            .map(|n| (input, region, n))
    })
}

fn usage() -> impl Strategy<Value = DialUsage> {
    (0u32..6, 0u32..80, 0u32..500).prop_map(|(a, h, d)| DialUsage {
        active_calls: a,
        calls_last_hour: h,
        calls_last_day: d,
    })
}

fn dial_policy() -> impl Strategy<Value = DialPolicy> {
    (
        prop::collection::btree_set(
            prop::sample::select(vec!["US", "CA", "GB", "DE", "FR", "AU", "IN", "JP", "XX"])
                .prop_map(str::to_string),
            0..5,
        ),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(|(countries, c, h, d)| DialPolicy {
            allowed_countries: countries,
            max_concurrent_calls: c,
            max_calls_per_hour: h,
            max_calls_per_day: d,
        })
}

proptest! {
    #![proptest_config(config(96))]

    /// Any string in any region: a number or one of the four errors, never a panic.
    #[test]
    fn phone_parse_never_panics(input in phone_like(), region in region()) {
        match PhoneNumber::parse(&input, &region) {
            Ok(n) => {
                prop_assert!(n.as_str().starts_with('+'), "{n:?}");
                prop_assert!(n.digits().chars().all(|c| c.is_ascii_digit()), "{n:?}");
                prop_assert!(n.as_str().len() <= 18, "{n:?}");
            }
            Err(PhoneError::Empty) => prop_assert!(input.trim().is_empty()),
            Err(PhoneError::BadCharacters | PhoneError::Unparseable | PhoneError::Invalid) => {}
        }
        // `from_e164` (what stores read back) and `FromStr` take any string too.
        let _ = PhoneNumber::from_e164(&input);
        let _ = input.parse::<PhoneNumber>();
    }
}

proptest! {
    #![proptest_config(config(32))]

    /// A parsed number reads back from its E.164 form to the same value, whatever region it
    /// is read in, and through serde (how every store keeps it).
    #[test]
    fn a_parsed_number_round_trips_through_e164(
        (input, region, n) in parsed_number(),
        other_region in region(),
    ) {
        let back = PhoneNumber::from_e164(n.as_str());
        prop_assert_eq!(back.as_ref(), Ok(&n), "{:?} in {:?}", input, region);
        let elsewhere = PhoneNumber::parse(n.as_str(), &other_region);
        prop_assert_eq!(elsewhere.as_ref(), Ok(&n), "{:?} read in {:?}", n, other_region);
        let json = serde_json::to_string(&n).unwrap();
        let from_json: PhoneNumber = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&from_json, &n);
        // Parsing is idempotent on the normalised form.
        prop_assert_eq!(PhoneNumber::parse(&n.to_string(), &region), Ok(n.clone()));
    }
}

proptest! {
    #![proptest_config(config(24))]

    /// The toll-fraud guard judges any parsed number without panicking, and its refusals agree
    /// with the fixed prefix list and the limits.
    #[test]
    fn the_dial_policy_judges_any_parsed_number(
        (_, _, to) in parsed_number(),
        team in prop::collection::vec(parsed_number(), 0..2),
        policy in dial_policy(),
        usage in usage(),
    ) {
        let _ = to.country();
        let team_policy = DialPolicy::for_team_numbers(team.iter().map(|(_, _, n)| n));
        let destination = policy::check_destination(&policy, &to);
        let limits = policy::check_usage(&policy, usage);
        let both = policy::check(&policy, &to, usage);
        match (&destination, &limits) {
            (Err(e), _) => prop_assert_eq!(both.as_ref(), Err(e)),
            (Ok(()), Err(e)) => prop_assert_eq!(both.as_ref(), Err(e)),
            (Ok(()), Ok(())) => prop_assert_eq!(both.as_ref(), Ok(&())),
        }
        if BLOCKED_PREFIXES.iter().any(|(p, _)| to.as_str().starts_with(p)) {
            prop_assert_eq!(
                destination.as_ref().map_err(|e| e.code()),
                Err("destination_blocked")
            );
        }
        if destination.is_ok() {
            prop_assert!(policy.allowed_countries.contains(to.country().unwrap()));
        }
        for refusal in [&destination, &limits, &both, &policy::check(&team_policy, &to, usage)]
            .into_iter()
            .filter_map(|r| r.as_ref().err())
        {
            prop_assert!(!refusal.code().is_empty());
            let message = refusal.message();
            prop_assert!(!message.is_empty());
            // Refusals never spell out the whole number.
            if !refusal.is_limit() {
                prop_assert!(!message.contains(to.as_str()), "{message}");
            }
        }
    }
}

/// Text made of what trips CSV readers: quotes, separators, every line ending, a BOM, blanks,
/// non-ASCII, and long runs.
fn csv_soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => prop::sample::select(vec![
            "\"", "\"\"", ",", "\r", "\n", "\r\n", "\n\r", "\u{feff}", " ", "\t", ";", "'", "=",
            "@", "\u{0}", "é", "😀", "name", "phone",
        ])
        .prop_map(str::to_string),
        2 => "[a-z0-9 +()-]{0,8}",
        1 => "\\PC{0,4}",
        1 => (0usize..2_000).prop_map(|n| "x".repeat(n)),
    ];
    prop_oneof![
        4 => prop::collection::vec(piece, 0..60).prop_map(|p| p.concat()),
        1 => any::<String>(),
    ]
}

/// Values a contact file may hold in any cell.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => phone_like(),
        2 => "[A-Za-z][A-Za-z .'-]{0,12}",
        1 => "[a-z]{1,6}@[a-z]{1,6}\\.[a-z]{2,3}",
        1 => prop::sample::select(vec![
            "", " ", "yes", "x", "★", "vip;lead|west,east", "\"quoted\"", "a,b", "two\nlines",
            "=HYPERLINK(\"x\")", "\u{feff}",
        ])
        .prop_map(str::to_string),
        1 => (0usize..300).prop_map(|n| "n".repeat(n)),
        1 => "\\PC{0,10}",
    ]
}

fn header_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "Name", "Full Name", "First Name", "last_name", "Phone", "PHONE-NUMBER", "Mobile",
            "tel", "E-mail", "Company", "Notes", "Tags", "Favorite", "Shoe size", "", "\u{feff}Name",
        ])
        .prop_map(str::to_string),
        1 => "\\PC{0,8}",
    ]
}

/// A contact export: a header, rows of cells (some quoted, some not), any line endings.
fn contact_file() -> impl Strategy<Value = String> {
    let quote = |v: String, q: bool| {
        if q {
            format!("\"{}\"", v.replace('"', "\"\""))
        } else {
            v
        }
    };
    (
        any::<bool>(),
        prop::collection::vec((header_cell(), any::<bool>()), 0..7),
        prop::collection::vec(
            prop::collection::vec((cell(), prop::bool::weighted(0.3)), 0..8),
            0..25,
        ),
        prop::sample::select(vec!["\n", "\r\n", "\r"]),
        any::<bool>(),
    )
        .prop_map(move |(bom, header, rows, eol, trailing)| {
            let mut out = String::new();
            if bom {
                out.push('\u{feff}');
            }
            let line = |cells: Vec<(String, bool)>| {
                cells
                    .into_iter()
                    .map(|(v, q)| quote(v, q))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            out.push_str(&line(header));
            for row in rows {
                out.push_str(eol);
                out.push_str(&line(row));
            }
            if trailing {
                out.push_str(eol);
            }
            out
        })
}

/// 1 + the number of line breaks the reader counts (LF, CRLF, lone CR).
fn line_count(text: &str) -> usize {
    1 + text.replace("\r\n", "\n").matches(['\n', '\r']).count()
}

/// A field as `write_record` then `parse` give it back: formulas are guarded with `'`, and a
/// CRLF inside a quoted field reads as LF.
fn as_read_back(field: &str) -> String {
    let guarded = if csv::needs_guard(field) {
        format!("'{field}")
    } else {
        field.to_string()
    };
    guarded.replace("\r\n", "\n")
}

proptest! {
    #![proptest_config(config(256))]

    /// Any text: records, or the line of the quote that never closes.
    #[test]
    fn csv_parse_never_panics(text in csv_soup()) {
        let lines = line_count(&text);
        match csv::parse(&text) {
            Ok(records) => {
                let mut last = 0;
                for r in &records {
                    prop_assert!(r.line > last && r.line <= lines, "{r:?} of {lines} lines");
                    prop_assert!(r.fields.iter().any(|f| !f.trim().is_empty()), "{r:?}");
                    last = r.line;
                }
            }
            Err(CsvError::UnclosedQuote { line }) => {
                prop_assert!(line >= 1 && line <= lines, "line {line} of {lines}");
            }
        }
    }
}

proptest! {
    #![proptest_config(config(96))]

    /// What the writer writes, the reader reads back field for field, on the line it started.
    #[test]
    fn written_records_read_back(
        records in prop::collection::vec(
            prop::collection::vec(
                prop_oneof![3 => "\\PC{0,12}", 1 => csv_soup(), 1 => cell()],
                1..6,
            ),
            0..12,
        ),
    ) {
        let records: Vec<Vec<String>> = records
            .into_iter()
            .filter(|r| r.iter().any(|f| !as_read_back(f).trim().is_empty()))
            .collect();
        let mut out = String::new();
        for r in &records {
            csv::write_record(&mut out, r);
        }
        // A BOM at the very start is the file's, not the first field's (only a header could
        // start with one).
        prop_assume!(!out.starts_with('\u{feff}'));
        let back = csv::parse(&out);
        prop_assert!(back.is_ok(), "{:?} from {:?}", back, out);
        let back = back.unwrap();
        prop_assert_eq!(back.len(), records.len(), "{:?}", out);
        let mut line = 1;
        for (r, b) in records.iter().zip(&back) {
            let expected: Vec<String> = r.iter().map(|f| as_read_back(f)).collect();
            prop_assert_eq!(&b.fields, &expected);
            prop_assert_eq!(b.line, line);
            line += 1 + expected.iter().map(|f| f.matches('\n').count()).sum::<usize>();
        }
    }
}

proptest! {
    #![proptest_config(config(48))]

    /// Any text as a contact file: a plan or a clear refusal. A plan accounts for every row
    /// (a contact, a merge or at least one error pointing at the row), never holds one number
    /// twice, and keeps every field within its limit.
    #[test]
    fn contact_import_plans_any_file(
        text in prop_oneof![3 => contact_file(), 1 => csv_soup()],
        max_rows in 0usize..40,
        region in region(),
    ) {
        let lines = line_count(&text);
        match import::plan(&text, &region, max_rows) {
            Ok(plan) => {
                prop_assert!(plan.rows <= max_rows);
                let bad_rows: HashSet<usize> = plan.errors.iter().map(|e| e.row).collect();
                prop_assert_eq!(
                    plan.contacts.len() + plan.merged_rows + bad_rows.len(),
                    plan.rows,
                    "{:?}",
                    plan
                );
                for e in &plan.errors {
                    prop_assert!(e.row >= 2 && e.row <= lines, "{e:?} of {lines} lines");
                    prop_assert!(!e.field.is_empty() && !e.message.is_empty(), "{e:?}");
                }
                let phones: HashSet<&str> = plan.contacts.iter().map(|c| c.phone.as_str()).collect();
                prop_assert_eq!(phones.len(), plan.contacts.len());
                for c in &plan.contacts {
                    prop_assert!(!c.name.trim().is_empty());
                    prop_assert!(c.name.chars().count() <= MAX_NAME);
                    prop_assert!(c.tags.len() <= MAX_TAGS);
                    prop_assert!(c.tags.iter().all(|t| !t.is_empty() && t.chars().count() <= MAX_TAG));
                    prop_assert_eq!(PhoneNumber::from_e164(c.phone.as_str()), Ok(c.phone.clone()));
                }
            }
            Err(ImportError::TooManyRows { max }) => prop_assert_eq!(max, max_rows),
            Err(ImportError::Csv(CsvError::UnclosedQuote { line })) => {
                prop_assert!(line >= 1 && line <= lines);
            }
            Err(ImportError::Empty | ImportError::NoPhoneColumn | ImportError::NoNameColumn) => {}
        }
    }
}

fn maybe_text() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        2 => cell(),
        1 => any::<String>(),
        1 => (0usize..6_000).prop_map(|n| "a".repeat(n)),
    ])
}

proptest! {
    #![proptest_config(config(48))]

    /// Contact fields as any client sends them: a draft within limits or field issues, each
    /// naming a known field.
    #[test]
    fn contact_input_validates_anything(
        name in maybe_text(),
        phone in prop::option::of(phone_like()),
        email in maybe_text(),
        company in maybe_text(),
        notes in maybe_text(),
        tags in prop::option::of(prop::collection::vec(cell(), 0..30)),
        favorite in any::<Option<bool>>(),
        region in region(),
    ) {
        let input = ContactInput { name, phone, email, company, notes, tags, favorite };
        match input.validate(&region) {
            Ok(draft) => {
                prop_assert!(!draft.name.is_empty() && draft.name.chars().count() <= MAX_NAME);
                prop_assert!(draft.tags.len() <= MAX_TAGS);
                let unique: BTreeSet<&String> = draft.tags.iter().collect();
                prop_assert_eq!(unique.len(), draft.tags.len());
            }
            Err(issues) => {
                prop_assert!(!issues.is_empty());
                for i in issues {
                    prop_assert!(
                        ["name", "phone", "email", "company", "notes", "tags"].contains(&i.field),
                        "{i:?}"
                    );
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(config(96))]

    /// Search boxes, history filters, e-mail addresses and settings patches take any text.
    #[test]
    fn small_parsers_take_any_text(
        q in any::<String>(),
        digits in "[0-9 +().-]{0,20}",
        fields in prop::collection::vec(maybe_text(), 6),
        region in region(),
    ) {
        for text in [&q, &digits] {
            if let Some(terms) = SearchTerms::parse(text) {
                prop_assert!(!terms.text.is_empty());
                if let Some(d) = &terms.digits {
                    prop_assert!(d.len() >= 3 && d.chars().all(|c| c.is_ascii_digit()));
                }
            }
            let _ = HistoryStatus::parse(text);
            if let Ok(email) = domain::user::normalise_email(text) {
                prop_assert_eq!(domain::user::normalise_email(&email), Ok(email.clone()));
            }
            let _ = domain::user::check_password(text);
            let _ = domain::settings::validate_api_key(text);
        }
        let patch = SettingsPatch {
            telnyx_api_key: Some(fields[0].clone()),
            telnyx_public_key: Some(fields[1].clone()),
            telnyx_connection_id: Some(fields[2].clone()),
            default_caller_id: Some(fields[3].clone()),
            hold_music_url: Some(fields[4].clone()),
            agent_phone: Some(fields[5].clone()),
            ..SettingsPatch::default()
        };
        match Settings::default().apply(&patch, &region) {
            Ok(next) => {
                if let Some(n) = &next.default_caller_id {
                    prop_assert_eq!(PhoneNumber::from_e164(n.as_str()), Ok(n.clone()));
                }
            }
            Err(issues) => prop_assert!(!issues.is_empty()),
        }
    }
}

/// Found by `a_parsed_number_round_trips_through_e164`: numbers written with `+` and a country
/// code must not depend on the default region. With region "US" the parser strips a leading
/// `1` after the country code (the US national prefix), so Paris, Manchester, São Paulo and
/// Chinese mobiles were refused as invalid and one German range turned into another number; and
/// `from_e164` (how stores read numbers back) reads with "US", so such a number stored from a
/// national form under another default country could not be read back.
#[test]
fn international_numbers_do_not_depend_on_the_default_region() {
    for e164 in [
        "+33160274211",
        "+441614960000",
        "+551120000000",
        "+8615842920950",
        "+49181292362377",
    ] {
        for region in ["US", "GB", "DE", "BR"] {
            let n = PhoneNumber::parse(e164, region);
            assert_eq!(
                n.as_ref().map(PhoneNumber::as_str),
                Ok(e164),
                "{e164} read with default region {region}"
            );
        }
        assert_eq!(
            PhoneNumber::from_e164(e164)
                .as_ref()
                .map(PhoneNumber::as_str),
            Ok(e164)
        );
    }
    let sao_paulo = PhoneNumber::parse("11 2000 0000", "BR").unwrap();
    assert_eq!(PhoneNumber::from_e164(sao_paulo.as_str()), Ok(sao_paulo));
}
