//! A cached verdict as the shared cache (L2, Redis) holds it: the verdict
//! and the fingerprinted reads it was made from, as JSON compressed with
//! LZ4, the uncompressed size prepended.
//!
//! What comes back from Redis is not trusted: another build may have
//! written it, or it was damaged on the way. [`Stored::decode`] refuses
//! whatever is not an entry with a reason, never panics, and never sets
//! aside more memory than the bytes at hand could decompress to (the size
//! in front is checked before it is allocated).

use serde::{Deserialize, Serialize};

use crate::Verdict;
use crate::reads::{Fields, Read};

/// The most an LZ4 block expands: one byte of input to at most 255 of
/// output (a match length continues in bytes of 255).
const MAX_EXPANSION: usize = 255;

/// One cache entry: the verdict and each schedule query it read, with the
/// fingerprint of the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stored {
    /// The verdict (its `elapsed_us` is 0: a hit takes no time).
    pub verdict: Verdict,
    /// The queries and their answers' fingerprints.
    pub reads: Vec<(Read, u64)>,
    /// The fields of the games the answers are fingerprinted over; all of
    /// them in an entry written before fields were told apart.
    #[serde(default = "all_fields")]
    pub fields: Fields,
}

fn all_fields() -> Fields {
    Fields::ALL
}

impl Stored {
    /// The bytes to store.
    pub fn encode(&self) -> Result<Vec<u8>, serde_json::Error> {
        let json = serde_json::to_vec(self)?;
        Ok(lz4_flex::compress_prepend_size(&json))
    }

    /// The entry in `bytes`, or why they are not one.
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        let (size, block) = bytes
            .split_first_chunk::<4>()
            .ok_or_else(|| format!("{} bytes are too short for a cache entry", bytes.len()))?;
        let size = u32::from_le_bytes(*size) as usize;
        if size > block.len().saturating_mul(MAX_EXPANSION) {
            return Err(format!(
                "the entry says it holds {size} bytes, more than {} compressed bytes can",
                block.len()
            ));
        }
        let json = lz4_flex::decompress(block, size)
            .map_err(|e| format!("the entry does not decompress: {e}"))?;
        serde_json::from_slice(&json).map_err(|e| format!("the entry is not a verdict: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Hardness, Status};

    fn entry() -> Stored {
        Stored {
            verdict: Verdict {
                constraint: "rest-days".into(),
                hardness: Hardness::Hard,
                weight: 80,
                status: Status::Passed,
                score: 1.0,
                violations: Vec::new(),
                message: None,
                elapsed_us: 0,
            },
            reads: vec![(Read::GamesOf("SEA".into()), 7), (Read::Len, 9)],
            fields: Fields::HOME,
        }
    }

    #[test]
    fn an_entry_decodes_to_itself() {
        let bytes = entry().encode().unwrap();
        assert_eq!(Stored::decode(&bytes).unwrap(), entry());
    }

    /// An entry from before fields were told apart stands on whole games.
    #[test]
    fn an_entry_without_fields_is_read_over_all_of_them() {
        let json = br#"{"verdict": {"constraint": "a", "hardness": "soft", "weight": 0, "status": "passed", "score": 1.0, "elapsed_us": 0}, "reads": [["Len", 13]]}"#;
        let old = Stored::decode(&lz4_flex::compress_prepend_size(json)).unwrap();
        assert_eq!(old.fields, Fields::ALL);
    }

    /// Regression: a damaged entry whose first four bytes claim 4 GiB made
    /// the decoder ask for 4 GiB before finding out (lz4_flex allocates the
    /// size it is told); under an address-space limit (`ulimit -v 1000000`)
    /// the process aborted.
    #[test]
    fn a_size_the_bytes_cannot_hold_is_refused_before_allocating() {
        let e = Stored::decode(&[0xff, 0xff, 0xff, 0xff, 0x00]).unwrap_err();
        assert!(e.contains("4294967295 bytes"), "{e}");
    }

    #[test]
    fn damage_is_refused_with_a_reason() {
        assert!(Stored::decode(b"").unwrap_err().contains("too short"));
        let mut bytes = entry().encode().unwrap();
        bytes.truncate(bytes.len() / 2);
        assert!(Stored::decode(&bytes).is_err());
        let not_json = lz4_flex::compress_prepend_size(b"{\"verdict\": 3}");
        let e = Stored::decode(&not_json).unwrap_err();
        assert!(e.starts_with("the entry is not a verdict"), "{e}");
    }
}
