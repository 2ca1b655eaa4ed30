#![no_main]
//! Any datagram: decoding never panics, and whatever decodes and re-encodes
//! decodes again to the same attributes.

use libfuzzer_sys::fuzz_target;
use radius::Packet;

fuzz_target!(|data: &[u8]| {
    let Ok(p) = Packet::decode(data, b"fuzz") else { return };
    let _ = p.verify_request_authenticator();
    let _ = p.describe();
    if let Ok(wire) = p.encode(b"fuzz") {
        let again = Packet::decode(&wire, b"fuzz").expect("re-encoded packet decodes");
        assert_eq!(again.attributes(), p.attributes());
        assert!(again.verify_request_authenticator().is_ok() || p.code.authenticator_kind() == radius::AuthenticatorKind::Random);
    }
});
