//! Methods (`fetch#methods`): the [`Method`] type a request owns, and the
//! rules on methods: CORS-safelisted, forbidden, normalization.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

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

/// How many bytes a [`Method`] holds without a heap allocation.
const INLINE: usize = 22;

/// A method (`fetch#concept-method`) as a request owns it: a byte sequence,
/// kept inline (no heap allocation) up to 22 bytes, which every registered
/// HTTP method fits; a longer one is kept on the heap. It is no larger than
/// a `Vec<u8>`.
///
/// It holds any bytes: whether they are a method (a token) is for
/// [`is_method`] and the request checks to say. It dereferences to `[u8]`
/// and compares with byte strings and text as they read.
///
/// ```
/// use crossorigin::method::Method;
/// let m = Method::from("PUT");
/// assert_eq!(m, b"PUT");
/// assert_eq!(m, "PUT");
/// assert!(b"PUT" == m);
/// assert_eq!(m.as_bytes(), b"PUT");
/// assert_eq!(m.len(), 3); // `[u8]`'s methods, through `Deref`
/// assert_eq!(format!("{m:?}"), r#""PUT""#);
/// assert_eq!(Method::default(), b"");
/// assert_eq!(Method::GET, Method::from(b"GET".to_vec()));
/// ```
#[derive(Clone)]
pub struct Method(Repr);

/// The two ways a [`Method`] holds its bytes. A method of up to [`INLINE`]
/// bytes is always `Inline`, so equal methods have the same representation;
/// equality and hashing still go by the bytes alone.
#[derive(Clone)]
enum Repr {
    /// `len` bytes at the start of `buf` (`len <= INLINE`), the rest zero:
    /// two inline methods are equal exactly when their fields are.
    Inline { len: u8, buf: [u8; INLINE] },
    /// A method longer than [`INLINE`] bytes.
    Heap(Box<[u8]>),
}

// The point of the type: no larger than the `Vec<u8>` it replaces.
const _: () = assert!(std::mem::size_of::<Method>() <= std::mem::size_of::<Vec<u8>>());

impl Method {
    /// `GET`.
    pub const GET: Method = Method::inline(b"GET");
    /// `HEAD`.
    pub const HEAD: Method = Method::inline(b"HEAD");
    /// `POST`.
    pub const POST: Method = Method::inline(b"POST");
    /// `PUT`.
    pub const PUT: Method = Method::inline(b"PUT");
    /// `DELETE`.
    pub const DELETE: Method = Method::inline(b"DELETE");
    /// `OPTIONS`.
    pub const OPTIONS: Method = Method::inline(b"OPTIONS");
    /// `PATCH`.
    pub const PATCH: Method = Method::inline(b"PATCH");

    /// A method of at most [`INLINE`] bytes, for the constants above: a
    /// longer one fails to compile (it is only used in constants).
    const fn inline(bytes: &[u8]) -> Method {
        assert!(
            bytes.len() <= INLINE,
            "an inline method is at most 22 bytes"
        );
        let mut buf = [0u8; INLINE];
        let mut i = 0;
        while i < bytes.len() {
            buf[i] = bytes[i];
            i += 1;
        }
        Method(Repr::Inline {
            len: bytes.len() as u8,
            buf,
        })
    }

    /// A method holding `bytes`: inline when they fit, else on the heap.
    fn copy_of(bytes: &[u8]) -> Method {
        let mut buf = [0u8; INLINE];
        match (buf.get_mut(..bytes.len()), u8::try_from(bytes.len())) {
            (Some(head), Ok(len)) => {
                head.copy_from_slice(bytes);
                Method(Repr::Inline { len, buf })
            }
            _ => Method(Repr::Heap(bytes.into())),
        }
    }

    /// The method's bytes.
    ///
    /// ```
    /// use crossorigin::method::Method;
    /// assert_eq!(Method::from("PATCH").as_bytes(), b"PATCH");
    /// ```
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            // `min` cannot change `len` (it is at most `INLINE`); it lets
            // the compiler drop the bounds check.
            Repr::Inline { len, buf } => &buf[..usize::from(*len).min(INLINE)],
            Repr::Heap(bytes) => bytes,
        }
    }

    /// Whether the bytes are `other`, an array whose length is known when
    /// compiling: an inline method compares as a length and a fixed-size
    /// array, with no slicing.
    #[inline]
    fn eq_array<const N: usize>(&self, other: &[u8; N]) -> bool {
        match &self.0 {
            Repr::Inline { len, buf } => {
                usize::from(*len) == N && buf.first_chunk::<N>() == Some(other)
            }
            Repr::Heap(bytes) => **bytes == *other,
        }
    }

    /// Whether the bytes are held inline, without a heap allocation.
    ///
    /// ```
    /// use crossorigin::method::Method;
    /// assert!(Method::from("OPTIONS").is_inline());
    /// assert!(!Method::from("X".repeat(40).as_str()).is_inline());
    /// ```
    pub fn is_inline(&self) -> bool {
        matches!(self.0, Repr::Inline { .. })
    }

    /// The method's bytes in a `Vec<u8>`.
    ///
    /// ```
    /// use crossorigin::method::Method;
    /// assert_eq!(Method::from("GET").into_vec(), b"GET".to_vec());
    /// ```
    pub fn into_vec(self) -> Vec<u8> {
        match self.0 {
            Repr::Inline { .. } => self.as_bytes().to_vec(),
            Repr::Heap(bytes) => bytes.into_vec(),
        }
    }
}

impl Default for Method {
    /// The empty method (not a valid one: [`is_method`] says no).
    fn default() -> Method {
        Method::inline(b"")
    }
}

impl Deref for Method {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for Method {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<[u8]> for Method {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl fmt::Debug for Method {
    /// The bytes as text, invalid UTF-8 replaced: `"GET"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&String::from_utf8_lossy(self.as_bytes()), f)
    }
}

impl PartialEq for Method {
    #[inline]
    fn eq(&self, other: &Method) -> bool {
        match (&self.0, &other.0) {
            // The padding is zero: no need to slice.
            (Repr::Inline { len, buf }, Repr::Inline { len: l, buf: b }) => len == l && buf == b,
            _ => self.as_bytes() == other.as_bytes(),
        }
    }
}

impl Eq for Method {}

impl Hash for Method {
    /// Hashes as the bytes do (as `[u8]`), so that [`Borrow<[u8]>`] holds.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl PartialOrd for Method {
    fn partial_cmp(&self, other: &Method) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Method {
    /// Byte-wise, as `[u8]` orders.
    fn cmp(&self, other: &Method) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl From<&[u8]> for Method {
    fn from(bytes: &[u8]) -> Method {
        Method::copy_of(bytes)
    }
}

impl<const N: usize> From<&[u8; N]> for Method {
    fn from(bytes: &[u8; N]) -> Method {
        Method::copy_of(bytes)
    }
}

impl From<&str> for Method {
    fn from(text: &str) -> Method {
        Method::copy_of(text.as_bytes())
    }
}

impl From<Vec<u8>> for Method {
    /// Inline when the bytes fit (the vector is freed), else the vector's
    /// own buffer.
    fn from(bytes: Vec<u8>) -> Method {
        if bytes.len() <= INLINE {
            Method::copy_of(&bytes)
        } else {
            Method(Repr::Heap(bytes.into_boxed_slice()))
        }
    }
}

impl From<String> for Method {
    fn from(text: String) -> Method {
        Method::from(text.into_bytes())
    }
}

impl From<Method> for Vec<u8> {
    fn from(method: Method) -> Vec<u8> {
        method.into_vec()
    }
}

/// `Method == rhs` and `rhs == Method`, by bytes.
macro_rules! eq_bytes {
    ($($rhs:ty),*) => {$(
        impl PartialEq<$rhs> for Method {
            #[inline]
            fn eq(&self, other: &$rhs) -> bool {
                self.as_bytes() == AsRef::<[u8]>::as_ref(other)
            }
        }
        impl PartialEq<Method> for $rhs {
            #[inline]
            fn eq(&self, other: &Method) -> bool {
                AsRef::<[u8]>::as_ref(self) == other.as_bytes()
            }
        }
    )*};
}

eq_bytes!([u8], &[u8], str, &str, Vec<u8>, String);

impl<const N: usize> PartialEq<[u8; N]> for Method {
    #[inline]
    fn eq(&self, other: &[u8; N]) -> bool {
        self.eq_array(other)
    }
}

impl<const N: usize> PartialEq<Method> for [u8; N] {
    #[inline]
    fn eq(&self, other: &Method) -> bool {
        other.eq_array(self)
    }
}

impl<const N: usize> PartialEq<&[u8; N]> for Method {
    #[inline]
    fn eq(&self, other: &&[u8; N]) -> bool {
        self.eq_array(other)
    }
}

impl<const N: usize> PartialEq<Method> for &[u8; N] {
    #[inline]
    fn eq(&self, other: &Method) -> bool {
        other.eq_array(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::hash::{BuildHasher, RandomState};

    /// A method held on the heap whatever its length: what the public
    /// constructors never make for a short one.
    fn heap(bytes: &[u8]) -> Method {
        Method(Repr::Heap(bytes.into()))
    }

    fn bytes_of(len: usize) -> Vec<u8> {
        (0..len).map(|i| b'A' + (i % 26) as u8).collect()
    }

    #[test]
    fn no_larger_than_a_vec() {
        assert!(std::mem::size_of::<Method>() <= 24);
        assert!(std::mem::size_of::<Method>() <= std::mem::size_of::<Vec<u8>>());
    }

    #[test]
    fn inline_up_to_22_bytes_then_heap() {
        for len in [0, 1, 3, 7, 21, 22, 23, 24, 64, 300] {
            let b = bytes_of(len);
            let s = String::from_utf8(b.clone()).unwrap();
            let made = [
                Method::from(&b[..]),
                Method::from(b.clone()),
                Method::from(s.as_str()),
                Method::from(s.clone()),
            ];
            for m in made {
                assert_eq!(m.is_inline(), len <= 22, "length {len}");
                assert_eq!(m.as_bytes(), &b[..], "length {len}");
                assert_eq!(m.len(), len);
                assert_eq!(m.clone().as_bytes(), &b[..]);
                assert_eq!(m.clone().is_inline(), len <= 22);
                assert_eq!(m.into_vec(), b);
            }
        }
    }

    #[test]
    fn array_and_const_constructors() {
        assert!(Method::from(b"0123456789012345678901").is_inline());
        assert!(!Method::from(b"01234567890123456789012").is_inline());
        let consts = [
            (Method::GET, "GET"),
            (Method::HEAD, "HEAD"),
            (Method::POST, "POST"),
            (Method::PUT, "PUT"),
            (Method::DELETE, "DELETE"),
            (Method::OPTIONS, "OPTIONS"),
            (Method::PATCH, "PATCH"),
        ];
        for (m, text) in consts {
            assert_eq!(m, Method::from(text));
            assert!(m.is_inline());
        }
        let empty = Method::default();
        assert!(empty.is_inline());
        assert!(empty.is_empty());
        assert_eq!(empty, Method::from(""));
        assert!(!is_method(&empty));
    }

    #[test]
    fn vec_conversions_round_trip() {
        for len in [0, 5, 22, 23, 40] {
            let b = bytes_of(len);
            let v: Vec<u8> = Method::from(b.clone()).into();
            assert_eq!(v, b);
        }
    }

    #[test]
    // Owned right-hand sides on purpose: their impls are under test.
    #[allow(clippy::cmp_owned)]
    fn every_comparison_both_ways() {
        let put = Method::from("PUT");
        let long_text = "X-VERY-LONG-EXTENSION-METHOD";
        let long = Method::from(long_text);
        assert!(!long.is_inline());
        for (m, yes, no) in [(&put, "PUT", "PUTS"), (&long, long_text, "PUT")] {
            let (yes_b, no_b) = (yes.as_bytes(), no.as_bytes());
            // [u8]
            assert_eq!(*m, *yes_b);
            assert_eq!(*yes_b, *m);
            assert_ne!(*m, *no_b);
            assert_ne!(*no_b, *m);
            // &[u8]
            assert_eq!(*m, yes_b);
            assert_eq!(yes_b, *m);
            assert_ne!(*m, no_b);
            assert_ne!(no_b, *m);
            // str
            assert_eq!(*m, *yes);
            assert_eq!(*yes, *m);
            assert_ne!(*m, *no);
            assert_ne!(*no, *m);
            // &str
            assert_eq!(*m, yes);
            assert_eq!(yes, *m);
            assert_ne!(*m, no);
            assert_ne!(no, *m);
            // Vec<u8>
            assert_eq!(*m, yes_b.to_vec());
            assert_eq!(yes_b.to_vec(), *m);
            assert_ne!(*m, no_b.to_vec());
            assert_ne!(no_b.to_vec(), *m);
            // String
            assert_eq!(*m, yes.to_owned());
            assert_eq!(yes.to_owned(), *m);
            assert_ne!(*m, no.to_owned());
            assert_ne!(no.to_owned(), *m);
        }
        // [u8; N]
        assert_eq!(put, *b"PUT");
        assert_eq!(*b"PUT", put);
        assert_ne!(put, *b"GET");
        assert_ne!(*b"GET", put);
        assert_ne!(put, *b"PU");
        assert_ne!(*b"PUTS", put);
        // &[u8; N]
        assert_eq!(put, b"PUT");
        assert_eq!(b"PUT", put);
        assert_ne!(put, b"GET");
        assert_ne!(b"GET", put);
        assert_ne!(put, b"PUTS");
        assert_ne!(b"", put);
        let long_arr = b"X-VERY-LONG-EXTENSION-METHOD";
        assert_eq!(long, long_arr);
        assert_eq!(long_arr, long);
        assert_eq!(long, *long_arr);
        assert_eq!(*long_arr, long);
        // Arrays at the inline/heap boundary, the empty one, and a heap
        // method holding a short one.
        let b22 = b"0123456789012345678901";
        let b23 = b"01234567890123456789012";
        assert!(Method::from(b22).is_inline() && !Method::from(b23).is_inline());
        assert_eq!(Method::from(b22), b22);
        assert_eq!(*b22, Method::from(b22));
        assert_eq!(Method::from(b23), b23);
        assert_eq!(*b23, Method::from(b23));
        assert_ne!(Method::from(b22), b23);
        assert_ne!(Method::from(b23), b22);
        assert_ne!(Method::from(&b23[1..]), b22, "same length, other bytes");
        assert_eq!(Method::default(), b"");
        assert_eq!(*b"", Method::default());
        assert_ne!(heap(b""), *b"X");
        assert_eq!(heap(b"PUT"), b"PUT");
        assert_eq!(b"PUT", heap(b"PUT"));
        assert_ne!(heap(b"PUT"), b"GET");
        // Method
        assert_eq!(put, Method::from("PUT"));
        assert_ne!(put, long);
        assert_ne!(put, Method::from("put"), "methods are case-sensitive");
    }

    #[test]
    fn inline_and_heap_with_the_same_bytes_are_equal_and_hash_alike() {
        let state = RandomState::new();
        for len in [0, 1, 3, 22] {
            let b = bytes_of(len);
            let inline = Method::from(&b[..]);
            let on_heap = heap(&b);
            assert!(inline.is_inline() && !on_heap.is_inline());
            assert_eq!(inline, on_heap);
            assert_eq!(on_heap, inline);
            assert_eq!(inline.cmp(&on_heap), Ordering::Equal);
            assert_eq!(state.hash_one(&inline), state.hash_one(&on_heap));
            // Hashes as the bytes do, as `Borrow<[u8]>` requires.
            assert_eq!(state.hash_one(&inline), state.hash_one(&b[..]));
            // Different bytes are not equal, whichever representation.
            let other = heap(&bytes_of(len + 1));
            assert_ne!(inline, other);
            assert_ne!(on_heap, other);
        }
    }

    #[test]
    fn hash_set_lookups_by_method_and_by_bytes() {
        let set: HashSet<Method> = ["GET", "PUT", "X-VERY-LONG-EXTENSION-METHOD"]
            .into_iter()
            .map(Method::from)
            .collect();
        assert!(set.contains(&heap(b"GET")));
        assert!(set.contains(&b"PUT"[..]));
        assert!(set.contains(&b"X-VERY-LONG-EXTENSION-METHOD"[..]));
        assert!(!set.contains(&b"POST"[..]));
        assert!(!set.contains(&heap(b"get")));
    }

    #[test]
    fn orders_as_bytes() {
        let mut ms: Vec<Method> = ["PUT", "GET", "X-VERY-LONG-EXTENSION-METHOD", "DELETE", ""]
            .into_iter()
            .map(Method::from)
            .collect();
        ms.sort();
        let sorted: Vec<&[u8]> = ms.iter().map(Method::as_bytes).collect();
        assert_eq!(
            sorted,
            [
                &b""[..],
                b"DELETE",
                b"GET",
                b"PUT",
                b"X-VERY-LONG-EXTENSION-METHOD"
            ]
        );
    }

    #[test]
    fn debug_is_lossy_text() {
        assert_eq!(format!("{:?}", Method::from("GET")), "\"GET\"");
        assert_eq!(
            format!("{:?}", Method::from(&b"G\xffT"[..])),
            "\"G\u{fffd}T\""
        );
        assert_eq!(format!("{:?}", heap(b"A\"B")), "\"A\\\"B\"");
    }
}
