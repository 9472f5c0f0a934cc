//! The CORS-preflight request and the validation of its response
//! (`fetch#cors-preflight-fetch-0`).

use crate::error::Refusal;
use crate::header::{self, HeaderList};
use crate::method;
use crate::profile::Profile;
use crate::request::{CredentialsMode, unsafe_header_names};
use crate::response::{Response, is_ok_status, is_redirect_status};

/// The headers of a CORS-preflight request that the standard fixes
/// (`fetch#cors-preflight-fetch-0` steps 2-5): `Accept: */*`,
/// `Access-Control-Request-Method`, and `Access-Control-Request-Headers`
/// (the CORS-unsafe request-header names, lower case, sorted, joined with
/// `,` and no space; absent when there are none). `Origin` and the headers
/// every request gets are added when it is sent.
///
/// ```
/// use crossorigin::{preflight::preflight_headers, HeaderList, Profile};
/// let h: HeaderList = [("X-B", "1"), ("Content-Type", "application/json"), ("x-a", "2")]
///     .into_iter().collect();
/// let p = preflight_headers(b"PUT", &h, &Profile::spec());
/// assert_eq!(p.get(b"access-control-request-method").unwrap(), b"PUT");
/// assert_eq!(p.get(b"access-control-request-headers").unwrap(), b"content-type,x-a,x-b");
/// ```
pub fn preflight_headers(method: &[u8], headers: &HeaderList, profile: &Profile) -> HeaderList {
    let mut out = HeaderList::with_capacity(8, 256);
    let dedup = profile.fetch.request_header_names_deduplicated;
    write_preflight_headers(&mut out, method, dedup, |names| {
        crate::request::for_each_unsafe_header(headers, profile, |n| names.push(n))
    });
    out
}

/// [`preflight_headers`], appended to `out`, with the CORS-unsafe names
/// pushed by `for_each_unsafe` (each once, or as often as pushed: see
/// `FetchKnobs::request_header_names_deduplicated`).
pub(crate) fn write_preflight_headers<'a>(
    out: &mut HeaderList,
    method: &[u8],
    dedup: bool,
    for_each_unsafe: impl FnOnce(&mut crate::request::NameStack<'a>),
) {
    out.append("Accept", "*/*");
    out.append("Access-Control-Request-Method", method);
    // Written straight into the list, and taken back off when empty.
    let before = out.mark();
    let mut any = false;
    out.append_with(b"Access-Control-Request-Headers", |buf| {
        any = crate::request::write_names_sorted(for_each_unsafe, buf, dedup);
    });
    if !any {
        out.truncate_to(before);
    }
}

/// What a successful preflight allows, for the cache: read lazily from the
/// response's (already validated) headers, so validating allocates nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreflightResult<'a> {
    headers: &'a HeaderList,
    /// The request's method, when `Access-Control-Allow-Methods` is absent
    /// and the use-CORS-preflight flag is set (step 7.4).
    implied_method: Option<&'a [u8]>,
    /// The max-age in seconds, after the profile's default and cap.
    pub max_age: u64,
    /// The allowed methods (after `implied_method`) and header names as
    /// validation read them, when there are at most [`LISTED`] of each.
    listed: Option<Listed<'a>>,
}

/// How many allowed methods, and how many header names, validation keeps
/// for the cache.
const LISTED: usize = 16;

/// The allowed methods and header names of a preflight response, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Listed<'a> {
    methods: [&'a [u8]; LISTED],
    n_methods: usize,
    names: [&'a [u8]; LISTED],
    n_names: usize,
}

impl Listed<'_> {
    /// No method and no name yet.
    pub(crate) const fn new() -> Self {
        Listed {
            methods: [&[]; LISTED],
            n_methods: 0,
            names: [&[]; LISTED],
            n_names: 0,
        }
    }
}

/// What [`validate_into`] found besides the lists: the parts of a
/// [`PreflightResult`] but its lists.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Validated<'a> {
    headers: &'a HeaderList,
    implied_method: Option<&'a [u8]>,
    pub(crate) max_age: u64,
    /// Whether the lists validation read fit [`Listed`].
    fits: bool,
}

impl<'a> Validated<'a> {
    /// Calls `f` with the allowed methods and header names (as
    /// [`PreflightResult::methods`] and [`PreflightResult::header_names`]
    /// give them): the lists [`validate_into`] read into `listed` when they
    /// fit, else read again.
    #[inline]
    pub(crate) fn with_lists<R>(
        &self,
        listed: &Listed<'a>,
        f: impl FnOnce(&[&'a [u8]], &[&'a [u8]]) -> R,
    ) -> R {
        with_lists(
            self.headers,
            self.implied_method,
            self.fits.then_some(listed),
            f,
        )
    }
}

impl<'a> PreflightResult<'a> {
    /// The methods (`*` included as given), in order.
    pub fn methods(&self) -> Vec<&'a [u8]> {
        let mut out: Vec<&'a [u8]> = self.implied_method.into_iter().collect();
        tokens_of(self.headers, b"access-control-allow-methods", |t| {
            out.push(t)
        });
        out
    }

    /// The header names (`*` included as given), in order.
    pub fn header_names(&self) -> Vec<&'a [u8]> {
        let mut out = Vec::new();
        tokens_of(self.headers, b"access-control-allow-headers", |t| {
            out.push(t)
        });
        out
    }
}

/// Calls `f` with a successful preflight's methods and header names (see
/// [`PreflightResult`]): the lists validation read when they fit
/// (`listed`), else read again from the response's `headers`, kept on the
/// stack while there are few.
fn with_lists<'a, R>(
    headers: &'a HeaderList,
    implied_method: Option<&'a [u8]>,
    listed: Option<&Listed<'a>>,
    f: impl FnOnce(&[&'a [u8]], &[&'a [u8]]) -> R,
) -> R {
    if let Some(l) = listed {
        // Read once already, by validation.
        return match implied_method {
            Some(m) => f(&[m], &l.names[..l.n_names]),
            None => f(&l.methods[..l.n_methods], &l.names[..l.n_names]),
        };
    }
    const N: usize = 16;
    let mut methods: [&[u8]; N] = [&[]; N];
    let mut n_methods = 0usize;
    if let Some(m) = implied_method {
        methods[0] = m;
        n_methods = 1;
    }
    tokens_of(headers, b"access-control-allow-methods", |t| {
        if let Some(slot) = methods.get_mut(n_methods) {
            *slot = t;
        }
        n_methods += 1;
    });
    let mut names: [&[u8]; N] = [&[]; N];
    let mut n_names = 0usize;
    tokens_of(headers, b"access-control-allow-headers", |t| {
        if let Some(slot) = names.get_mut(n_names) {
            *slot = t;
        }
        n_names += 1;
    });
    if n_methods <= N && n_names <= N {
        f(&methods[..n_methods], &names[..n_names])
    } else {
        let methods: Vec<&[u8]> = implied_method
            .into_iter()
            .chain(tokens(headers, b"access-control-allow-methods"))
            .collect();
        f(&methods, &tokens(headers, b"access-control-allow-headers"))
    }
}

/// Every token of every header named `name`, in order.
fn tokens<'a>(headers: &'a HeaderList, name: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    tokens_of(headers, name, |t| out.push(t));
    out
}

/// A header found in one pass: its first value and how many there were.
#[derive(Default)]
struct Found<'a> {
    first: Option<&'a [u8]>,
    count: usize,
}

/// Calls `f` with every token of every header named `name`; returns
/// whether they all parsed (`fetch#extract-header-list-values`, `#token`).
fn tokens_of<'a>(headers: &'a HeaderList, name: &[u8], mut f: impl FnMut(&'a [u8])) -> bool {
    for h in headers.iter() {
        if header::eq_ignore_case(h.name, name) && header::for_each_token(h.value, &mut f).is_err()
        {
            return false;
        }
    }
    true
}

/// Whether `name` is among the allowed header names, read again from the
/// response (more than [`LISTED`] of them: rare).
#[inline(never)]
fn listed_again(h: &HeaderList, name: &[u8]) -> bool {
    let mut found = false;
    tokens_of(h, b"access-control-allow-headers", |t| {
        found |= header::eq_ignore_case(t, name)
    });
    found
}

/// The actual request as preflight validation sees it.
#[derive(Clone, Copy, Debug)]
pub struct ActualRequest<'a> {
    /// The method, normalized.
    pub method: &'a [u8],
    /// The header list.
    pub headers: &'a HeaderList,
    /// The credentials mode.
    pub credentials: CredentialsMode,
    /// The use-CORS-preflight flag.
    pub use_cors_preflight: bool,
    /// The byte-serialized request origin.
    pub origin: &'a [u8],
}

/// Validates a CORS-preflight response (`fetch#cors-preflight-fetch-0`
/// step 7): not a redirect, the CORS check with the actual request's
/// credentials mode, an ok status, then `Access-Control-Allow-Methods` and
/// `-Headers` parsed and matched, and the max-age.
///
/// ```
/// use crossorigin::preflight::{validate_preflight_response, ActualRequest};
/// use crossorigin::{CredentialsMode, HeaderList, Profile, Response};
/// let headers: HeaderList = [("X-Trace", "1")].into_iter().collect();
/// let actual = ActualRequest {
///     method: b"PUT", headers: &headers, credentials: CredentialsMode::Omit,
///     use_cors_preflight: false, origin: b"https://app.example",
/// };
/// let ok = Response::new(204)
///     .with_header("Access-Control-Allow-Origin", "https://app.example")
///     .with_header("Access-Control-Allow-Methods", "PUT")
///     .with_header("Access-Control-Allow-Headers", "x-trace");
/// assert_eq!(validate_preflight_response(&actual, &ok, &Profile::spec()).unwrap().max_age, 5);
/// let bad = Response::new(204).with_header("Access-Control-Allow-Origin", "*");
/// assert_eq!(
///     validate_preflight_response(&actual, &bad, &Profile::spec()).unwrap_err().name(),
///     "MethodDisallowedByPreflightResponse",
/// );
/// ```
pub fn validate_preflight_response<'r>(
    actual: &ActualRequest<'r>,
    response: &'r Response,
    profile: &Profile,
) -> Result<PreflightResult<'r>, Refusal> {
    let mut lists = Listed::new();
    let v = validate_into::<true>(
        actual,
        response,
        profile,
        |f| crate::request::for_each_unsafe_header(actual.headers, profile, f),
        true,
        &mut lists,
    )?;
    Ok(PreflightResult {
        headers: v.headers,
        implied_method: v.implied_method,
        max_age: v.max_age,
        listed: v.fits.then_some(lists),
    })
}

/// [`validate_preflight_response`] with the actual request's CORS-unsafe
/// header names reported by `for_each_unsafe` (`names_of_headers`: those
/// of `actual.headers` under `profile`, and of any header the list is yet
/// to be given that no rule here reads but step 7.7: the fetch counts its
/// `Accept: */*` before appending it), the allowed methods and header
/// names read into `lists` (empty: the caller's, so that they are not
/// moved on the way). Without `CORS_CHECK` the CORS check is left out
/// ([`crate::profile::FetchKnobs::same_origin_preflight_skips_cors_check`]);
/// a constant, so that the usual validation is compiled as it would be
/// without the choice.
pub(crate) fn validate_into<'r, const CORS_CHECK: bool>(
    actual: &ActualRequest<'r>,
    response: &'r Response,
    profile: &Profile,
    for_each_unsafe: impl FnOnce(&mut dyn FnMut(&'r [u8])),
    names_of_headers: bool,
    lists: &mut Listed<'r>,
) -> Result<Validated<'r>, Refusal> {
    let status = response.status;
    if is_redirect_status(status) {
        return Err(Refusal::PreflightDisallowedRedirect { status });
    }
    let h = &response.headers;
    // One pass over the response's headers finds the four this step reads.
    let mut allow_origin = Found::default();
    let mut allow_methods = Found::default();
    let mut allow_headers_found = Found::default();
    let mut max_age_found = Found::default();
    for hdr in h {
        let found = match hdr.name.len() {
            27 if header::eq_lower(hdr.name, b"access-control-allow-origin") => &mut allow_origin,
            28 if header::eq_lower(hdr.name, b"access-control-allow-methods") => &mut allow_methods,
            28 if header::eq_lower(hdr.name, b"access-control-allow-headers") => {
                &mut allow_headers_found
            }
            22 if header::eq_lower(hdr.name, b"access-control-max-age") => &mut max_age_found,
            _ => continue,
        };
        found.count += 1;
        found.first.get_or_insert(hdr.value);
    }
    if CORS_CHECK {
        crate::cors::cors_check_found(
            actual.origin,
            actual.credentials,
            h,
            allow_origin.first,
            allow_origin.count > 1,
        )
        .map_err(Refusal::PreflightCorsCheck)?;
    }
    if !is_ok_status(status) {
        return Err(Refusal::PreflightInvalidStatus { status });
    }
    // Step 7.1-7.3: both lists must parse; scanned once here, without
    // building them.
    // Read straight into the caller's lists (no copy of them later).
    let (mut method_listed, mut method_star) = (false, false);
    let mut on_method = |t: &'r [u8]| {
        method_listed |= crate::origin::short_eq(t, actual.method);
        method_star |= t == b"*";
        if let Some(slot) = lists.methods.get_mut(lists.n_methods) {
            *slot = t;
        }
        lists.n_methods += 1;
    };
    let methods_ok = match allow_methods.count {
        0 => true,
        1 => {
            header::for_each_token(allow_methods.first.unwrap_or_default(), &mut on_method).is_ok()
        }
        _ => tokens_of(h, b"access-control-allow-methods", &mut on_method),
    };
    if !methods_ok {
        return Err(Refusal::InvalidAllowMethodsPreflightResponse {
            value: h.get(b"access-control-allow-methods").unwrap_or_default(),
        });
    }
    // The allowed names, kept on the stack while there are few (the usual
    // case), so each later lookup is a short scan.
    let mut header_star = false;
    let mut on_header = |t: &'r [u8]| {
        header_star |= t == b"*";
        if let Some(slot) = lists.names.get_mut(lists.n_names) {
            *slot = t;
        }
        lists.n_names += 1;
    };
    let headers_ok = match allow_headers_found.count {
        0 => true,
        1 => header::for_each_token(
            allow_headers_found.first.unwrap_or_default(),
            &mut on_header,
        )
        .is_ok(),
        _ => tokens_of(h, b"access-control-allow-headers", &mut on_header),
    };
    if !headers_ok {
        return Err(Refusal::InvalidAllowHeadersPreflightResponse {
            value: h.get(b"access-control-allow-headers").unwrap_or_default(),
        });
    }
    // Step 7.4.
    let implied_method =
        (allow_methods.count == 0 && actual.use_cors_preflight).then_some(actual.method);
    method_listed |= implied_method.is_some();
    let include = actual.credentials == CredentialsMode::Include;
    // Step 7.5.
    if !method_listed
        && !method::is_cors_safelisted_method(actual.method)
        && (include || !method_star)
    {
        return Err(Refusal::MethodDisallowedByPreflightResponse {
            method: actual.method.to_vec(),
            wildcard_with_credentials: include && method_star,
        });
    }
    let listed = |name: &[u8]| match lists.names.get(..lists.n_names) {
        // The length and first letter first: they rule out most names
        // without comparing the rest.
        Some(names) => names.iter().any(|t| {
            t.len() == name.len()
                && t.first().map(|b| b | 0x20) == name.first().map(|b| b | 0x20)
                && header::eq_ignore_case(t, name)
        }),
        None => listed_again(h, name),
    };
    let check_authorization = !profile.wildcard_covers_authorization;
    let check_names = include || !header_star;
    // Step 7.6: `Authorization` is never covered by `*` (unless the
    // profile says so).
    let step_7_6 = || {
        for hdr in actual.headers {
            if header::is_cors_non_wildcard_request_header_name(hdr.name) && !listed(hdr.name) {
                return Err(Refusal::HeaderDisallowedByPreflightResponse {
                    name: hdr.name.to_ascii_lowercase(),
                    wildcard_not_applicable: header_star,
                });
            }
        }
        Ok(())
    };
    // When the unsafe names are those of `actual.headers` and the profile
    // never safelists `Authorization`, every `Authorization` header is
    // among them: once step 7.7 finds every unsafe name listed, step 7.6
    // has nothing to refuse, and is asked only when a name is missing.
    let folded = check_names && names_of_headers && !profile.may_safelist_authorization();
    if check_authorization && !folded {
        step_7_6()?;
    }
    // Step 7.7: checked without building the sorted list; on a failure the
    // first missing name in sorted order is reported.
    if check_names {
        // The first missing name in sorted order, kept as the names go by.
        let mut first_missing: Option<&[u8]> = None;
        for_each_unsafe(&mut |n| {
            if !listed(n) && first_missing.is_none_or(|m| header::cmp_ignore_case(n, m).is_lt()) {
                first_missing = Some(n);
            }
        });
        if let Some(first) = first_missing {
            if check_authorization && folded {
                step_7_6()?;
            }
            // When the names are the headers' own, the first missing one
            // is the one just found: `actual.headers` need not hold every
            // header the names came from (the fetch's `Accept: */*` may be
            // counted without being in the list).
            let name = if names_of_headers {
                first.to_ascii_lowercase()
            } else {
                unsafe_header_names(actual.headers, profile)
                    .into_iter()
                    .find(|n| !listed(n))
                    .unwrap_or_default()
            };
            return Err(Refusal::HeaderDisallowedByPreflightResponse {
                name,
                wildcard_not_applicable: include && header_star,
            });
        }
    }
    // Step 7.8-7.10.
    let max_age = if max_age_found.count <= 1 {
        profile.max_age(max_age_found.first.into_iter())
    } else {
        profile.max_age(h.values(b"access-control-max-age"))
    };
    Ok(Validated {
        headers: h,
        implied_method,
        max_age,
        fits: lists.n_methods <= LISTED && lists.n_names <= LISTED,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Step 7.7 finds every unsafe name among the allowed ones ignoring
    /// case (the length and first letter asked first), whether the list
    /// fits the lists validation keeps or is read again, and refuses with
    /// the first missing name in sorted order.
    #[test]
    fn unsafe_names_must_be_listed_in_any_case() {
        let profile = Profile::spec();
        let pool = [
            "x-h1",
            "X-H1",
            "x-h2",
            "Y-H2",
            "x-h10",
            "^a",
            "~a",
            "content-type",
        ];
        let mut rng = crate::test_rng::Xorshift::new(0x2545_F491_4F6C_DD1D);
        let mut next = |n: usize| rng.below(n);
        for _ in 0..2_000 {
            let asked: Vec<&str> = (0..1 + next(3)).map(|_| pool[next(pool.len())]).collect();
            let filler = [0usize, 3, 20][next(3)];
            let mut allowed: Vec<String> = (0..filler).map(|i| format!("x-f{i}")).collect();
            for _ in 0..next(4) {
                let at = next(allowed.len() + 1);
                allowed.insert(at, pool[next(pool.len())].to_string());
            }
            let headers: HeaderList = asked.iter().map(|n| (*n, "1")).collect();
            let actual = ActualRequest {
                method: b"GET",
                headers: &headers,
                credentials: CredentialsMode::Omit,
                use_cors_preflight: false,
                origin: b"https://a.example",
            };
            let response = Response::new(204)
                .with_header("Access-Control-Allow-Origin", "*")
                .with_header("Access-Control-Allow-Headers", allowed.join(", "));
            let missing: Vec<String> = {
                let mut m: Vec<String> = asked
                    .iter()
                    .map(|n| n.to_ascii_lowercase())
                    .filter(|n| !allowed.iter().any(|a| a.eq_ignore_ascii_case(n)))
                    .collect();
                m.sort();
                m
            };
            match validate_preflight_response(&actual, &response, &profile) {
                Ok(_) => assert!(missing.is_empty(), "{asked:?} {allowed:?}"),
                Err(Refusal::HeaderDisallowedByPreflightResponse { name, .. }) => {
                    assert_eq!(
                        Some(&String::from_utf8_lossy(&name).into_owned()),
                        missing.first()
                    )
                }
                Err(e) => panic!("{e:?}"),
            }
        }
    }

    /// Steps 7.6 and 7.7 answer, in the standard's order, as a plain
    /// reading of them: `Authorization` unlisted first, then the first
    /// unsafe name unlisted in sorted order, `*` covering names but not
    /// `Authorization` (unless the profile says so), and not for a
    /// credentialed request; over profiles that do and do not let `*`
    /// cover `Authorization`, one whose extra safelist holds
    /// `Authorization` (then step 7.6 is asked first, not only on a
    /// missing name), both credentials modes, and lists with and without
    /// `*`.
    #[test]
    fn authorization_then_names_in_order() {
        use crate::profile::{ExtraSafelisted, ValueRule};
        static SAFE_AUTHORIZATION: [ExtraSafelisted; 1] = [ExtraSafelisted {
            name: "authorization",
            value: ValueRule::Any,
        }];
        let profiles = [
            Profile::spec(),
            Profile::chromium(),
            Profile {
                wildcard_covers_authorization: true,
                ..Profile::spec()
            },
            Profile {
                extra_safelisted_request_headers: &SAFE_AUTHORIZATION,
                ..Profile::spec()
            },
        ];
        let pool = [
            "Authorization",
            "authorization",
            "x-a",
            "X-B",
            "content-type",
        ];
        let allow = ["*", "AUTHORIZATION", "x-a", "x-b", "Content-Type", "x-c"];
        let origin = "https://a.example";
        let mut rng = crate::test_rng::Xorshift::new(0x9E37_79B9_7F4A_7C15);
        let mut next = |n: usize| rng.below(n);
        let mut refused = [0usize; 2];
        for round in 0..8_000 {
            let profile = &profiles[round % profiles.len()];
            let asked: Vec<&str> = (0..1 + next(3)).map(|_| pool[next(pool.len())]).collect();
            let allowed: Vec<&str> = (0..next(4)).map(|_| allow[next(allow.len())]).collect();
            let include = next(2) == 1;
            let headers: HeaderList = asked.iter().map(|n| (*n, "1")).collect();
            let actual = ActualRequest {
                method: b"GET",
                headers: &headers,
                credentials: if include {
                    CredentialsMode::Include
                } else {
                    CredentialsMode::Omit
                },
                use_cors_preflight: false,
                origin: origin.as_bytes(),
            };
            let response = Response::new(204)
                .with_header("Access-Control-Allow-Origin", origin)
                .with_header("Access-Control-Allow-Credentials", "true")
                .with_header("Access-Control-Allow-Headers", allowed.join(","));
            // The plain reading.
            let star = allowed.contains(&"*");
            let listed = |n: &str| allowed.iter().any(|a| a.eq_ignore_ascii_case(n));
            let unsafe_names: Vec<Vec<u8>> = crate::request::unsafe_header_names(&headers, profile);
            let expected = if !profile.wildcard_covers_authorization
                && asked
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case("authorization") && !listed(n))
            {
                Some((b"authorization".to_vec(), star))
            } else if include || !star {
                unsafe_names
                    .iter()
                    .find(|n| !listed(&String::from_utf8_lossy(n)))
                    .map(|n| (n.clone(), include && star))
            } else {
                None
            };
            let got = match validate_preflight_response(&actual, &response, profile) {
                Ok(_) => None,
                Err(Refusal::HeaderDisallowedByPreflightResponse {
                    name,
                    wildcard_not_applicable,
                }) => Some((name, wildcard_not_applicable)),
                Err(e) => panic!("{e:?}"),
            };
            assert_eq!(got, expected, "{asked:?} {allowed:?} {include} {round}");
            refused[usize::from(got.is_some())] += 1;
        }
        // Both answers are asked often.
        assert!(refused.iter().all(|&n| n > 1_000), "{refused:?}");
    }

    /// The lists a successful validation hands the cache
    /// ([`Validated::with_lists`]) are [`PreflightResult::methods`] and
    /// [`PreflightResult::header_names`], whether they fit the lists
    /// validation keeps or not, in one header or several, with the method
    /// implied or not.
    #[test]
    fn lists_for_the_cache_are_the_allowed_ones() {
        let profile = Profile::spec();
        let headers = HeaderList::new();
        for n_methods in [0usize, 1, 15, 16, 17, 40] {
            for n_names in [0usize, 1, 16, 17, 40] {
                for split in [false, true] {
                    let methods: Vec<String> = (0..n_methods).map(|i| format!("M{i}")).collect();
                    let names: Vec<String> = (0..n_names).map(|i| format!("x-h{i}")).collect();
                    let mut response =
                        Response::new(204).with_header("Access-Control-Allow-Origin", "*");
                    for (name, list) in [
                        ("Access-Control-Allow-Methods", &methods),
                        ("Access-Control-Allow-Headers", &names),
                    ] {
                        if list.is_empty() {
                            continue;
                        }
                        if split {
                            let (a, b) = list.split_at(list.len() / 2);
                            response = response
                                .with_header(name, a.join(", "))
                                .with_header(name, format!(" , {},", b.join(" ,")));
                        } else {
                            response = response.with_header(name, list.join(","));
                        }
                    }
                    let actual = ActualRequest {
                        method: if n_methods > 0 { b"M0" } else { b"PUT" },
                        headers: &headers,
                        credentials: CredentialsMode::Omit,
                        use_cors_preflight: n_methods == 0,
                        origin: b"https://a.example",
                    };
                    let result = validate_preflight_response(&actual, &response, &profile)
                        .unwrap_or_else(|e| panic!("{e:?} {n_methods} {n_names} {split}"));
                    let mut lists = Listed::new();
                    let v = validate_into::<true>(
                        &actual,
                        &response,
                        &profile,
                        |f| crate::request::for_each_unsafe_header(&headers, &profile, f),
                        true,
                        &mut lists,
                    )
                    .unwrap_or_else(|e| panic!("{e:?}"));
                    v.with_lists(&lists, |m, h| {
                        assert_eq!(m, result.methods(), "{n_methods} {n_names} {split}");
                        assert_eq!(h, result.header_names(), "{n_methods} {n_names} {split}");
                    });
                    assert_eq!(v.max_age, result.max_age);
                    assert_eq!(result.methods().len(), n_methods.max(1));
                    assert_eq!(result.header_names().len(), n_names);
                }
            }
        }
    }
}
