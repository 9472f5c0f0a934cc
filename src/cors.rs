//! The CORS check (`fetch#cors-check`).

use crate::error::CorsCheckFailure;
use crate::header::HeaderList;
use crate::request::CredentialsMode;
use crate::response::ResponseScan;

/// The CORS check (`fetch#cors-check`) of a response's headers for a request
/// whose byte-serialized origin is `origin`: `Access-Control-Allow-Origin`
/// (every repeated header combined, so two values never match) is `*`
/// without credentials, or byte for byte the origin; with credentials,
/// `Access-Control-Allow-Credentials` is exactly `true`. Never allocates on
/// success.
///
/// ```
/// use crossorigin::{cors::cors_check, CredentialsMode, HeaderList};
/// let h: HeaderList = [("Access-Control-Allow-Origin", "*")].into_iter().collect();
/// assert!(cors_check(b"https://app.example", CredentialsMode::Omit, &h).is_ok());
/// assert_eq!(
///     cors_check(b"https://app.example", CredentialsMode::Include, &h).unwrap_err().name(),
///     "WildcardOriginNotAllowed",
/// );
/// ```
pub fn cors_check(
    origin: &[u8],
    credentials: CredentialsMode,
    headers: &HeaderList,
) -> Result<(), CorsCheckFailure> {
    // Step 1-2: get `Access-Control-Allow-Origin` (combined).
    let (mut first, mut repeated) = (None, false);
    for h in headers {
        if crate::header::eq_lower(h.name, b"access-control-allow-origin") {
            repeated = first.is_some();
            first.get_or_insert(h.value);
            if repeated {
                break;
            }
        }
    }
    cors_check_found(origin, credentials, headers, first, repeated)
}

/// [`cors_check`] of a header list already scanned.
#[inline]
pub(crate) fn cors_check_scanned(
    origin: &[u8],
    credentials: CredentialsMode,
    headers: &HeaderList,
    scan: &ResponseScan,
) -> Result<(), CorsCheckFailure> {
    cors_check_found(
        origin,
        credentials,
        headers,
        scan.allow_origin.value(headers),
        scan.allow_origin.more,
    )
}

/// [`cors_check`] given the first `Access-Control-Allow-Origin` value and
/// whether another follows it, for a caller that found them in its own
/// pass over the headers.
#[inline]
pub(crate) fn cors_check_found(
    origin: &[u8],
    credentials: CredentialsMode,
    headers: &HeaderList,
    allow_origin: Option<&[u8]>,
    repeated: bool,
) -> Result<(), CorsCheckFailure> {
    let Some(first) = allow_origin else {
        return Err(CorsCheckFailure::MissingAllowOriginHeader);
    };
    let include = credentials == CredentialsMode::Include;
    if repeated {
        // Combined, the value is `first, second, …`: never `*` nor an origin.
        let value = headers
            .get(b"access-control-allow-origin")
            .unwrap_or_default();
        return Err(CorsCheckFailure::MultipleAllowOriginValues { value });
    }
    // Step 3.
    if !include && first == b"*" {
        return Ok(());
    }
    // Step 4 (compared without a `memcmp` call: see `origin::short_eq`).
    if !crate::site::words_eq(first, origin) {
        return Err(classify_mismatch(first, origin, include));
    }
    // Step 5.
    if !include {
        return Ok(());
    }
    // Step 6-7.
    let mut creds = headers.values(b"access-control-allow-credentials");
    match (creds.next(), creds.next()) {
        (Some(b"true"), None) => Ok(()),
        (None, _) => Err(CorsCheckFailure::InvalidAllowCredentials { value: None }),
        (Some(_), _) => Err(CorsCheckFailure::InvalidAllowCredentials {
            value: headers.get(b"access-control-allow-credentials"),
        }),
    }
}

/// Names why an `Access-Control-Allow-Origin` value that is not the
/// request's origin fails.
fn classify_mismatch(value: &[u8], origin: &[u8], include: bool) -> CorsCheckFailure {
    if value == b"*" && include {
        return CorsCheckFailure::WildcardOriginNotAllowed;
    }
    // As Chromium names them: a list (comma or space) is "multiple values";
    // something that is not a URL at all is "invalid"; any other URL is a
    // mismatch, even when it is not a serialized origin (`https://a/`).
    if value.iter().any(|b| *b == b',' || *b == b' ') {
        return CorsCheckFailure::MultipleAllowOriginValues {
            value: value.to_vec(),
        };
    }
    let is_url = std::str::from_utf8(value).is_ok_and(|s| url::Url::parse(s).is_ok());
    if value != b"null" && value != b"*" && !is_url {
        return CorsCheckFailure::InvalidAllowOriginValue {
            value: value.to_vec(),
        };
    }
    CorsCheckFailure::AllowOriginMismatch {
        value: value.to_vec(),
        origin: String::from_utf8_lossy(origin).into_owned(),
    }
}
