//! Browser profiles: where Chromium, Firefox and WebKit depart from the
//! standard, as data. Each rule module reads the knobs it needs; no rule
//! asks which browser it is.

/// How a browser treats `Access-Control-Max-Age` and sizes its
/// CORS-preflight cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheKnobs {
    /// Seconds used when the header is absent or does not parse
    /// (`fetch#cors-preflight-fetch-0`: 5). `0` means "not cached".
    pub max_age_default: u64,
    /// Seconds used for a negative value (`-1`); `None` treats it as any
    /// other value that does not parse.
    pub max_age_negative: Option<u64>,
    /// The imposed limit on max-age, in seconds (the standard allows one).
    pub max_age_cap: Option<u64>,
    /// Whether `+600` reads as 600 (the standard's `delta-seconds` is
    /// digits only). Chromium: yes, its `StringToInt64` takes a sign
    /// (`services/network/cors/preflight_result.cc`; recorded in Chromium
    /// 156, `spec-vectors/browsers/chromium.json`,
    /// `cache/max-age-invalid-plus-sign-defaults-to-5`).
    pub max_age_plus_sign: bool,
    /// Seconds used for a value that is present, not empty, and does not
    /// parse; `None` uses [`CacheKnobs::max_age_default`] (the standard).
    /// Firefox: 0 (not cached), while an absent or empty value gets 5 s
    /// (recorded in Firefox ESR 153: `cache/max-age-absent-defaults-to-5`,
    /// `cache/max-age-invalid-empty-defaults-to-5`).
    pub max_age_unparsable: Option<u64>,
    /// The largest number of seconds that parses; a larger value is read
    /// as one that does not parse ([`CacheKnobs::max_age_unparsable`]).
    /// The standard: no limit (`delta-seconds` is any run of digits).
    /// Chromium and WebKit: `i64::MAX`, where their integer parsers fail
    /// (Chromium's `StringToInt64` in
    /// `services/network/cors/preflight_result.cc`; recorded in Chromium
    /// 156 and WebKitGTK 2.50: `cache/max-age-beyond-63-bits-still-cached`
    /// is preflighted again after 7 s, `cache/max-age-beyond-32-bits-still-cached`
    /// is not).
    pub max_age_parse_limit: Option<u64>,
    /// Whether a cached `*` method or header name matches any method or
    /// name (`fetch#concept-cache-match-method`); Firefox: no, a cached
    /// `*` is only the name `*` (recorded in Firefox ESR 153:
    /// `cache/star-method-entry-serves-any-method-uncredentialed`).
    pub wildcards: bool,
    /// Whether an entry serves only requests of its own credentials mode;
    /// the standard lets a credentialed entry serve uncredentialed
    /// requests too. Firefox: yes, its cache key holds the credentials
    /// flag (recorded: `cache/credentialed-entry-serves-uncredentialed`).
    pub credentials_exact: bool,
    /// Whether a preflight whose max-age reads as 0 still updates the
    /// cache: the standard sets every matching entry's max-age to 0 (so
    /// they end) and creates entries that end at once
    /// (`fetch#cors-preflight-fetch-0`, the last steps). Firefox: no, the
    /// cache is left as it was, so an earlier entry keeps its longer
    /// max-age (gecko's `nsCORSPreflightListener::AddResultToCache`
    /// returns before touching the cache when the age is 0; recorded in
    /// Firefox ESR 153: `cache/later-preflight-shortens-existing-entry`).
    pub zero_max_age_updates: bool,
    /// Whether a `HEAD` request needs a method entry to be served by the
    /// cache, like a method that is not CORS-safelisted; the standard asks
    /// only for its header names (`fetch#http-fetch`: `HEAD` is
    /// safelisted). Firefox: yes, its cache lookup spares only `GET` and
    /// `POST` (gecko's `nsPreflightCache::CacheEntry::CheckRequest`;
    /// recorded in Firefox ESR 153: `cache/head-with-unsafe-header-needs-only-header-entry`
    /// is preflighted again, `cache/head-listed-in-allow-methods-cached`
    /// is not).
    pub head_needs_method_entry: bool,
    /// Whether a preflight made for a page of an opaque origin is cached
    /// (the standard keys entries by the serialized origin, `null`).
    /// Chromium: no, each fetch from a sandboxed page is preflighted again
    /// (recorded in Chromium 156: `cache/opaque-origin-entry-reused`; its
    /// cache is keyed by the network isolation key, which is transient for
    /// an opaque top-level site, as the page in that recording is).
    pub opaque_origin_cached: bool,
    /// The most cache records (one per origin, URL, credentials and
    /// partition); `None` is unbounded apart from [`CacheKnobs::memory_limit`].
    pub capacity: Option<usize>,
    /// What to drop when the cache is full.
    pub eviction: Eviction,
    /// URLs this long or longer are never cached.
    pub max_url_len: Option<usize>,
    /// A hard bound on the cache's memory, in bytes, whatever the profile:
    /// the cache evicts (expired first, then least recently used) above it.
    pub memory_limit: usize,
}

/// Where a browser builds requests or follows redirects otherwise than the
/// standard. Each was seen in the browser itself (the recordings in
/// `spec-vectors/browsers/`) and is pinned by `spec-vectors/profile/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FetchKnobs {
    /// A network error in main fetch's preflight branch clears the
    /// preflight cache entries for the origin and URL (`fetch#main-fetch`);
    /// this knob says whether that holds after the preflight passed (the
    /// actual request failing, its CORS check included). A failed
    /// preflight clears them in every profile. Chromium: no, its
    /// `CorsURLLoader` leaves the cache alone once the preflight passed.
    pub clear_cache_after_actual_failure: bool,
    /// Whether a failed preflight clears them (`fetch#main-fetch`: yes).
    /// WebKit: no, an earlier entry still answers the next request.
    pub clear_cache_after_failed_preflight: bool,
    /// Whether a CORS request outside the preflight branch (a simple
    /// one) clears the entries for the origin and URL too, when its
    /// response fails the CORS check or it ends in a network error; the
    /// standard clears them only in the preflight branch. Firefox: yes,
    /// gecko's `nsCORSListenerProxy::OnStartRequest` removes them whenever
    /// a cross-origin request is not approved (recorded in Firefox ESR
    /// 153: `cache/simple-request-failure-does-not-clear`).
    pub clear_cache_outside_preflight_branch: bool,
    /// A non-CORS request that is not `GET`/`HEAD` sends `Origin: null`
    /// when its referrer policy would hide the origin
    /// (`fetch#append-a-request-origin-header`). Chromium: no, it sends the
    /// origin whatever the policy.
    pub origin_null_by_referrer_policy: bool,
    /// Once a redirect leads to a URL of another origin than the URL before
    /// it, a request whose response tainting is not `cors` sends
    /// `Origin: null` from then on. Chromium: yes (`net::RedirectUtil`
    /// nulls the `Origin` of a cross-origin redirect); the standard keeps
    /// the origin unless the request is tainted.
    pub origin_null_after_cross_origin_redirect: bool,
    /// A redirect status without `Location` is an ordinary response in the
    /// `error` redirect mode too (`manual` still gives an opaque-redirect);
    /// the standard fails it. Chromium and WebKit: yes (their network
    /// stacks see no redirect).
    pub redirect_needs_location: bool,
    /// What an empty `Location` does.
    pub empty_location: EmptyLocation,
    /// `Authorization` still counts among the CORS-unsafe request headers
    /// after a redirect to another origin: later hops are preflighted for
    /// it (`Access-Control-Request-Headers` names it, and the preflight
    /// must allow it), though no later request sends it. The standard
    /// removes it (`fetch#http-redirect-fetch`, step 13), so it is neither
    /// preflighted nor sent. WebKit: yes (recorded in WebKitGTK 2.50:
    /// `redirect/headers/authorization-removed-same-to-cross-origin-no-preflight`
    /// preflights for `authorization` and sends the `GET` without it).
    pub authorization_preflighted_after_cross_origin_redirect: bool,
    /// Several `Location` headers are one URL reference, their values
    /// joined by `, `; the standard fails the redirect. WebKit: yes.
    pub multiple_locations_combined: bool,
    /// A redirect to a URL with a username or password is a network error
    /// in every mode. Chromium: yes; the standard allows it where the
    /// request is not CORS.
    pub redirect_to_userinfo_fails: bool,
    /// Request headers of one name are combined (`a, b`) before the CORS
    /// safelist checks each value and the 1024-byte total; the standard
    /// checks each header on its own. Chromium: yes (its header map holds
    /// one value a name).
    pub combine_request_headers: bool,
    /// After a redirect rewrote the method to `GET` (301/302 `POST`, 303),
    /// the request keeps the `Origin` header its first method gave it;
    /// the standard sends none on a non-CORS `GET`. WebKit: yes.
    pub origin_kept_after_method_rewrite: bool,
    /// A preflight's `Origin` is the request's origin even once a redirect
    /// tainted it (the actual request still sends `null`), and the
    /// preflight response is checked and cached against it; the standard
    /// uses the serialized, tainted origin for both. Firefox: yes.
    pub preflight_origin_untainted: bool,
    /// A preflight to a URL same origin with the request's origin (which
    /// a CORS request reaches only through a redirect) is not CORS-checked:
    /// its `Access-Control-Allow-Origin` and `-Credentials` are not read,
    /// while its status, `Access-Control-Allow-Methods` and `-Headers` are
    /// (`fetch#cors-preflight-fetch-0` step 7 runs the CORS check on every
    /// preflight). Firefox: yes, the preflight's own `nsCORSListenerProxy`
    /// (gecko `netwerk/protocol/http/nsCORSListenerProxy.cpp`) starts from
    /// the page's principal, so `UpdateChannel` finds the URL same origin
    /// and never marks the load cross-site, and `CheckRequestApproved`
    /// then approves it unread; `nsCORSPreflightListener::CheckPreflightRequestApproved`
    /// checks the rest. Recorded in Firefox ESR 153:
    /// `redirect/preflight/actual-307-back-to-page-origin-is-preflighted`
    /// and `redirect/headers/authorization-removed-when-redirected-back-to-page-origin`
    /// pass a preflight that allows only `null`, sent with the page's origin.
    pub same_origin_preflight_skips_cors_check: bool,
    /// After a redirect of a request that went through the preflight
    /// branch, every later hop is preflighted again for the CORS-unsafe
    /// names the request had before the redirect (body headers included,
    /// though a 302/303 rewrite no longer sends them); the standard
    /// preflights a later hop only for what is still unsafe. WebKit: yes,
    /// seen on 302 and 303 within an origin and on 307 and 308 across
    /// origins (WebKit/WebKit `NetworkLoadChecker::checkCORSRequestWithPreflight`
    /// clears the request's "simple" flag for good, and
    /// `NetworkLoadChecker::checkCORSRequest` then preflights every later
    /// hop with the request's first headers).
    pub repreflight_once_preflighted: bool,
    /// A redirect to another origin than the URL before it (scheme, host
    /// or port) turns a `DELETE` into a `GET` without body, in every mode
    /// and whether or not the request was preflighted; the standard keeps
    /// the method on every status but 303 (and 301/302 `POST`,
    /// `fetch#http-redirect-fetch` step 12). WebKitGTK: yes, its network
    /// layer's `shouldRedirectAsGET` (WebKit/WebKit
    /// `Source/WebKit/NetworkProcess/soup/NetworkDataTaskSoup.cpp`, called
    /// from `NetworkDataTaskSoup::continueHTTPRedirection`) rewrites a
    /// cross-origin `DELETE`; recorded in WebKitGTK 2.50:
    /// `redirect/preflight/same-origin-delete-redirected-cross-origin-gets-preflight`
    /// sends a `GET`, unpreflighted, after a same-origin `DELETE`'s 307.
    pub cross_origin_redirect_delete_becomes_get: bool,
    /// The CORS check of a redirect response (from a URL the request
    /// reached once it was a CORS request) is made as if the credentials
    /// mode were `include` (`Access-Control-Allow-Origin` must be the
    /// origin, not `*`, and `Access-Control-Allow-Credentials: true`) when
    /// the request would have sent credentials to its first URL: its
    /// credentials mode is `same-origin` and its first URL is same origin
    /// with its origin. The standard checks with the request's credentials
    /// mode (`fetch#cors-check`), as the final response is checked in
    /// every profile. WebKit: yes, its web process checks a redirect with
    /// the stored-credentials policy set when the load started
    /// (WebKit/WebKit `SubresourceLoader::checkRedirectionCrossOriginAccessControl`,
    /// the policy from the `DocumentThreadableLoader` constructor);
    /// recorded in WebKitGTK 2.50:
    /// `redirect/location/second-hop-relative-resolves-against-second-url`
    /// and `redirect/cors/same-cross-same-round-trip-origin-null-type-cors`
    /// fail on the cross-origin hop's redirect, which has no
    /// `Access-Control-Allow-Credentials`.
    pub redirect_cors_check_uses_initial_credentials: bool,
    /// A request that was CORS-unsafe before a redirect (its method or a
    /// header, `Authorization` included) is preflighted again on every
    /// later hop, listing the names it still has; the standard preflights
    /// a later hop only for what is still unsafe. Firefox: yes, seen after
    /// `Authorization` was dropped on a cross-origin redirect and after a
    /// 302/303 rewrite to `GET`.
    pub repreflight_after_redirect: bool,
    /// Once the safelisted headers' values pass 1024 bytes together, they
    /// are all CORS-unsafe (`fetch#cors-unsafe-request-header-names`).
    /// Firefox: no such total (recorded in Firefox ESR 153:
    /// `decision/headers/safelisted-total-over-1024-makes-all-safelisted-names-unsafe`).
    pub safelisted_total_limit: bool,
    /// Whether a preflight's `Access-Control-Request-Headers` names each
    /// CORS-unsafe name once (`fetch#cors-unsafe-request-header-names`
    /// makes them a sorted, lower-case set). Firefox: no, it lists a name
    /// once for each header of the request that has it, sorted and lower
    /// case (gecko gathers the unsafe names header by header; recorded in
    /// Firefox ESR 153: `decision/headers/names-lowercased-sorted-deduplicated`
    /// sends `x-alpha,x-alpha,x-mid,x-zeta`).
    pub request_header_names_deduplicated: bool,
    /// The largest first or last byte position a safelisted `Range`
    /// value may give; a larger one makes the header CORS-unsafe. The
    /// standard: none (`fetch#simple-range-header-value` reads any run of
    /// digits as a number). Chromium: `i64::MAX - 1`; Firefox and WebKit:
    /// `u64::MAX`, what fits their integers (recorded in Chromium 156,
    /// Firefox ESR 153 and WebKitGTK 2.50: `decision/range/end-i64-max-minus-1-safelisted`
    /// and `decision/range/end-at-u64-max-safelisted`, the positions past
    /// them preflighted).
    pub range_position_max: Option<u64>,
    /// Whether a safelisted `Range` value's unit `bytes` may be in any
    /// case; the standard asks for `bytes` as written. WebKit: yes
    /// (recorded in WebKitGTK 2.50: `decision/range/unit-capitalized-not-safelisted`
    /// and `decision/range/unit-upper-case-not-safelisted` are sent
    /// without a preflight).
    pub range_unit_any_case: bool,
    /// Whether a `Content-Type` value with a comma is CORS-unsafe
    /// whatever it names; the standard parses the whole value as one MIME
    /// type, where a comma may sit in a parameter's value. Firefox: yes,
    /// gecko's `net_ParseRequestContentType` gives no type when the value
    /// has a comma outside quotes (recorded in Firefox ESR 153:
    /// `decision/content-type/comma-inside-parameter-safelisted` is
    /// preflighted).
    pub content_type_comma_unsafe: bool,
    /// Whether a tab in a redirect's `Location` is percent-encoded
    /// (`%09`) before the value is parsed; the URL parser of the standard
    /// removes tabs (`url#concept-basic-url-parser`; whatwg/fetch issue 883
    /// on how browsers treat such characters). Firefox: yes, so a tab
    /// in the host fails the redirect and one in the path or query stays
    /// as `%09` (recorded in Firefox ESR 153: the five
    /// `redirect/location/tab-inside-*` scenarios).
    pub location_tab_percent_encoded: bool,
    /// Whether a redirect's `Location` bytes are read one code point a
    /// byte (isomorphic decoding, as Latin-1) rather than as UTF-8, which
    /// Chromium and Firefox use (the standard parses the header value
    /// without naming a decoding: whatwg/fetch issue 843). WebKit: yes, so
    /// `/é` sent as UTF-8 is followed to `/%C3%83%C2%A9` (recorded in
    /// WebKitGTK 2.50: `redirect/location/utf8-path-percent-encoded`,
    /// `utf8-query-percent-encoded`, `utf8-host-to-punycode`).
    pub location_isomorphic_decoded: bool,
    /// Whether a `*` in `Access-Control-Expose-Headers`, read before a
    /// token that does not parse, still exposes every header to a request
    /// without credentials; the standard: a list that does not parse
    /// exposes nothing beyond the safelisted names
    /// (`fetch#concept-response-cors-exposed-header-name-list`). Firefox:
    /// yes, gecko reads the tokens in order and stops at the first invalid
    /// one, keeping a `*` it has seen (recorded in Firefox ESR 153:
    /// `expose/expose/star-beside-unparsable-exposes-nothing-extra` and
    /// two more expose all, `unparsable-before-star-exposes-nothing-extra`
    /// does not).
    pub expose_star_before_parse_error: bool,
    /// Whether the response of a `data:` URL carries `Content-Length` (the
    /// decoded body's length) beside `Content-Type`; the standard gives it
    /// only `Content-Type` (`fetch#scheme-fetch`). Firefox: yes (recorded
    /// in Firefox ESR 153: every `decision/data-url/*` scenario that
    /// succeeds shows it).
    pub data_url_content_length: bool,
    /// Whether a fetch of `about:blank` (reached in `no-cors` mode) gets
    /// the empty `text/html;charset=utf-8` response of
    /// `fetch#concept-scheme-fetch`; otherwise it is a network error.
    /// Firefox: yes; Chromium and WebKit: no (recorded in all three:
    /// `decision/scheme/about-blank-no-cors-opaque`).
    pub about_blank_fetchable: bool,
    /// Whether a page of a potentially trustworthy origin is refused an
    /// `http:` URL on a loopback or `localhost` host as mixed content; the
    /// standard counts such URLs as potentially trustworthy
    /// (`secure-contexts#is-origin-trustworthy`), so they are allowed.
    /// WebKit: yes (recorded in WebKitGTK 2.50:
    /// `decision/mixed-content/https-page-to-http-localhost-allowed` is
    /// refused without a request).
    pub mixed_content_blocks_localhost: bool,
    /// Whether a preflight to a URL that gets no fetch metadata headers
    /// (see [`SecFetch`]) still carries `Sec-Fetch-Mode: cors`, alone.
    /// Chromium: yes (recorded in Chromium 156: every preflight to an
    /// `http:` URL, e.g. `wpt/cors/cors-safelisted-request-header/*`).
    pub preflight_sec_fetch_mode_always: bool,
    /// Whether a preflight's `Sec-Fetch-Site` compares only the
    /// preflight's own URL with the request's origin. The standard gives
    /// the preflight a clone of the request's URL list
    /// (`fetch#cors-preflight-fetch-0` step 1), so after a redirect every
    /// URL the request went through counts. Chromium and Firefox: yes
    /// (recorded: `redirect/preflight/actual-307-back-to-page-origin-is-preflighted`
    /// sends `same-origin` on the preflight to the page's origin; WebKit
    /// sends `cross-site`, as written).
    pub preflight_sec_fetch_site_own_url: bool,
    /// Whether a request that gets the fetch metadata headers, is
    /// cross-site (`Sec-Fetch-Site: cross-site`) and whose credentials mode
    /// is `include` carries `Sec-Fetch-Storage-Access: none` (the Storage
    /// Access Headers draft; `none`: the page holds no storage-access
    /// permission, as in a fresh browser profile). The Fetch Standard has
    /// no such header. Chromium and Firefox: yes, same-site requests
    /// excepted (recorded: `metadata/storage-access/*`,
    /// `expose/opaque/nothing-visible-with-credentials`); WebKit: no.
    pub sec_fetch_storage_access: bool,
    /// With [`FetchKnobs::sec_fetch_storage_access`], whether the preflight
    /// of such a request carries it too. Firefox: yes; Chromium: no (a
    /// preflight's own credentials mode is `omit`). Recorded:
    /// `cache/credentialed-entry-serves-credentialed`.
    pub sec_fetch_storage_access_on_preflight: bool,
    /// With [`FetchKnobs::sec_fetch_storage_access`], whether a request
    /// whose origin is tainted by a redirect (`Origin: null`) carries it.
    /// Chromium: yes; Firefox: no (recorded:
    /// `redirect/cors/credentials-include-redirect-origin-null-with-allow-credentials`
    /// sends it on the first hop only, while
    /// `metadata/storage-access/same-host-redirect-credentialed` and
    /// `metadata/storage-access/same-origin-to-cross-site-redirect-credentialed`,
    /// untainted, send it on both).
    pub sec_fetch_storage_access_when_tainted: bool,
    /// Whether a `cors`-mode request that a redirect took to another
    /// origin than the URL before it goes without the fetch metadata
    /// headers (preflights keep them, and so does a later hop within one
    /// origin). WebKit: yes (recorded in WebKitGTK 2.50:
    /// `metadata/redirect/cross-origin-hop-then-same-host-hop` sends none
    /// on its second request and all three on its third;
    /// `metadata/redirect/no-cors-cross-origin-hop-keeps-metadata` keeps
    /// them in `no-cors` mode).
    pub cross_origin_redirect_drops_sec_fetch: bool,
    /// Whether the referrer policy counts a request from an `https:` page
    /// to any URL that is not `https:` as a downgrade (so the policies
    /// that withhold the referrer on a downgrade, the default
    /// `strict-origin-when-cross-origin` among them, send no `Referer`).
    /// The Referrer Policy standard counts only a URL that is not
    /// potentially trustworthy, so `http://localhost`, `http://127.0.0.1`
    /// and `http://*.localhost` get the referrer. Chromium and Firefox: yes
    /// (recorded: `decision/mixed-content/https-page-to-http-localhost-allowed`,
    /// `-loopback-ip-allowed` and `-sub-localhost-allowed` go without
    /// `Referer`); WebKit refuses those requests as mixed content
    /// ([`FetchKnobs::mixed_content_blocks_localhost`]), so its answer is
    /// not seen and its profile keeps the standard's.
    pub referrer_downgrade_unless_https: bool,
}

/// What a redirect whose `Location` is empty does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmptyLocation {
    /// It resolves to the current URL (the standard; a loop to the limit).
    ResolvesToSelf,
    /// It is no redirect: the response is final, outside `manual` mode
    /// (Chromium).
    NoRedirect,
    /// It is a network error (WebKit).
    Fails,
}

impl FetchKnobs {
    /// Whether the profile sends the fetch metadata headers otherwise than
    /// Fetch Metadata as written (the `Sec-Fetch-*` knobs).
    #[inline]
    pub(crate) fn sec_fetch_departs(&self) -> bool {
        self.preflight_sec_fetch_mode_always
            || self.preflight_sec_fetch_site_own_url
            || self.sec_fetch_storage_access
            || self.cross_origin_redirect_drops_sec_fetch
    }

    /// Whether the profile judges a `Range` or `Content-Type` value
    /// otherwise than the standard.
    #[inline]
    pub(crate) fn safelist_departs(&self) -> bool {
        self.range_position_max.is_some()
            || self.range_unit_any_case
            || self.content_type_comma_unsafe
    }

    /// The standard as written.
    pub const SPEC: FetchKnobs = FetchKnobs {
        clear_cache_after_actual_failure: true,
        clear_cache_after_failed_preflight: true,
        clear_cache_outside_preflight_branch: false,
        origin_null_by_referrer_policy: true,
        origin_null_after_cross_origin_redirect: false,
        redirect_needs_location: false,
        empty_location: EmptyLocation::ResolvesToSelf,
        authorization_preflighted_after_cross_origin_redirect: false,
        multiple_locations_combined: false,
        redirect_to_userinfo_fails: false,
        combine_request_headers: false,
        origin_kept_after_method_rewrite: false,
        preflight_origin_untainted: false,
        same_origin_preflight_skips_cors_check: false,
        repreflight_once_preflighted: false,
        cross_origin_redirect_delete_becomes_get: false,
        redirect_cors_check_uses_initial_credentials: false,
        repreflight_after_redirect: false,
        safelisted_total_limit: true,
        request_header_names_deduplicated: true,
        range_position_max: None,
        range_unit_any_case: false,
        content_type_comma_unsafe: false,
        location_tab_percent_encoded: false,
        location_isomorphic_decoded: false,
        expose_star_before_parse_error: false,
        data_url_content_length: false,
        about_blank_fetchable: true,
        mixed_content_blocks_localhost: false,
        preflight_sec_fetch_mode_always: false,
        preflight_sec_fetch_site_own_url: false,
        sec_fetch_storage_access: false,
        sec_fetch_storage_access_on_preflight: false,
        sec_fetch_storage_access_when_tainted: false,
        cross_origin_redirect_drops_sec_fetch: false,
        referrer_downgrade_unless_https: false,
    };

    /// Chromium 156, as recorded.
    pub const CHROMIUM: FetchKnobs = FetchKnobs {
        clear_cache_after_actual_failure: false,
        clear_cache_after_failed_preflight: true,
        clear_cache_outside_preflight_branch: false,
        origin_null_by_referrer_policy: false,
        origin_null_after_cross_origin_redirect: true,
        redirect_needs_location: true,
        empty_location: EmptyLocation::NoRedirect,
        authorization_preflighted_after_cross_origin_redirect: false,
        multiple_locations_combined: false,
        redirect_to_userinfo_fails: true,
        combine_request_headers: true,
        origin_kept_after_method_rewrite: false,
        preflight_origin_untainted: false,
        same_origin_preflight_skips_cors_check: false,
        repreflight_once_preflighted: false,
        cross_origin_redirect_delete_becomes_get: false,
        redirect_cors_check_uses_initial_credentials: false,
        repreflight_after_redirect: false,
        safelisted_total_limit: true,
        request_header_names_deduplicated: true,
        range_position_max: Some(i64::MAX as u64 - 1),
        range_unit_any_case: false,
        content_type_comma_unsafe: false,
        location_tab_percent_encoded: false,
        location_isomorphic_decoded: false,
        expose_star_before_parse_error: false,
        data_url_content_length: false,
        about_blank_fetchable: false,
        mixed_content_blocks_localhost: false,
        preflight_sec_fetch_mode_always: true,
        preflight_sec_fetch_site_own_url: true,
        sec_fetch_storage_access: true,
        sec_fetch_storage_access_on_preflight: false,
        sec_fetch_storage_access_when_tainted: true,
        cross_origin_redirect_drops_sec_fetch: false,
        referrer_downgrade_unless_https: true,
    };

    /// Firefox ESR 153, as recorded.
    pub const FIREFOX: FetchKnobs = FetchKnobs {
        clear_cache_outside_preflight_branch: true,
        preflight_origin_untainted: true,
        same_origin_preflight_skips_cors_check: true,
        repreflight_after_redirect: true,
        safelisted_total_limit: false,
        request_header_names_deduplicated: false,
        range_position_max: Some(u64::MAX),
        content_type_comma_unsafe: true,
        location_tab_percent_encoded: true,
        expose_star_before_parse_error: true,
        data_url_content_length: true,
        preflight_sec_fetch_site_own_url: true,
        sec_fetch_storage_access: true,
        sec_fetch_storage_access_on_preflight: true,
        referrer_downgrade_unless_https: true,
        ..FetchKnobs::SPEC
    };

    /// WebKitGTK 2.50, as recorded.
    pub const WEBKIT: FetchKnobs = FetchKnobs {
        clear_cache_after_actual_failure: false,
        clear_cache_after_failed_preflight: false,
        clear_cache_outside_preflight_branch: false,
        origin_null_by_referrer_policy: true,
        origin_null_after_cross_origin_redirect: false,
        redirect_needs_location: true,
        empty_location: EmptyLocation::Fails,
        authorization_preflighted_after_cross_origin_redirect: true,
        multiple_locations_combined: true,
        redirect_to_userinfo_fails: false,
        combine_request_headers: true,
        origin_kept_after_method_rewrite: true,
        preflight_origin_untainted: false,
        same_origin_preflight_skips_cors_check: false,
        repreflight_once_preflighted: true,
        cross_origin_redirect_delete_becomes_get: true,
        redirect_cors_check_uses_initial_credentials: true,
        repreflight_after_redirect: false,
        safelisted_total_limit: true,
        request_header_names_deduplicated: true,
        range_position_max: Some(u64::MAX),
        range_unit_any_case: true,
        content_type_comma_unsafe: false,
        location_tab_percent_encoded: false,
        location_isomorphic_decoded: true,
        expose_star_before_parse_error: false,
        data_url_content_length: false,
        about_blank_fetchable: false,
        mixed_content_blocks_localhost: true,
        preflight_sec_fetch_mode_always: false,
        preflight_sec_fetch_site_own_url: false,
        sec_fetch_storage_access: false,
        sec_fetch_storage_access_on_preflight: false,
        sec_fetch_storage_access_when_tainted: false,
        cross_origin_redirect_drops_sec_fetch: true,
        referrer_downgrade_unless_https: false,
    };
}

/// What a full preflight cache drops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eviction {
    /// Expired records first, then the least recently used.
    ExpiredThenLeastRecentlyUsed,
    /// This many records chosen at random (Chromium).
    Random(usize),
}

/// A browser profile: one struct of knobs.
///
/// ```
/// use crossorigin::Profile;
/// assert_eq!(Profile::spec().cache.max_age_default, 5);
/// assert_eq!(Profile::chromium().cache.max_age_cap, Some(7200));
/// assert_eq!(Profile::by_name("firefox").unwrap().name, "firefox");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    /// `spec`, `chromium`, `firefox` or `webkit`.
    pub name: &'static str,
    /// Preflight cache behaviour.
    pub cache: CacheKnobs,
    /// Whether `*` in `Access-Control-Allow-Headers` covers `Authorization`
    /// when the preflight response is checked (the standard: never,
    /// `fetch#cors-non-wildcard-request-header-name`). Chromium: yes, its
    /// `CorsNonWildcardRequestHeadersSupport` feature being disabled by
    /// default (chromium/chromium `services/network/public/cpp/features.cc`,
    /// `services/network/cors/preflight_result.cc`).
    pub wildcard_covers_authorization: bool,
    /// Whether a cached `*` header-name entry covers `Authorization` on a
    /// later request. Chromium: no, so a request whose `Authorization` was
    /// allowed only through `*` is preflighted again each time.
    pub cache_wildcard_covers_authorization: bool,
    /// Extra request headers a script may send without a preflight, each
    /// with the rule its value must meet (and at most 128 bytes).
    pub extra_safelisted_request_headers: &'static [ExtraSafelisted],
    /// When the `Sec-Fetch-*` metadata headers are sent.
    pub sec_fetch: SecFetch,
    /// Request building and redirects.
    pub fetch: FetchKnobs,
}

/// A request header a browser safelists beyond the standard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExtraSafelisted {
    /// The name, lower case.
    pub name: &'static str,
    /// What the value must be.
    pub value: ValueRule,
}

/// The rule an extra safelisted header's value must meet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueRule {
    /// Any value.
    Any,
    /// `1*DIGIT [ "." 1*DIGIT ]`.
    Decimal,
    /// `1*DIGIT`.
    Integer,
    /// One of these, byte for byte.
    OneOf(&'static [&'static str]),
    /// This, ASCII case-insensitively.
    CaseInsensitive(&'static str),
}

impl ValueRule {
    /// Whether a value meets the rule.
    pub fn accepts(&self, v: &[u8]) -> bool {
        let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
        match self {
            ValueRule::Any => true,
            ValueRule::Integer => digits(v),
            ValueRule::Decimal => match v.iter().position(|b| *b == b'.') {
                None => digits(v),
                Some(i) => digits(&v[..i]) && digits(&v[i + 1..]),
            },
            ValueRule::OneOf(list) => list.iter().any(|x| x.as_bytes() == v),
            ValueRule::CaseInsensitive(x) => v.eq_ignore_ascii_case(x.as_bytes()),
        }
    }
}

/// Chromium's extra safelisted request headers (`IsCorsSafelistedHeader` in
/// chromium/chromium `services/network/public/cpp/cors/cors.cc`, the client
/// hints block; the `sec-ch-*` names there are forbidden to scripts anyway).
pub const CHROMIUM_EXTRA_SAFELISTED: &[ExtraSafelisted] = &[
    ExtraSafelisted {
        name: "intervention",
        value: ValueRule::Any,
    },
    ExtraSafelisted {
        name: "device-memory",
        value: ValueRule::Decimal,
    },
    ExtraSafelisted {
        name: "dpr",
        value: ValueRule::Decimal,
    },
    ExtraSafelisted {
        name: "downlink",
        value: ValueRule::Decimal,
    },
    ExtraSafelisted {
        name: "width",
        value: ValueRule::Integer,
    },
    ExtraSafelisted {
        name: "viewport-width",
        value: ValueRule::Integer,
    },
    ExtraSafelisted {
        name: "rtt",
        value: ValueRule::Integer,
    },
    ExtraSafelisted {
        name: "ect",
        value: ValueRule::OneOf(&["slow-2g", "2g", "3g", "4g"]),
    },
    ExtraSafelisted {
        name: "save-data",
        value: ValueRule::CaseInsensitive("on"),
    },
];

/// When `Sec-Fetch-Dest`, `Sec-Fetch-Mode` and `Sec-Fetch-Site` are sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecFetch {
    /// Never.
    Never,
    /// Only to potentially trustworthy URLs (Fetch Metadata, as written).
    TrustworthyOnly,
    /// To every HTTP(S) URL.
    Always,
}

/// The memory bound every profile's cache keeps: 64 MiB.
pub const DEFAULT_CACHE_MEMORY_LIMIT: usize = 64 << 20;

impl Profile {
    /// The Fetch Standard as written.
    pub const fn spec() -> Profile {
        Profile {
            name: "spec",
            cache: CacheKnobs {
                max_age_default: 5,
                max_age_negative: None,
                max_age_cap: None,
                max_age_plus_sign: false,
                max_age_unparsable: None,
                max_age_parse_limit: None,
                wildcards: true,
                credentials_exact: false,
                zero_max_age_updates: true,
                head_needs_method_entry: false,
                opaque_origin_cached: true,
                capacity: None,
                eviction: Eviction::ExpiredThenLeastRecentlyUsed,
                max_url_len: None,
                memory_limit: DEFAULT_CACHE_MEMORY_LIMIT,
            },
            wildcard_covers_authorization: false,
            cache_wildcard_covers_authorization: false,
            extra_safelisted_request_headers: &[],
            sec_fetch: SecFetch::TrustworthyOnly,
            fetch: FetchKnobs::SPEC,
        }
    }

    /// Chromium: max-age capped at 2 hours, a negative value not cached,
    /// 1024 cache records purged 10 at random, no caching of URLs of 1024
    /// characters or more; `*` covers `Authorization` in the check but its
    /// cache matches only explicit names; `Sec-Fetch-*` to potentially trustworthy URLs, as recorded (a preflight to an `http:` URL still carries `Sec-Fetch-Mode: cors`, not modelled).
    pub const fn chromium() -> Profile {
        Profile {
            name: "chromium",
            cache: CacheKnobs {
                max_age_default: 5,
                max_age_negative: Some(0),
                max_age_cap: Some(7200),
                max_age_plus_sign: true,
                max_age_unparsable: None,
                max_age_parse_limit: Some(i64::MAX as u64),
                wildcards: true,
                credentials_exact: false,
                zero_max_age_updates: true,
                head_needs_method_entry: false,
                opaque_origin_cached: false,
                capacity: Some(1024),
                eviction: Eviction::Random(10),
                max_url_len: Some(1024),
                memory_limit: DEFAULT_CACHE_MEMORY_LIMIT,
            },
            wildcard_covers_authorization: true,
            cache_wildcard_covers_authorization: false,
            extra_safelisted_request_headers: CHROMIUM_EXTRA_SAFELISTED,
            sec_fetch: SecFetch::TrustworthyOnly,
            fetch: FetchKnobs::CHROMIUM,
        }
    }

    /// Firefox: max-age capped at 24 hours, `0` or anything that is not
    /// digits not cached but an absent or empty value 5 s (as recorded in
    /// Firefox ESR 153), 100 cache records (expired first, then least
    /// recently used); `*` covers `Authorization`.
    pub const fn firefox() -> Profile {
        Profile {
            name: "firefox",
            cache: CacheKnobs {
                max_age_default: 5,
                max_age_negative: Some(0),
                max_age_cap: Some(86400),
                max_age_plus_sign: false,
                max_age_unparsable: Some(0),
                max_age_parse_limit: None,
                wildcards: false,
                credentials_exact: true,
                zero_max_age_updates: false,
                head_needs_method_entry: true,
                opaque_origin_cached: true,
                capacity: Some(100),
                eviction: Eviction::ExpiredThenLeastRecentlyUsed,
                max_url_len: None,
                memory_limit: DEFAULT_CACHE_MEMORY_LIMIT,
            },
            wildcard_covers_authorization: true,
            cache_wildcard_covers_authorization: true,
            extra_safelisted_request_headers: &[],
            sec_fetch: SecFetch::TrustworthyOnly,
            fetch: FetchKnobs::FIREFOX,
        }
    }

    /// WebKit: max-age capped at 10 minutes, and anything else that does
    /// not parse as an integer gives the 5-second default
    /// (`CrossOriginPreflightResultCache.cpp`); as recorded in WebKitGTK
    /// 2.50, `+600` reads as 600 and a negative value is not cached. An
    /// unbounded cache; `*` covers `Authorization`. Not modelled: WebKit's
    /// cache key by top-level site.
    pub const fn webkit() -> Profile {
        Profile {
            name: "webkit",
            cache: CacheKnobs {
                max_age_default: 5,
                max_age_negative: Some(0),
                max_age_cap: Some(600),
                max_age_plus_sign: true,
                max_age_unparsable: None,
                max_age_parse_limit: Some(i64::MAX as u64),
                wildcards: true,
                credentials_exact: false,
                zero_max_age_updates: true,
                head_needs_method_entry: false,
                opaque_origin_cached: true,
                capacity: None,
                eviction: Eviction::ExpiredThenLeastRecentlyUsed,
                max_url_len: None,
                memory_limit: DEFAULT_CACHE_MEMORY_LIMIT,
            },
            wildcard_covers_authorization: true,
            cache_wildcard_covers_authorization: true,
            extra_safelisted_request_headers: &[],
            sec_fetch: SecFetch::TrustworthyOnly,
            fetch: FetchKnobs::WEBKIT,
        }
    }

    /// The profile with this name (`spec`, `chromium`, `firefox`, `webkit`).
    pub fn by_name(name: &str) -> Option<Profile> {
        Some(match name {
            "spec" => Profile::spec(),
            "chromium" => Profile::chromium(),
            "firefox" => Profile::firefox(),
            "webkit" => Profile::webkit(),
            _ => return None,
        })
    }

    /// Every profile.
    pub fn all() -> [Profile; 4] {
        [
            Profile::spec(),
            Profile::chromium(),
            Profile::firefox(),
            Profile::webkit(),
        ]
    }

    /// The bytes the safelisted request headers' values may total before
    /// they all count as CORS-unsafe: 1024, or none where the profile
    /// has no such total ([`FetchKnobs::safelisted_total_limit`]).
    #[inline]
    pub fn safelisted_total_max(&self) -> Option<usize> {
        self.fetch
            .safelisted_total_limit
            .then_some(crate::header::SAFELISTED_TOTAL_MAX)
    }

    /// Whether a header is CORS-safelisted under this profile: the
    /// standard's rule, or one of the profile's extra headers whose value
    /// meets its rule (at most 128 bytes).
    #[inline(always)]
    pub fn is_safelisted_request_header(&self, name: &[u8], value: &[u8]) -> bool {
        if self.fetch.safelist_departs() {
            if let Some(safe) = self.departed_safelist(name, value) {
                return safe;
            }
        }
        crate::header::cors_safelisted_request_header(name, value)
            || (!self.extra_safelisted_request_headers.is_empty()
                && self.is_extra_safelisted_request_header(name, value))
    }

    /// Whether a `Range` or `Content-Type` header is CORS-safelisted under
    /// the profile's own rules for them ([`FetchKnobs::range_position_max`],
    /// [`FetchKnobs::range_unit_any_case`],
    /// [`FetchKnobs::content_type_comma_unsafe`]); `None` for other names.
    #[inline(never)]
    pub(crate) fn departed_safelist(&self, name: &[u8], value: &[u8]) -> Option<bool> {
        let k = &self.fetch;
        if name.eq_ignore_ascii_case(b"range") {
            if value.len() > crate::header::SAFELISTED_VALUE_MAX {
                return Some(false);
            }
            return Some(crate::header::is_safelisted_range(
                value,
                k.range_unit_any_case,
                k.range_position_max,
            ));
        }
        if k.content_type_comma_unsafe
            && name.eq_ignore_ascii_case(b"content-type")
            && value.contains(&b',')
        {
            return Some(false);
        }
        None
    }

    /// Whether an `Authorization` header may be safelisted under the
    /// profile (never by the standard's rule; only by an extra one).
    pub(crate) fn may_safelist_authorization(&self) -> bool {
        self.extra_safelisted_request_headers
            .iter()
            .any(|x| x.name.eq_ignore_ascii_case("authorization"))
    }

    /// Whether a header is one of the profile's extra safelisted headers
    /// and its value (at most 128 bytes) meets its rule. Out of line: most
    /// profiles have none.
    #[inline(never)]
    fn is_extra_safelisted_request_header(&self, name: &[u8], value: &[u8]) -> bool {
        value.len() <= crate::header::SAFELISTED_VALUE_MAX
            && self
                .extra_safelisted_request_headers
                .iter()
                .any(|x| name.eq_ignore_ascii_case(x.name.as_bytes()) && x.value.accepts(value))
    }

    /// Whether `n` seconds is past what the profile's parser reads
    /// ([`CacheKnobs::max_age_parse_limit`]).
    fn past_parse_limit(&self, n: u64) -> bool {
        self.cache
            .max_age_parse_limit
            .is_some_and(|limit| n > limit)
    }

    /// The max-age, in seconds, a preflight response's
    /// `Access-Control-Max-Age` values give under this profile
    /// (`fetch#cors-preflight-fetch-0` steps for max-age, then the cap).
    pub fn max_age<'a>(&self, mut values: impl Iterator<Item = &'a [u8]>) -> u64 {
        let first = values.next();
        let parsed = match (first, values.next()) {
            (Some(v), None) => match crate::header::parse_delta_seconds(v) {
                Ok(n) if self.past_parse_limit(n) => self.cache.max_age_unparsable,
                Ok(n) => Some(n),
                Err(_) if self.cache.max_age_plus_sign && v.len() > 1 && v[0] == b'+' => {
                    match crate::header::parse_delta_seconds(&v[1..]) {
                        Ok(n) if self.past_parse_limit(n) => self.cache.max_age_unparsable,
                        n => n.ok(),
                    }
                }
                // A negative number (`-` then digits), as Chromium's
                // `StringToInt64` reads it; anything else is just invalid.
                Err(_) if v.len() > 1 && v[0] == b'-' && v[1..].iter().all(u8::is_ascii_digit) => {
                    match crate::header::parse_delta_seconds(&v[1..]) {
                        Ok(n) if self.past_parse_limit(n) => self.cache.max_age_unparsable,
                        _ => self.cache.max_age_negative,
                    }
                }
                // An empty value is as good as none.
                Err(_) if v.iter().all(|b| matches!(b, b' ' | b'\t')) => None,
                Err(_) => self.cache.max_age_unparsable,
            },
            (None, _) => None,
            // Several values: the list does not parse.
            (Some(_), Some(_)) => self.cache.max_age_unparsable,
        };
        let max_age = parsed.unwrap_or(self.cache.max_age_default);
        match self.cache.max_age_cap {
            Some(cap) => max_age.min(cap),
            None => max_age,
        }
    }
}

impl Default for Profile {
    fn default() -> Self {
        Profile::spec()
    }
}
