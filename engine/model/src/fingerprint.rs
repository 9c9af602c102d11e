//! Fingerprints: the 64-bit hashes of what leaves the process.
//!
//! The verdict cache's keys, and the fingerprints of the answers a cached
//! verdict was read from, are shared through Redis by every umpire process
//! pointed at it, and the decision log keeps the schedule's. Two builds (the
//! old and the new one of a rolling deploy, or one built with another Rust)
//! must give the same value the same fingerprint, or they would miss each
//! other's entries, or worse, meet them under the wrong key. A
//! [`std::hash::Hash`] feed promises neither: `DefaultHasher`'s algorithm
//! may change with any Rust release, `rustc-hash`'s changed between its
//! major versions, and what `Hash` feeds is not specified (a `str` adds a
//! `0xff`, a `usize` is as wide as the platform's).
//!
//! So a fingerprint is XXH3-64 (seed 0, the default secret: a specified
//! algorithm, here from the `xxhash-rust` crate) of a byte encoding defined
//! here, and nothing else:
//!
//! - an integer: little-endian at its own width, a `usize` as a `u64`;
//! - a bool: one byte, 0 or 1;
//! - a string or bytes: the length as a `u64`, then the bytes;
//! - an option: the byte 0; or 1, then the value;
//! - an instant: its Unix second (`i64`), then its nanosecond within the
//!   second (`i32`);
//! - a list: its length as a `u64`, then each item; where the length is
//!   only known at the end (the games a query yields), each item, then the
//!   length;
//! - a serialized value written through [`std::io::Write`] (a manifest as
//!   JSON): its bytes as they are, where what follows marks its end.
//!
//! What each fingerprint feeds, in which order, is said where it is made
//! ([`Game::fingerprint`](crate::Game::fingerprint) and the others). The
//! tests pin a few fingerprints to literal numbers: a change of algorithm or
//! encoding fails them, and must say in the changelog that shared cache
//! entries miss once.
//!
//! ```
//! use umpire_model::fingerprint::Fingerprint;
//!
//! let a = Fingerprint::new().str("NYR").u32(7).finish();
//! let b = Fingerprint::new().str("NYR").u32(7).finish();
//! assert_eq!(a, b);
//! assert_ne!(a, Fingerprint::new().str("NY").str("R").u32(7).finish());
//! ```

use jiff::Timestamp;
use xxhash_rust::xxh3::{Xxh3Default, xxh3_64};

/// Bytes kept before any hashing: the fingerprints on the hot path (a
/// game's, a query's answer, a team's part) fit, and are hashed in one go
/// when they are finished; a longer input streams on.
const BUFFER: usize = 256;

/// A fingerprint being fed: values in, one `u64` out.
#[derive(Clone)]
pub struct Fingerprint {
    buffer: [u8; BUFFER],
    len: usize,
    /// What came before the buffer, for an input longer than it (kept in
    /// place: no allocation, whatever the length).
    long: Option<Xxh3Default>,
}

impl Default for Fingerprint {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Fingerprint")
            .field(&format_args!("{:016x}", self.finish()))
            .finish()
    }
}

impl Fingerprint {
    /// Nothing fed yet.
    pub const fn new() -> Self {
        Self {
            buffer: [0; BUFFER],
            len: 0,
            long: None,
        }
    }

    /// Raw bytes, as they are: the encoding of every other value ends here.
    #[inline]
    fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        match self.buffer.get_mut(self.len..self.len + bytes.len()) {
            Some(room) => {
                room.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            None => self.stream(bytes),
        }
        self
    }

    /// Hashes the full buffer on, and keeps `bytes` (or hashes them too,
    /// when they would not fit either). XXH3 streamed gives what it gives
    /// over the whole input at once.
    #[cold]
    fn stream(&mut self, bytes: &[u8]) {
        let long = self.long.get_or_insert_with(Xxh3Default::new);
        long.update(&self.buffer[..self.len]);
        self.len = 0;
        if bytes.len() > BUFFER {
            long.update(bytes);
        } else {
            self.buffer[..bytes.len()].copy_from_slice(bytes);
            self.len = bytes.len();
        }
    }

    /// One byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.raw(&[v])
    }

    /// A bool: one byte, 0 or 1.
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.u8(u8::from(v))
    }

    /// A `u32`, little-endian.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.raw(&v.to_le_bytes())
    }

    /// An `i32`, little-endian.
    pub fn i32(&mut self, v: i32) -> &mut Self {
        self.raw(&v.to_le_bytes())
    }

    /// A `u64`, little-endian.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.raw(&v.to_le_bytes())
    }

    /// An `i64`, little-endian.
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.raw(&v.to_le_bytes())
    }

    /// A `usize`, as a `u64` whatever the platform's width.
    pub fn usize(&mut self, v: usize) -> &mut Self {
        self.u64(v as u64)
    }

    /// Bytes: their length, then themselves.
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.usize(v.len()).raw(v)
    }

    /// A string: its length in bytes, then its UTF-8.
    pub fn str(&mut self, v: &str) -> &mut Self {
        self.bytes(v.as_bytes())
    }

    /// An option: 0; or 1, then the value as `feed` feeds it
    /// (`Fingerprint::u32`, say).
    pub fn option<T>(
        &mut self,
        v: Option<T>,
        feed: impl FnOnce(&mut Self, T) -> &mut Self,
    ) -> &mut Self {
        match v {
            None => self.u8(0),
            Some(v) => feed(self.u8(1), v),
        }
    }

    /// A list: its length, then each item as `feed` feeds it.
    pub fn list<T>(
        &mut self,
        items: &[T],
        mut feed: impl for<'f> FnMut(&'f mut Self, &T) -> &'f mut Self,
    ) -> &mut Self {
        self.usize(items.len());
        for item in items {
            feed(self, item);
        }
        self
    }

    /// An instant: its Unix second, then its nanosecond in that second.
    pub fn timestamp(&mut self, v: Timestamp) -> &mut Self {
        self.i64(v.as_second()).i32(v.subsec_nanosecond())
    }

    /// A list of `u64`s (fingerprints, say): its length, then each one.
    pub fn u64s(&mut self, v: &[u64]) -> &mut Self {
        self.usize(v.len());
        // Encoded a chunk at a time: one copy into the hash's buffer per
        // chunk instead of per value.
        let mut chunk = [0u8; 256];
        for values in v.chunks(chunk.len() / 8) {
            for (bytes, value) in chunk.chunks_exact_mut(8).zip(values) {
                bytes.copy_from_slice(&value.to_le_bytes());
            }
            self.raw(&chunk[..values.len() * 8]);
        }
        self
    }

    /// What `Fingerprint::new().u64(v).finish()` gives, with nothing to set
    /// up: for an answer that is one number, on the verdict cache's hot
    /// path.
    pub fn of_u64(v: u64) -> u64 {
        xxh3_64(&v.to_le_bytes())
    }

    /// What `Fingerprint::new().option(v, Fingerprint::u64).finish()` gives,
    /// with nothing to set up (as [`Fingerprint::of_u64`]).
    pub fn of_option_u64(v: Option<u64>) -> u64 {
        match v {
            None => xxh3_64(&[0]),
            Some(v) => {
                let mut bytes = [1; 9];
                bytes[1..].copy_from_slice(&v.to_le_bytes());
                xxh3_64(&bytes)
            }
        }
    }

    /// The fingerprint of what was fed.
    pub fn finish(&self) -> u64 {
        let rest = &self.buffer[..self.len];
        match &self.long {
            None => xxh3_64(rest),
            Some(long) => {
                let mut long = long.clone();
                long.update(rest);
                long.digest()
            }
        }
    }
}

/// Raw bytes as they come, with no length: a serializer's output streamed
/// in (`serde_json::to_writer(&mut fingerprint, value)`), where what
/// follows, or nothing, marks its end.
impl std::io::Write for Fingerprint {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.raw(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The encoding and the algorithm, pinned: these numbers are what every
    /// build must compute (worked out apart from this code, by the reference
    /// C library's `XXH3_64bits` over the bytes the module docs describe).
    /// A failure here means shared cache entries (and the fingerprints in
    /// decision logs) no longer match across versions: change the numbers
    /// only on purpose, and say so in the changelog.
    #[test]
    fn fingerprints_are_pinned_to_literal_values() {
        assert_eq!(Fingerprint::new().finish(), 0x2d06800538d394c2);
        assert_eq!(Fingerprint::new().u64(0).finish(), 0xc77b3abb6f87acd9);
        assert_eq!(
            Fingerprint::new().str("umpire").finish(),
            0x3dcae9d3ac45ceb2
        );
        assert_eq!(
            Fingerprint::new()
                .str("NYR")
                .option(Some(3u32), Fingerprint::u32)
                .bool(true)
                .i64(-1)
                .finish(),
            0x088a604aa79538b0
        );
        // Past 240 bytes, XXH3 takes its long path.
        let long: Vec<u64> = (0..100).collect();
        assert_eq!(Fingerprint::new().u64s(&long).finish(), 0xeb35cf7afa713ced);
    }

    #[test]
    fn the_encoding_is_as_documented() {
        // XXH3 of the encoded bytes, fed at once or piece by piece.
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&3u64.to_le_bytes());
        bytes.extend_from_slice(b"NYR");
        bytes.push(1);
        bytes.extend_from_slice(&7u32.to_le_bytes());
        bytes.push(0);
        bytes.extend_from_slice(&(-5i64).to_le_bytes());
        bytes.extend_from_slice(&2u64.to_le_bytes());
        bytes.extend_from_slice(&10u64.to_le_bytes());
        bytes.extend_from_slice(&11u64.to_le_bytes());
        let fed = Fingerprint::new()
            .str("NYR")
            .option(Some(7u32), Fingerprint::u32)
            .option(None::<u32>, Fingerprint::u32)
            .i64(-5)
            .u64s(&[10, 11])
            .finish();
        assert_eq!(fed, xxh3_64(&bytes));
    }

    #[test]
    fn the_shortcuts_give_what_feeding_gives() {
        for v in [0, 1, 42, u64::MAX] {
            assert_eq!(Fingerprint::of_u64(v), Fingerprint::new().u64(v).finish());
            assert_eq!(
                Fingerprint::of_option_u64(Some(v)),
                Fingerprint::new()
                    .option(Some(v), Fingerprint::u64)
                    .finish()
            );
        }
        assert_eq!(
            Fingerprint::of_option_u64(None),
            Fingerprint::new().option(None, Fingerprint::u64).finish()
        );
    }

    #[test]
    fn a_long_list_gives_what_its_items_fed_one_by_one_give() {
        let values: Vec<u64> = (0..1000).map(|i| i * 0x9e37_79b9).collect();
        let mut one_by_one = Fingerprint::new();
        one_by_one.usize(values.len());
        for &v in &values {
            one_by_one.u64(v);
        }
        assert_eq!(
            Fingerprint::new().u64s(&values).finish(),
            one_by_one.finish()
        );
    }

    #[test]
    fn an_input_longer_than_the_buffer_streams_to_the_same_fingerprint() {
        let long = "x".repeat(3 * BUFFER + 5);
        for head in ["", "ab", &"y".repeat(BUFFER - 3)] {
            let mut bytes = (head.len() as u64).to_le_bytes().to_vec();
            bytes.extend_from_slice(head.as_bytes());
            bytes.extend_from_slice(&(long.len() as u64).to_le_bytes());
            bytes.extend_from_slice(long.as_bytes());
            bytes.extend_from_slice(&7u64.to_le_bytes());
            let fed = Fingerprint::new().str(head).str(&long).u64(7).finish();
            assert_eq!(fed, xxh3_64(&bytes), "after {} bytes", head.len());
        }
    }

    #[test]
    fn lengths_keep_neighbouring_strings_apart() {
        let ab = Fingerprint::new().str("ab").str("c").finish();
        let a_bc = Fingerprint::new().str("a").str("bc").finish();
        assert_ne!(ab, a_bc);
    }
}
