//! Fuzz target: decode arbitrary bytes as a remote-copy message. Decoding must never panic;
//! whatever decodes must re-encode to the very same bytes (the format is canonical) and
//! decode again to the same message.

#![no_main]

use libfuzzer_sys::fuzz_target;
use models::copy::codec::{decode, encode, encoded_len};

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = decode(data) {
        let mut out = Vec::new();
        let n = encode(&msg, &mut out).expect("a decoded message is within the format's limits");
        assert_eq!(n, out.len());
        assert_eq!(encoded_len(&msg), out.len());
        assert!(out == data, "re-encoding differs from the input");
        let again = decode(&out).expect("a re-encoded message decodes");
        assert_eq!(again, msg);
    }
});
