//! The little CSV that the BurstGPT and Azure traces need, parsed by hand: a header row of known
//! column names, then rows of plain comma-separated cells. These files have no quoted fields, so a
//! quote is refused rather than half-understood. Shared with the Azure importer
//! (`crate::azure`); it belongs in a crate-level `csv` module if a third CSV importer appears.

use crate::json::FieldError;

/// The byte-order mark some tools write at the start of a CSV file.
const BOM: char = '\u{feff}';

/// Which of the expected `layouts` the header row `text` is (its index), comparing column names
/// exactly after trimming the whitespace around each. A leading byte-order mark is ignored.
pub(crate) fn header_layout(text: &str, layouts: &[&[&str]]) -> Result<usize, FieldError> {
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let names: Vec<&str> = text.split(',').map(str::trim).collect();
    if let Some(i) = layouts.iter().position(|l| *l == names.as_slice()) {
        return Ok(i);
    }
    let expected: Vec<String> = layouts
        .iter()
        .map(|l| format!("`{}`", l.join(",")))
        .collect();
    let message = format!(
        "the header row is `{}`, expected {}",
        shown(text),
        expected.join(" or ")
    );
    Err((String::new(), message))
}

/// The cells of a data row, trimmed, checked against the header's column count. A double quote
/// anywhere is an error naming the column it is in.
pub(crate) fn cells<'t>(text: &'t str, columns: &[&str]) -> Result<Vec<&'t str>, FieldError> {
    if let Some(at) = text.find('"') {
        let column = text[..at].matches(',').count();
        let field = columns.get(column).copied().unwrap_or_default().to_owned();
        let message = "quoted fields are not supported (these traces have none); is this the \
                       right file?"
            .to_owned();
        return Err((field, message));
    }
    let cells: Vec<&str> = text.split(',').map(str::trim).collect();
    if cells.len() != columns.len() {
        let message = format!(
            "expected {} columns ({}), got {}",
            columns.len(),
            columns.join(","),
            cells.len()
        );
        return Err((String::new(), message));
    }
    Ok(cells)
}

/// A non-negative integer cell: ASCII digits only (no sign, no fraction, no exponent).
pub(crate) fn count(column: &str, cell: &str) -> Result<u64, FieldError> {
    let parsed = if !cell.is_empty() && cell.bytes().all(|b| b.is_ascii_digit()) {
        cell.parse::<u64>().ok()
    } else {
        None
    };
    parsed.ok_or_else(|| {
        let message = if cell.is_empty() {
            "is empty; expected a non-negative integer".to_owned()
        } else {
            format!(
                "must be a non-negative integer below 2^64, got \"{}\"",
                shown(cell)
            )
        };
        (column.to_owned(), message)
    })
}

/// A non-negative decimal number of seconds (`45`, `45.0`, `0.25`, at most nine fraction digits),
/// as nanoseconds.
pub(crate) fn seconds_ns(column: &str, cell: &str) -> Result<i64, FieldError> {
    let fail = || {
        let message = if cell.is_empty() {
            "is empty; expected a number of seconds".to_owned()
        } else {
            format!(
                "must be a non-negative number of seconds (digits, optionally a point and up to \
                 nine digits), got \"{}\"",
                shown(cell)
            )
        };
        (column.to_owned(), message)
    };
    let (whole, fraction) = match cell.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (cell, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f) || f.len() > 9) {
        return Err(fail());
    }
    let mut ns: i64 = 0;
    for b in fraction.unwrap_or("").bytes() {
        ns = ns * 10 + i64::from(b - b'0');
    }
    for _ in fraction.map_or(0, str::len)..9 {
        ns *= 10;
    }
    whole
        .parse::<i64>()
        .ok()
        .and_then(|s| s.checked_mul(1_000_000_000))
        .and_then(|s| s.checked_add(ns))
        .ok_or_else(|| {
            let message = format!("{cell} seconds is out of range");
            (column.to_owned(), message)
        })
}

/// A cell or row for a message, cut to 60 characters.
pub(crate) fn shown(text: &str) -> String {
    if text.chars().count() <= 60 {
        return text.to_owned();
    }
    let cut: String = text.chars().take(60).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_a_layout_or_name_the_expected_columns() {
        let layouts: &[&[&str]] = &[&["a", "b c"], &["a", "x", "b c"]];
        assert_eq!(header_layout("a,b c", layouts), Ok(0));
        assert_eq!(header_layout("\u{feff}a , x,b c ", layouts), Ok(1));
        assert_eq!(
            header_layout("a,B c", layouts),
            Err((
                String::new(),
                "the header row is `a,B c`, expected `a,b c` or `a,x,b c`".to_owned()
            ))
        );
    }

    #[test]
    fn cells_are_counted_and_quotes_refused() {
        let cols = ["a", "b", "c"];
        assert_eq!(cells("1, 2 ,3", &cols), Ok(vec!["1", "2", "3"]));
        assert_eq!(
            cells("1,2", &cols).unwrap_err().1,
            "expected 3 columns (a,b,c), got 2"
        );
        assert_eq!(cells("1,\"2\",3", &cols).unwrap_err().0, "b");
        assert_eq!(cells("1,2,3,\"4\"", &cols).unwrap_err().0, "");
    }

    #[test]
    fn counts_and_seconds() {
        assert_eq!(count("n", "0"), Ok(0));
        assert_eq!(count("n", "18446744073709551615"), Ok(u64::MAX));
        for bad in ["", "+1", "-1", "1.0", "1e3", "18446744073709551616", "١"] {
            assert_eq!(count("n", bad).unwrap_err().0, "n", "{bad}");
        }
        assert_eq!(seconds_ns("t", "5"), Ok(5_000_000_000));
        assert_eq!(seconds_ns("t", "5.0"), Ok(5_000_000_000));
        assert_eq!(seconds_ns("t", "0.000000001"), Ok(1));
        assert_eq!(seconds_ns("t", "12.25"), Ok(12_250_000_000));
        for bad in [
            "",
            ".5",
            "5.",
            "-5",
            "+5",
            "5e3",
            "1.0000000001",
            "99999999999999999999",
        ] {
            assert!(seconds_ns("t", bad).is_err(), "{bad}");
        }
    }
}
