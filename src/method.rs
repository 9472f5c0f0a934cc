//! Methods (`fetch#methods`): CORS-safelisted, forbidden, normalization.

use crate::header::is_token_byte;

/// Whether `method` is a method (`fetch#concept-method`): a token.
pub fn is_method(method: &[u8]) -> bool {
    !method.is_empty() && method.iter().all(|b| is_token_byte(*b))
}

/// CORS-safelisted method (`fetch#cors-safelisted-method`): `GET`, `HEAD` or
/// `POST`, byte for byte (methods are case-sensitive; normalize first).
///
/// ```
/// use crossorigin::method::is_cors_safelisted_method;
/// assert!(is_cors_safelisted_method(b"POST"));
/// assert!(!is_cors_safelisted_method(b"post"));
/// ```
#[inline]
pub fn is_cors_safelisted_method(method: &[u8]) -> bool {
    matches!(method, b"GET" | b"HEAD" | b"POST")
}

/// Forbidden method (`fetch#forbidden-method`): `CONNECT`, `TRACE` or
/// `TRACK`, in any case.
pub fn is_forbidden_method(method: &[u8]) -> bool {
    method.eq_ignore_ascii_case(b"CONNECT")
        || method.eq_ignore_ascii_case(b"TRACE")
        || method.eq_ignore_ascii_case(b"TRACK")
}

/// The six methods that normalization upper-cases.
const NORMALIZED: [&[u8]; 6] = [b"DELETE", b"GET", b"HEAD", b"OPTIONS", b"POST", b"PUT"];

/// Normalizes a method (`fetch#concept-method-normalize`): upper-cases only
/// `DELETE`, `GET`, `HEAD`, `OPTIONS`, `POST` and `PUT`; every other method
/// is returned as given.
///
/// ```
/// use crossorigin::method::normalize;
/// assert_eq!(normalize(b"get"), b"GET");
/// assert_eq!(normalize(b"patch"), b"patch");
/// ```
pub fn normalize(method: &[u8]) -> &[u8] {
    match NORMALIZED.iter().find(|m| method.eq_ignore_ascii_case(m)) {
        Some(m) => m,
        None => method,
    }
}
