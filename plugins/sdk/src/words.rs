//! Comparing and hashing data word by word.
//!
//! In WebAssembly, `==` on slices and strings becomes a call to `memcmp`,
//! which goes byte by byte: comparing a season's pairings that way took a
//! third of an ITC2021 scoring run. These compare without an early exit,
//! which keeps the compiler from turning the loop back into `memcmp`.

/// Whether two slices hold the same numbers.
pub(crate) fn same_words(a: &[u32], b: &[u32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Whether two byte strings are equal, eight bytes at a time.
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let ((x, x_tail), (y, y_tail)) = (a.as_chunks::<8>(), b.as_chunks::<8>());
    let tail = x_tail
        .iter()
        .zip(y_tail)
        .fold(0u64, |d, (p, q)| d | u64::from(p ^ q));
    x.iter()
        .zip(y)
        .fold(tail, |d, (p, q)| d | (word(p) ^ word(q)))
        == 0
}

/// A quick hash of bytes, eight at a time.
pub(crate) fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = bytes.len() as u64;
    let (chunks, tail) = bytes.as_chunks::<8>();
    for c in chunks {
        h = (h ^ word(c))
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(29);
    }
    for &b in tail {
        h = (h ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    h
}

/// Eight bytes as one word.
fn word(c: &[u8; 8]) -> u64 {
    u64::from_le_bytes(*c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_by_content() {
        assert!(same_words(&[], &[]));
        assert!(same_words(&[1, 2, 3], &[1, 2, 3]));
        assert!(!same_words(&[1, 2, 3], &[1, 2, 4]));
        assert!(!same_words(&[1, 2, 3], &[1, 2]));
    }

    #[test]
    fn byte_strings_compare_and_hash_by_content() {
        let a = br#"{"class":"CA2","teams1":[3],"slots":[0,1,2]}"#;
        let mut b = a.to_vec();
        assert!(same_bytes(a, &b));
        assert_eq!(hash_bytes(a), hash_bytes(&b));
        for i in [0, 7, 8, a.len() - 1] {
            b[i] ^= 1;
            assert!(!same_bytes(a, &b), "a change at byte {i} is seen");
            assert_ne!(hash_bytes(a), hash_bytes(&b));
            b[i] ^= 1;
        }
        assert!(!same_bytes(a, &a[..a.len() - 1]));
    }
}
