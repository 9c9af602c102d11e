//! A small element tree over quick-xml, and the RobinX validator's lenient
//! value syntax (SPEC.md §1.6).

use std::path::Path;

use quick_xml::events::Event;

use crate::error::{Error, Result};

/// One element: its name, attributes in document order, child elements,
/// its own text, and its line in the file.
#[derive(Debug, Default)]
pub(crate) struct Element {
    pub(crate) name: String,
    attrs: Vec<(String, String)>,
    pub(crate) children: Vec<Element>,
    pub(crate) text: String,
    pub(crate) line: usize,
}

impl Element {
    /// An attribute's value.
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first child element with this name.
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child element with this name, in document order.
    pub(crate) fn children_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// An integer attribute, read like C's `sscanf("%d")`; −1 when missing
    /// or unreadable.
    pub(crate) fn int(&self, name: &str) -> i64 {
        self.attr(name).and_then(leading_int).unwrap_or(-1)
    }
}

/// Parses a whole document into its root element; malformed XML is an error
/// naming the file, line and column.
pub(crate) fn parse(path: &Path, text: &str) -> Result<Element> {
    // quick-xml skips one leading byte-order mark without counting it: its
    // offsets are into the text after the mark, and so are ours. (Taken into
    // the whole text, they were three bytes short, and slicing at one could
    // split a character: a panic, issue 17.)
    let mut reader = quick_xml::Reader::from_str(text);
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut lines = Lines::default();
    let fail = |offset: u64, message: String| {
        let (line, column) = line_column(text, offset as usize);
        Error::parse(path, format!("line {line}, column {column}: {message}"))
    };
    loop {
        let start = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| fail(reader.error_position(), format!("malformed XML: {e}")))?;
        match event {
            Event::Start(e) => {
                let el = element(path, text, &e, start, &mut lines)?;
                stack.push(el);
            }
            Event::Empty(e) => {
                let el = element(path, text, &e, start, &mut lines)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None if root.is_none() => root = Some(el),
                    None => return Err(fail(start, "a second root element".into())),
                }
            }
            Event::End(_) => {
                let Some(el) = stack.pop() else {
                    return Err(fail(start, "an end tag without a start tag".into()));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None if root.is_none() => root = Some(el),
                    None => return Err(fail(start, "a second root element".into())),
                }
            }
            Event::Text(t) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&t);
                }
            }
            Event::GeneralRef(r) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(match &*r {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "?",
                    });
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(Error::parse(
            path,
            format!(
                "line {}: <{}> is never closed (the file ends early)",
                open.line, open.name
            ),
        ));
    }
    root.ok_or_else(|| Error::parse(path, "no root element: the file holds no XML"))
}

fn element(
    path: &Path,
    text: &str,
    e: &quick_xml::events::BytesStart<'_>,
    offset: u64,
    lines: &mut Lines,
) -> Result<Element> {
    // The event starts after leading whitespace; count to the `<`.
    let offset = offset as usize;
    debug_assert!(
        text.is_char_boundary(offset),
        "offset {offset} inside a character"
    );
    let at = text
        .get(offset..)
        .and_then(|rest| rest.find('<'))
        .map_or(offset, |i| offset + i);
    let line = lines.line_at(text, at);
    let name = e.name().as_ref().to_owned();
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| {
            Error::parse(
                path,
                format!("line {line}: <{name}>: malformed attribute: {err}"),
            )
        })?;
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| {
                Error::parse(
                    path,
                    format!("line {line}: <{name}>: bad attribute value: {err}"),
                )
            })?;
        attrs.push((a.key.as_ref().to_owned(), value.into_owned()));
    }
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
        text: String::new(),
        line,
    })
}

/// Lines counted as the reader moves forward, so finding each element's
/// line costs what lies between it and the one before.
#[derive(Default)]
struct Lines {
    offset: usize,
    line: usize,
}

impl Lines {
    /// The 1-based line of `offset`, at or after the last one asked.
    fn line_at(&mut self, text: &str, offset: usize) -> usize {
        let offset = offset.min(text.len()).max(self.offset);
        self.line += text.as_bytes()[self.offset..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.offset = offset;
        self.line + 1
    }
}

/// 1-based line and column of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = offset
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    (line, column)
}

/// The integer at the start of `s` after blanks, as `sscanf("%d")` reads
/// it (`" 3x"` → 3, `"3.5"` → 3); `None` when there is none.
pub(crate) fn leading_int(s: &str) -> Option<i64> {
    scan_int(s).map(|(v, _)| v)
}

/// [`leading_int`] and what follows the digits.
fn scan_int(s: &str) -> Option<(i64, &str)> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (sign, digits) = match t.as_bytes().first() {
        Some(b'-') => (-1, &t[1..]),
        Some(b'+') => (1, &t[1..]),
        _ => (1, t),
    };
    let end = digits
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    if end == 0 {
        return None;
    }
    let v = digits[..end].parse::<i64>().ok()?;
    Some((sign * v, &digits[end..]))
}

/// An id list (`"0;3;7"`), read as the validator reads it: blanks before a
/// number are skipped, and the list ends where a number is not followed by
/// `;` or the end, or where no number can be read. Repeats count once;
/// document order is kept.
pub(crate) fn id_list(s: &str) -> Vec<i64> {
    let mut out: Vec<i64> = Vec::new();
    let mut rest = s;
    while let Some((v, after)) = scan_int(rest) {
        if !out.contains(&v) {
            out.push(v);
        }
        match after.strip_prefix(';') {
            Some(next) => rest = next,
            None => break,
        }
    }
    out
}

/// A pair list (GA1 `meetings`, SE2 `slotPairs`; RobinX SPEC.md §2.9):
/// read a number, skip one `,` if it follows, read a second number, skip
/// one `;` if it follows, repeat until no first number can be read. A pair
/// whose second number cannot be read is kept and ends the list: `(x, x)`
/// when only blanks (or a comma) follow `x`, `(x, 0)` when something else
/// does. Repeats are kept (SE2 counts them; GA1 makes a set).
pub(crate) fn pair_list(s: &str) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some((x, after)) = scan_int(rest) {
        let after = after.strip_prefix(',').unwrap_or(after);
        match scan_int(after) {
            Some((y, next)) => {
                out.push((x, y));
                rest = next.strip_prefix(';').unwrap_or(next);
            }
            None => {
                let blank = after.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
                out.push((x, if blank.is_empty() { x } else { 0 }));
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_lists_read_as_the_validator_reads_them() {
        assert_eq!(id_list("0;3;7"), vec![0, 3, 7]);
        assert_eq!(id_list(""), Vec::<i64>::new());
        assert_eq!(id_list("1;2;"), vec![1, 2]);
        assert_eq!(id_list("1; 2;3"), vec![1, 2, 3]);
        assert_eq!(id_list(" 1 ; 2"), vec![1]);
        assert_eq!(id_list("1;x;2"), vec![1]);
        assert_eq!(id_list("1;;2"), vec![1]);
        assert_eq!(id_list("2;2;1"), vec![2, 1]);
    }

    #[test]
    fn integers_read_like_sscanf() {
        assert_eq!(leading_int("3.5"), Some(3));
        assert_eq!(leading_int(" 3x"), Some(3));
        assert_eq!(leading_int("-2"), Some(-2));
        assert_eq!(leading_int("x"), None);
        assert_eq!(leading_int(""), None);
    }

    #[test]
    fn pair_lists_read_as_the_validator_reads_them() {
        assert_eq!(pair_list("0,1;5,2;"), vec![(0, 1), (5, 2)]);
        assert_eq!(pair_list("0,1;0,1"), vec![(0, 1), (0, 1)]);
        assert_eq!(pair_list("0,1;2"), vec![(0, 1), (2, 2)]);
        assert_eq!(pair_list("0,1;2,"), vec![(0, 1), (2, 2)]);
        assert_eq!(pair_list("0,1;2;"), vec![(0, 1), (2, 0)]);
        assert_eq!(pair_list("0,1 2,3"), vec![(0, 1), (2, 3)]);
        assert_eq!(pair_list(""), vec![]);
        assert_eq!(pair_list("x,1"), vec![]);
    }

    #[test]
    fn malformed_xml_names_line_and_column() {
        let e = parse(Path::new("x.xml"), "<a>\n  <b></c>\n</a>").unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("x.xml: line 2, column"), "{text}");
        let e = parse(Path::new("x.xml"), "<a>\n<b/>").unwrap_err();
        assert!(e.to_string().contains("<a> is never closed"), "{e}");
    }

    /// Regression (issue 17): quick-xml skips a byte-order mark without
    /// counting it, so every offset was three bytes behind the text, and
    /// slicing at one (`\u{feff} <Instance/>`) panicked.
    #[test]
    fn a_byte_order_mark_is_skipped_and_positions_still_agree() {
        let root = parse(Path::new("x.xml"), "\u{feff} <a>\n  <b/>\n</a>").unwrap();
        assert_eq!((root.name.as_str(), root.line), ("a", 1));
        assert_eq!(root.children[0].line, 2);
        let e = parse(Path::new("x.xml"), "\u{feff}<a>\n<b></c></a>").unwrap_err();
        assert!(e.to_string().starts_with("x.xml: line 2, column"), "{e}");
        let root = parse(Path::new("x.xml"), "\u{feff}<é/>").unwrap();
        assert_eq!(root.name, "é");
        // Only the first mark is one; a second is text before the root.
        let root = parse(Path::new("x.xml"), "\u{feff}\u{feff} <a/>").unwrap();
        assert_eq!((root.name.as_str(), root.line), ("a", 1));
    }

    #[test]
    fn elements_know_their_line() {
        let root = parse(Path::new("x.xml"), "<a>\n  <b k=\"1\"/>\n  <c>t</c></a>").unwrap();
        assert_eq!(root.children[0].line, 2);
        assert_eq!(root.children[0].attr("k"), Some("1"));
        assert_eq!(root.child("c").map(|c| c.text.as_str()), Some("t"));
    }
}
