//! A small RFC 4180 reader and writer. Contact files come from spreadsheets and CRMs, so the
//! reader tolerates what they produce (a UTF-8 BOM, CRLF or LF, quoted fields holding commas,
//! quotes and line breaks, blank lines) and reports each record with the line it started on, so
//! import errors can point at the row a person sees in their editor.

/// One record and the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("line {line}: a quoted field is never closed")]
    UnclosedQuote { line: usize },
}

/// Parses the whole text. Records whose fields are all empty (blank lines, `,,,`) are dropped.
pub fn parse(text: &str) -> Result<Vec<Record>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut line = 1;
    let mut record_line = 1;
    let mut quote_line = 1;
    let mut chars = text.chars().peekable();
    let finish = |fields: &mut Vec<String>, records: &mut Vec<Record>, at: usize| {
        let fields = std::mem::take(fields);
        if fields.iter().any(|f| !f.trim().is_empty()) {
            records.push(Record { line: at, fields });
        }
    };
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\r' if chars.peek() == Some(&'\n') => {}
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                other => field.push(other),
            }
            continue;
        }
        match c {
            // A quote opens a quoted field only at its start; elsewhere it is text (lenient,
            // like spreadsheet programs).
            '"' if field.is_empty() => {
                in_quotes = true;
                quote_line = line;
            }
            ',' => fields.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                fields.push(std::mem::take(&mut field));
                finish(&mut fields, &mut records, record_line);
                line += 1;
                record_line = line;
            }
            other => field.push(other),
        }
    }
    if in_quotes {
        return Err(CsvError::UnclosedQuote { line: quote_line });
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        finish(&mut fields, &mut records, record_line);
    }
    Ok(records)
}

/// Writes one record terminated by CRLF (RFC 4180). Fields are quoted when they hold a comma,
/// quote or line break. A field a spreadsheet could read as a formula (see [`needs_guard`]) is
/// prefixed with `'`, so opening an export never evaluates text a caller typed into a note, a
/// contact name or a tag.
pub fn write_record<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let f = f.as_ref();
        let guarded;
        let f = if needs_guard(f) {
            guarded = format!("'{f}");
            guarded.as_str()
        } else {
            f
        };
        if f.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(f);
        }
    }
    out.push_str("\r\n");
}

/// Spreadsheets (Excel, LibreOffice, Sheets) start a formula at `=`, `+`, `-` or `@`, and
/// skip a leading tab or CR before looking, so a cell starting with any of them is guarded.
/// The one exception is a bare E.164 number (`+` and 2 to 15 digits): phone columns must stay
/// dialable, and digits alone evaluate to a number, never to a call or a link.
pub fn needs_guard(field: &str) -> bool {
    field.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_e164(field)
}

fn is_e164(field: &str) -> bool {
    field.strip_prefix('+').is_some_and(|d| {
        (2..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<(usize, Vec<&str>)> {
        // Leaks are fine in tests and keep the assertions readable.
        let parsed: &'static [Record] = Vec::leak(parse(text).unwrap());
        parsed
            .iter()
            .map(|r| (r.line, r.fields.iter().map(String::as_str).collect()))
            .collect()
    }

    #[test]
    fn reads_what_spreadsheets_write() {
        let text = "\u{feff}Name,Phone\r\n\"Doe, Jane\",\"+1 (212) 555-0100\"\r\n\r\n,,\r\n\"Say \"\"hi\"\"\",2125550101\r\n\"multi\nline\",x\nlast,row";
        assert_eq!(
            rows(text),
            vec![
                (1, vec!["Name", "Phone"]),
                (2, vec!["Doe, Jane", "+1 (212) 555-0100"]),
                (5, vec!["Say \"hi\"", "2125550101"]),
                (6, vec!["multi\nline", "x"]),
                (8, vec!["last", "row"]),
            ]
        );
    }

    #[test]
    fn unclosed_quotes_are_reported_with_their_line() {
        assert_eq!(
            parse("a,b\n\"open,c\nd"),
            Err(CsvError::UnclosedQuote { line: 2 })
        );
    }

    #[test]
    fn written_records_read_back_identically() {
        let fields = [
            "plain",
            "with, comma",
            "say \"hi\"",
            "two\nlines",
            "",
            "+12125550100",
        ];
        let mut out = String::new();
        write_record(&mut out, &fields);
        write_record(&mut out, &["x"]);
        assert!(out.ends_with("\r\nx\r\n"));
        let back = parse(&out).unwrap();
        assert_eq!(back[0].fields, fields);
        assert_eq!(back[1].fields, ["x"]);
    }

    #[test]
    fn formulas_are_neutralised() {
        let mut out = String::new();
        write_record(&mut out, &["=HYPERLINK(\"x\")", "@SUM(A1)", "-5"]);
        assert_eq!(out, "\"'=HYPERLINK(\"\"x\"\")\",'@SUM(A1),'-5\r\n");
    }

    #[test]
    fn every_formula_prefix_is_guarded_and_e164_is_not() {
        let cases = [
            ("=1+1", true),
            ("+HYPERLINK(\"http://x\")", true),
            ("-2+3+cmd|' /C calc'!A0", true),
            ("@SUM(A1)", true),
            ("\t=1+1", true),
            ("\r=1+1", true),
            ("+1", true),
            ("+12125550100+1", true),
            ("+012125550100", true),
            ("+12125550100", false),
            ("+442071838750", false),
            ("plain", false),
            ("a=b", false),
            ("", false),
        ];
        for (field, guarded) in cases {
            assert_eq!(needs_guard(field), guarded, "{field:?}");
            let mut out = String::new();
            write_record(&mut out, &[field]);
            let back = &parse(&out).unwrap_or_default();
            let read = back
                .first()
                .map(|r| r.fields[0].clone())
                .unwrap_or_default();
            let want = if guarded {
                format!("'{field}")
            } else {
                field.to_string()
            };
            assert_eq!(read, want.replace("\r\n", "\n"), "{field:?}");
        }
    }
}
