//! Input decoding: any bytes decode to text without NUL or are skipped with
//! a reason; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use themata::input::{decode, Decoded};

fuzz_target!(|bytes: &[u8]| {
    match decode(bytes) {
        Decoded::Text { text, .. } => {
            assert!(!text.contains('\0'));
            assert!(!text.trim().is_empty());
        }
        Decoded::Skip(reason) => assert!(!reason.is_empty()),
    }
});
