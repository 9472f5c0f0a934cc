//! MIME types, as far as the `Content-Type` request-header safelist needs them
//! (MIME Sniffing `#parse-a-mime-type`, `#serialize-a-mime-type`).

use std::fmt;

/// A parsed MIME type (`mimesniff#mime-type`).
///
/// ```
/// use crossorigin::MimeType;
/// let m = MimeType::parse("Text/HTML; Charset=\"utf-8\"").unwrap();
/// assert_eq!(m.essence(), "text/html");
/// assert_eq!(m.to_string(), "text/html;charset=utf-8");
/// assert!(MimeType::parse("text").is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MimeType {
    type_: String,
    subtype: String,
    parameters: Vec<(String, String)>,
}

/// HTTP whitespace (`fetch#http-whitespace`): LF, CR, tab, space.
fn is_http_whitespace(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\t' | ' ')
}

/// An HTTP token code point (`mimesniff#http-token-code-point`).
pub(crate) fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// An HTTP quoted-string token code point.
fn is_quoted_string_token_char(c: char) -> bool {
    c == '\t' || ('\u{20}'..='\u{7E}').contains(&c) || ('\u{80}'..='\u{FF}').contains(&c)
}

fn all_token(s: &[char]) -> bool {
    !s.is_empty() && s.iter().all(|c| is_token_char(*c))
}

impl MimeType {
    /// Parses a MIME type (`mimesniff#parse-a-mime-type`); `None` is failure.
    pub fn parse(input: &str) -> Option<MimeType> {
        let chars: Vec<char> = input.chars().collect();
        Self::parse_chars(&chars)
    }

    /// Parses a MIME type from bytes (`mimesniff#parse-a-mime-type-from-bytes`):
    /// isomorphic decoding, then parsing.
    pub fn parse_bytes(input: &[u8]) -> Option<MimeType> {
        let chars: Vec<char> = input.iter().map(|b| char::from(*b)).collect();
        Self::parse_chars(&chars)
    }

    fn parse_chars(input: &[char]) -> Option<MimeType> {
        // Step 1.
        let start = input.iter().position(|c| !is_http_whitespace(*c))?;
        let end = input.iter().rposition(|c| !is_http_whitespace(*c))? + 1;
        let input = &input[start..end];
        // Step 2-5.
        let slash = input.iter().position(|c| *c == '/')?;
        let type_ = &input[..slash];
        if !all_token(type_) {
            return None;
        }
        // Step 6-9.
        let mut pos = slash + 1;
        let sub_end = input[pos..]
            .iter()
            .position(|c| *c == ';')
            .map_or(input.len(), |i| pos + i);
        let mut subtype = &input[pos..sub_end];
        while let Some((last, rest)) = subtype.split_last() {
            if is_http_whitespace(*last) {
                subtype = rest;
            } else {
                break;
            }
        }
        if !all_token(subtype) {
            return None;
        }
        // Step 10.
        let mut mime = MimeType {
            type_: type_.iter().collect::<String>().to_ascii_lowercase(),
            subtype: subtype.iter().collect::<String>().to_ascii_lowercase(),
            parameters: Vec::new(),
        };
        pos = sub_end;
        // Step 11.
        while pos < input.len() {
            // 11.1: skip the `;`.
            pos += 1;
            // 11.2.
            while pos < input.len() && is_http_whitespace(input[pos]) {
                pos += 1;
            }
            // 11.3-4.
            let name_start = pos;
            while pos < input.len() && input[pos] != ';' && input[pos] != '=' {
                pos += 1;
            }
            let name: String = input[name_start..pos]
                .iter()
                .collect::<String>()
                .to_ascii_lowercase();
            // 11.5.
            if pos < input.len() {
                if input[pos] == ';' {
                    continue;
                }
                pos += 1;
            }
            // 11.6.
            if pos >= input.len() {
                break;
            }
            // 11.7-9.
            let value: String;
            if input[pos] == '"' {
                let (v, next) = collect_http_quoted_string(input, pos);
                value = v;
                pos = next;
                while pos < input.len() && input[pos] != ';' {
                    pos += 1;
                }
            } else {
                let value_start = pos;
                while pos < input.len() && input[pos] != ';' {
                    pos += 1;
                }
                let mut v = &input[value_start..pos];
                while let Some((last, rest)) = v.split_last() {
                    if is_http_whitespace(*last) {
                        v = rest;
                    } else {
                        break;
                    }
                }
                if v.is_empty() {
                    continue;
                }
                value = v.iter().collect();
            }
            // 11.10.
            let name_chars: Vec<char> = name.chars().collect();
            if all_token(&name_chars)
                && value.chars().all(is_quoted_string_token_char)
                && !mime.parameters.iter().any(|(n, _)| *n == name)
            {
                mime.parameters.push((name, value));
            }
        }
        Some(mime)
    }

    /// The type, lower case.
    pub fn type_(&self) -> &str {
        &self.type_
    }

    /// The subtype, lower case.
    pub fn subtype(&self) -> &str {
        &self.subtype
    }

    /// The essence (`mimesniff#mime-type-essence`): `type/subtype`.
    pub fn essence(&self) -> String {
        format!("{}/{}", self.type_, self.subtype)
    }

    /// The parameters, in order, names lower case.
    pub fn parameters(&self) -> &[(String, String)] {
        &self.parameters
    }
}

/// Collects an HTTP quoted string with extract-value true
/// (`fetch#collect-an-http-quoted-string`). Returns the value and the new
/// position.
fn collect_http_quoted_string(input: &[char], mut pos: usize) -> (String, usize) {
    let mut value = String::new();
    pos += 1;
    loop {
        while pos < input.len() && input[pos] != '"' && input[pos] != '\\' {
            value.push(input[pos]);
            pos += 1;
        }
        if pos >= input.len() {
            break;
        }
        let quote_or_backslash = input[pos];
        pos += 1;
        if quote_or_backslash == '\\' {
            if pos >= input.len() {
                value.push('\\');
                break;
            }
            value.push(input[pos]);
            pos += 1;
        } else {
            break;
        }
    }
    (value, pos)
}

impl fmt::Display for MimeType {
    /// Serializes a MIME type (`mimesniff#serialize-a-mime-type`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.type_, self.subtype)?;
        for (name, value) in &self.parameters {
            write!(f, ";{name}=")?;
            if value.is_empty() || !value.chars().all(is_token_char) {
                f.write_str("\"")?;
                for c in value.chars() {
                    if c == '"' || c == '\\' {
                        f.write_str("\\")?;
                    }
                    write!(f, "{c}")?;
                }
                f.write_str("\"")?;
            } else {
                f.write_str(value)?;
            }
        }
        Ok(())
    }
}

/// The essence of the MIME type that `bytes` parses to, as borrowed
/// `(type, subtype)` slices in their original case, or `None` where parsing
/// fails. Parameters never make parsing fail, so they are not looked at.
/// This is the non-allocating part of `mimesniff#parse-a-mime-type-from-bytes`
/// that the `Content-Type` safelist needs; [`has_cors_safelisted_essence`]
/// answers from it without the token checks, and is tested against it.
#[cfg(test)]
pub(crate) fn parse_essence(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    // One forward pass: leading whitespace, the type up to `/`, the subtype
    // up to `;` (or the end) less its trailing whitespace. Trimming the
    // input's own trailing whitespace (step 1) is the same as trimming the
    // subtype's when there is no parameter, and irrelevant when there is.
    let ws = |b: u8| matches!(b, b'\n' | b'\r' | b'\t' | b' ');
    let token = crate::header::is_token_byte;
    let n = bytes.len();
    let mut i = 0usize;
    while i < n && ws(bytes[i]) {
        i += 1;
    }
    let type_start = i;
    while i < n && bytes[i] != b'/' {
        if !token(bytes[i]) {
            return None;
        }
        i += 1;
    }
    if i >= n || i == type_start {
        return None;
    }
    let type_ = &bytes[type_start..i];
    i += 1;
    let sub_start = i;
    while i < n && bytes[i] != b';' {
        i += 1;
    }
    let mut sub_end = i;
    while sub_end > sub_start && ws(bytes[sub_end - 1]) {
        sub_end -= 1;
    }
    let subtype = &bytes[sub_start..sub_end];
    if subtype.is_empty() || !subtype.iter().all(|b| token(*b)) {
        return None;
    }
    Some((type_, subtype))
}

/// Whether `bytes` parses to a MIME type whose essence is
/// `application/x-www-form-urlencoded`, `multipart/form-data` or
/// `text/plain` (`fetch#cors-safelisted-request-header`, `Content-Type`):
/// [`parse_essence`]'s answer compared with those three, without the
/// token checks (a type and subtype equal to one of these literals are
/// tokens).
#[inline]
pub(crate) fn has_cors_safelisted_essence(bytes: &[u8]) -> bool {
    let ws = |b: &u8| matches!(b, b'\n' | b'\r' | b'\t' | b' ');
    let start = bytes.iter().position(|b| !ws(b)).unwrap_or(bytes.len());
    let rest = bytes.get(start..).unwrap_or_default();
    // `rest` starts with `type/subtype`, where the subtype less its
    // trailing whitespace runs to the first `;` or the end.
    let is = |type_: &[u8], subtype: &[u8]| {
        let (t, s) = (type_.len(), subtype.len());
        rest.get(t) == Some(&b'/')
            && rest
                .get(..t)
                .is_some_and(|x| crate::header::eq_lower(x, type_))
            && rest
                .get(t + 1..t + 1 + s)
                .is_some_and(|x| crate::header::eq_lower(x, subtype))
            && rest
                .get(t + 1 + s..)
                .unwrap_or_default()
                .iter()
                .find(|b| !ws(b))
                .is_none_or(|b| *b == b';')
    };
    match rest.first().map(u8::to_ascii_lowercase) {
        Some(b'a') => is(b"application", b"x-www-form-urlencoded"),
        Some(b'm') => is(b"multipart", b"form-data"),
        Some(b't') => is(b"text", b"plain"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn essence_agrees_with_full_parse() {
        for input in [
            "text/plain",
            " TEXT/Plain ;charset=x",
            "text/plain\t",
            "text /plain",
            "text/",
            "/plain",
            "text/plain;",
            "text/pl ain",
            "\u{c9}/x",
            "application/json",
            "Multipart/Form-Data; boundary=x",
            "APPLICATION/X-WWW-FORM-URLENCODED\n",
            " \ttext/plain",
            "\r\ntext/plain \r\n;x",
            "text/plainx",
            "text/plain x",
            "text/plain\t;",
            "textplain",
            "text",
            "t",
            "",
            " ",
            "text//plain",
            "text/plain/",
            "multipart/form-data;",
            "application/x-www-form-urlencode",
        ] {
            let bytes: Vec<u8> = input.chars().map(|c| c as u32 as u8).collect();
            let full = MimeType::parse_bytes(&bytes).map(|m| m.essence());
            let fast = parse_essence(&bytes).map(|(t, s)| {
                format!(
                    "{}/{}",
                    String::from_utf8_lossy(t).to_ascii_lowercase(),
                    String::from_utf8_lossy(s).to_ascii_lowercase()
                )
            });
            assert_eq!(full, fast, "{input:?}");
            let safelisted = fast.as_deref().is_some_and(|e| {
                [
                    "text/plain",
                    "application/x-www-form-urlencoded",
                    "multipart/form-data",
                ]
                .contains(&e)
            });
            assert_eq!(has_cors_safelisted_essence(&bytes), safelisted, "{input:?}");
        }
    }
}
