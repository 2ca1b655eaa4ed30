#![no_main]
//! Any datagram: decoding never panics, and whatever decodes and re-encodes
//! decodes again to the same attributes. Message-Authenticator is the
//! exception: encoding signs it anew (and writes it once), so only its
//! presence carries over.

use libfuzzer_sys::fuzz_target;
use radius::{Attribute, AttributeId, Packet};

const MESSAGE_AUTHENTICATOR: AttributeId = AttributeId::Standard(80);

fn unsigned(attrs: &[Attribute]) -> Vec<&Attribute> {
    attrs
        .iter()
        .filter(|a| a.id != MESSAGE_AUTHENTICATOR)
        .collect()
}

fn signed(p: &Packet) -> bool {
    p.attributes().iter().any(|a| a.id == MESSAGE_AUTHENTICATOR)
}

fuzz_target!(|data: &[u8]| {
    let Ok(p) = Packet::decode(data, b"fuzz") else {
        return;
    };
    let _ = p.verify_request_authenticator();
    let _ = p.describe();
    if let Ok(wire) = p.encode(b"fuzz") {
        let again = Packet::decode(&wire, b"fuzz").expect("re-encoded packet decodes");
        assert_eq!(unsigned(again.attributes()), unsigned(p.attributes()));
        assert_eq!(signed(&again), signed(&p));
        assert!(
            again.verify_request_authenticator().is_ok()
                || p.code.authenticator_kind() == radius::AuthenticatorKind::Random
        );
    }
});
