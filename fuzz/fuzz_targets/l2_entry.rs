//! Any bytes as an entry of the shared verdict cache (what Redis returns
//! for a key): decoded or refused with a reason, never a panic, and never
//! more memory than the bytes could decompress to; what decodes writes back
//! to bytes that decode to the same entry. The first byte picks the layer:
//! even, the rest is the stored bytes as they are (the size prefix and the
//! LZ4 block); odd, the rest is compressed first, so that the JSON inside
//! is what varies.

#![no_main]

use libfuzzer_sys::fuzz_target;
use umpire_model::stored::Stored;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes = if mode % 2 == 0 {
        rest.to_vec()
    } else {
        lz4_flex::compress_prepend_size(rest)
    };
    let Ok(entry) = Stored::decode(&bytes) else {
        return;
    };
    let again = entry.encode().expect("a decoded entry encodes");
    assert_eq!(Stored::decode(&again).as_ref(), Ok(&entry));
});
