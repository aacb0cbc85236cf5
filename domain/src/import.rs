//! Contact import from CSV: which column means what, per-row validation, and merging rows that
//! name the same number. Writing the result is the store's job; everything here is pure.

use crate::contact::{ContactDraft, ContactInput};
use crate::csv;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Name,
    FirstName,
    LastName,
    Phone,
    Email,
    Company,
    Notes,
    Tags,
    Favorite,
}

/// Maps a header cell to a field. Case, spaces, dashes and underscores are ignored, so
/// "Phone Number", "phone_number" and "PHONE-NUMBER" are the same column.
pub fn column_for(header: &str) -> Option<Column> {
    let key: String = header
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    Some(match key.as_str() {
        "name" | "fullname" | "contact" | "contactname" | "displayname" => Column::Name,
        "firstname" | "first" | "givenname" | "forename" => Column::FirstName,
        "lastname" | "last" | "surname" | "familyname" => Column::LastName,
        "phone" | "phonenumber" | "phoneno" | "mobile" | "mobilephone" | "mobilenumber"
        | "cell" | "cellphone" | "tel" | "telephone" | "number" | "workphone" | "businessphone"
        | "primaryphone" | "directphone" | "e164" => Column::Phone,
        "email" | "emailaddress" | "mail" | "workemail" => Column::Email,
        "company" | "companyname" | "organization" | "organisation" | "account" | "accountname"
        | "business" | "employer" => Column::Company,
        "notes" | "note" | "comments" | "comment" | "description" => Column::Notes,
        "tags" | "tag" | "labels" | "label" | "groups" => Column::Tags,
        "favorite" | "favourite" | "starred" | "star" | "fav" => Column::Favorite,
        _ => return None,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// The 1-based line in the file the row starts on (the header is line 1).
    pub row: usize,
    pub field: String,
    pub message: String,
}

/// What the file holds once read: valid contacts (duplicates by number already merged, in file
/// order) and the rows that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportPlan {
    pub contacts: Vec<ContactDraft>,
    pub errors: Vec<RowError>,
    /// Valid rows folded into an earlier row with the same number.
    pub merged_rows: usize,
    /// Rows carrying data (blank lines do not count).
    pub rows: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the file is empty")]
    Empty,
    #[error("no column holds phone numbers (expected a header such as \"phone\" or \"mobile\")")]
    NoPhoneColumn,
    #[error(
        "no column holds names (expected a header such as \"name\", or \"first name\" and \"last name\")"
    )]
    NoNameColumn,
    #[error("too many rows: at most {max} per import")]
    TooManyRows { max: usize },
    #[error(transparent)]
    Csv(#[from] csv::CsvError),
}

fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "y" | "x" | "★" | "*"
    )
}

/// Reads a CSV export into an import plan. Tags may be separated by `;`, `|` or `,` inside
/// their cell.
pub fn plan(text: &str, default_country: &str, max_rows: usize) -> Result<ImportPlan, ImportError> {
    let records = csv::parse(text)?;
    let mut records = records.into_iter();
    let header = records.next().ok_or(ImportError::Empty)?;
    let columns: Vec<Option<Column>> = header.fields.iter().map(|h| column_for(h)).collect();
    let has = |c: Column| columns.contains(&Some(c));
    if !has(Column::Phone) {
        return Err(ImportError::NoPhoneColumn);
    }
    if !has(Column::Name) && !has(Column::FirstName) && !has(Column::LastName) {
        return Err(ImportError::NoNameColumn);
    }
    let records: Vec<csv::Record> = records.collect();
    if records.len() > max_rows {
        return Err(ImportError::TooManyRows { max: max_rows });
    }
    let mut contacts: Vec<ContactDraft> = Vec::new();
    let mut by_phone: HashMap<String, usize> = HashMap::new();
    let mut errors = Vec::new();
    let mut merged_rows = 0;
    for record in &records {
        let mut input = ContactInput::default();
        let (mut first, mut last) = (String::new(), String::new());
        for (i, value) in record.fields.iter().enumerate() {
            // The first column wins when two map to one field (e.g. "Phone" then "Mobile").
            let set = |slot: &mut Option<String>| {
                if slot.as_deref().is_none_or(|s| s.trim().is_empty()) {
                    *slot = Some(value.clone());
                }
            };
            match columns.get(i).copied().flatten() {
                Some(Column::Name) => set(&mut input.name),
                Some(Column::FirstName) => first = value.trim().to_string(),
                Some(Column::LastName) => last = value.trim().to_string(),
                Some(Column::Phone) => set(&mut input.phone),
                Some(Column::Email) => set(&mut input.email),
                Some(Column::Company) => set(&mut input.company),
                Some(Column::Notes) => set(&mut input.notes),
                Some(Column::Tags) => {
                    input.tags = Some(value.split([';', '|', ',']).map(str::to_string).collect())
                }
                Some(Column::Favorite) => input.favorite = Some(truthy(value)),
                None => {}
            }
        }
        if input.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
            let joined = format!("{first} {last}").trim().to_string();
            if !joined.is_empty() {
                input.name = Some(joined);
            }
        }
        match input.validate(default_country) {
            Ok(draft) => match by_phone.get(draft.phone.as_str()) {
                Some(&at) => {
                    contacts[at].absorb(draft);
                    merged_rows += 1;
                }
                None => {
                    by_phone.insert(draft.phone.as_str().to_string(), contacts.len());
                    contacts.push(draft);
                }
            },
            Err(issues) => errors.extend(issues.into_iter().map(|i| RowError {
                row: record.line,
                field: i.field.to_string(),
                message: i.message,
            })),
        }
    }
    Ok(ImportPlan {
        contacts,
        errors,
        merged_rows,
        rows: records.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_map_from_common_names() {
        assert_eq!(column_for("Phone Number"), Some(Column::Phone));
        assert_eq!(column_for("MOBILE_PHONE"), Some(Column::Phone));
        assert_eq!(column_for("E-mail Address"), Some(Column::Email));
        assert_eq!(column_for("First Name"), Some(Column::FirstName));
        assert_eq!(column_for("Organisation"), Some(Column::Company));
        assert_eq!(column_for("Favourite"), Some(Column::Favorite));
        assert_eq!(column_for("Shoe size"), None);
    }

    #[test]
    fn a_messy_file_gives_a_precise_plan() {
        let text = "\u{feff}First Name,Last Name,Mobile,Company,Tags,Shoe size\r\n\
                    Jane,Doe,(212) 555-1234,\"Acme, Inc.\",vip;lead,9\r\n\
                    \r\n\
                    Bob,,call me,,,\r\n\
                    ,,2125550000,,,\r\n\
                    Janet,Doe,+1 212 555 1234,,west,\r\n";
        let p = plan(text, "US", 100).unwrap();
        assert_eq!(p.rows, 4);
        assert_eq!(p.merged_rows, 1);
        assert_eq!(p.contacts.len(), 1);
        let c = &p.contacts[0];
        assert_eq!(c.name, "Janet Doe");
        assert_eq!(c.company.as_deref(), Some("Acme, Inc."));
        assert_eq!(c.tags, ["vip", "lead", "west"]);
        let errs: Vec<_> = p.errors.iter().map(|e| (e.row, e.field.as_str())).collect();
        assert_eq!(errs, [(4, "phone"), (5, "name")]);
    }

    #[test]
    fn files_without_the_needed_columns_or_too_long_are_refused() {
        assert_eq!(plan("", "US", 10), Err(ImportError::Empty));
        assert_eq!(
            plan("name,email\nx,y", "US", 10),
            Err(ImportError::NoPhoneColumn)
        );
        assert_eq!(
            plan("phone,email\nx,y", "US", 10),
            Err(ImportError::NoNameColumn)
        );
        assert_eq!(
            plan("name,phone\na,1\nb,2\nc,3", "US", 2),
            Err(ImportError::TooManyRows { max: 2 })
        );
    }
}
