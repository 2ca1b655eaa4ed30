//! Encode/decode cases in the spirit of FreeRADIUS's protocol unit tests
//! (src/tests/unit/protocols/radius): per RFC, vendor, tunnel, extended and
//! error cases.

use std::sync::Arc;

use radius::{
    AttrDef, Attribute, AttributeId, AuthenticatorError, Code, DataType, DecodeError, Dictionary,
    Packet, VendorDef, attr,
};

use crate::hex;

const VECTOR: &str = "00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f";

fn request(attrs: &str) -> Vec<u8> {
    let body = hex(attrs);
    let mut p = vec![1, 0];
    p.extend_from_slice(&((20 + body.len()) as u16).to_be_bytes());
    p.extend_from_slice(&hex(VECTOR));
    p.extend_from_slice(&body);
    p
}

fn decode_err(attrs: &str) -> DecodeError {
    Packet::decode(&request(attrs), b"testing123").expect_err("must fail")
}

#[test]
fn user_password_matches_freeradius_vector() {
    // FreeRADIUS rfc2868.txt: User-Password "bob", vector 00..0f, secret testing123.
    let wire = request("01 05 62 6f 62 02 12 f4 81 6b ca 74 fd 7a 1a 10 46 07 24 00 14 82 8b");
    let p = Packet::decode(&wire, b"testing123").expect("decodes");
    assert_eq!(p.raw(attr::USER_PASSWORD.id), Some(&b"bob"[..]));
    assert_eq!(p.encode(b"testing123").expect("encodes"), wire);
}

#[test]
fn tunnel_password_decodes_freeradius_vector() {
    // FreeRADIUS rfc2868.txt encodes Tunnel-Password "foo" (salt 0x9973) with
    // secret testing123 and its test harness's vector 00..0f.
    let attr = hex("45 15 00 99 73 05 1d e6 c5 57 30 7d ac d5 da a5 99 f4 e2 6e 7e");
    let vector: [u8; 16] = hex(VECTOR).try_into().expect("16");
    let plain = radius::crypto::salt_decrypt(&attr[3..], b"testing123", &vector).expect("decrypts");
    assert_eq!(plain, b"foo");
}

#[test]
fn tunnel_password_round_trips_in_a_reply_with_tag() {
    let req = Packet::new(Code::AccessRequest, 3);
    let mut reply = req.make_response(Code::AccessAccept);
    reply.add_tagged(attr::TUNNEL_PASSWORD, 1, b"0123456789abcdef0".to_vec());
    reply.add_tagged(attr::TUNNEL_TYPE, 1, 3);
    reply.add_tagged(attr::TUNNEL_MEDIUM_TYPE, 2, 1);
    let wire = reply.encode(b"sec").expect("encodes");
    // Tunnel-Type:1 = L2TP is 40 06 01 00 00 03.
    assert!(wire.windows(6).any(|w| w == [0x40, 6, 1, 0, 0, 3]));
    let got = Packet::decode_response(&wire, b"sec", &req.authenticator).expect("decodes");
    got.verify_response_authenticator().expect("valid");
    let tp = got.find(attr::TUNNEL_PASSWORD.id).expect("present");
    assert_eq!(
        (tp.tag, tp.value.as_slice()),
        (Some(1), &b"0123456789abcdef0"[..])
    );
    assert_eq!(got.find(attr::TUNNEL_TYPE.id).map(|a| a.tag), Some(Some(1)));
    assert_eq!(got.get(attr::TUNNEL_TYPE), Some(3));
    assert_eq!(
        got.find(attr::TUNNEL_MEDIUM_TYPE.id).map(|a| a.tag),
        Some(Some(2))
    );
    assert!(
        got.describe().contains("Tunnel-Type:1 = L2TP"),
        "{}",
        got.describe()
    );
}

#[test]
fn tagged_string_with_and_without_tag() {
    // Tunnel-Private-Group-Id: a first octet of 0x01-0x1f is a tag.
    let p = Packet::decode(&request("51 06 05 31 30 30"), b"s").expect("decodes");
    let a = p.find(AttributeId::Standard(81)).expect("present");
    assert_eq!((a.tag, a.value.as_slice()), (Some(5), &b"100"[..]));
    let p = Packet::decode(&request("51 05 31 30 30"), b"s").expect("decodes");
    let a = p.find(AttributeId::Standard(81)).expect("present");
    assert_eq!((a.tag, a.value.as_slice()), (None, &b"100"[..]));
}

#[test]
fn tag_above_31_is_refused_on_encode() {
    let mut p = Packet::new(Code::AccessRequest, 0);
    p.push(Attribute {
        id: attr::TUNNEL_TYPE.id,
        tag: Some(32),
        value: vec![0, 0, 0, 1],
    });
    let e = p.encode(b"s").expect_err("bad tag");
    assert_eq!(e.to_string(), "Tunnel-Type: tag 32 is above 31");
}

#[test]
fn vendor_specific_mikrotik_and_cisco() {
    let mut p = Packet::new(Code::AccessAccept, 1).make_response(Code::AccessAccept);
    p.add_text(attr::mikrotik::RATE_LIMIT, "10M/20M 15M/25M 8M/16M 10/10");
    p.add_text(attr::cisco::AVPAIR, "ip:addr-pool=pool1");
    p.add(attr::huawei::INPUT_AVERAGE_RATE, 10_000_000);
    let wire = p.encode(b"s").expect("encodes");
    // 26, len, vendor 14988 = 00 00 3a 8c, type 8, len.
    assert!(
        wire.windows(8)
            .any(|w| w[0] == 26 && w[2..8] == [0, 0, 0x3a, 0x8c, 8, w[7]])
    );
    let req_auth = [0u8; 16];
    let _ = req_auth;
    let got = Packet::decode_response(&wire, b"s", p.request_authenticator().expect("reply"))
        .expect("decodes");
    got.verify_response_authenticator().expect("valid");
    assert_eq!(
        got.get(attr::mikrotik::RATE_LIMIT).as_deref(),
        Some("10M/20M 15M/25M 8M/16M 10/10")
    );
    assert_eq!(
        got.get(attr::cisco::AVPAIR).as_deref(),
        Some("ip:addr-pool=pool1")
    );
    assert_eq!(
        got.value_text("Huawei-Input-Average-Rate").as_deref(),
        Some("10000000")
    );
}

#[test]
fn several_vendor_attributes_in_one_vsa() {
    // One Vendor-Specific carrying Mikrotik-Group and Mikrotik-Realm.
    let p = Packet::decode(
        &request("1a 0f 00 00 3a 8c 03 05 61 64 6d 09 04 6e 65"),
        b"s",
    )
    .expect("decodes");
    assert_eq!(p.get(attr::mikrotik::GROUP).as_deref(), Some("adm"));
    assert_eq!(p.get(attr::mikrotik::REALM).as_deref(), Some("ne"));
}

#[test]
fn unknown_vendor_is_kept_and_reencoded() {
    let wire = request("1a 0c 00 00 99 99 01 06 de ad be ef");
    let p = Packet::decode(&wire, b"s").expect("decodes");
    assert_eq!(
        p.raw(AttributeId::Vendor {
            vendor: 0x9999,
            ty: 1
        }),
        Some(&[0xde, 0xad, 0xbe, 0xef][..])
    );
    assert_eq!(p.encode(b"s").expect("encodes"), wire);
    // An unknown vendor whose content does not parse as type/length stays raw.
    let odd = request("1a 09 00 00 99 99 ff ff ff");
    let p = Packet::decode(&odd, b"s").expect("decodes");
    assert_eq!(
        p.raw(AttributeId::Standard(26)),
        Some(&hex("00 00 99 99 ff ff ff")[..])
    );
    assert_eq!(p.encode(b"s").expect("encodes"), odd);
}

#[test]
fn malformed_known_vendor_attribute_is_named() {
    let e = decode_err("1a 0a 00 00 3a 8c 08 09 41 42");
    assert_eq!(
        e.to_string(),
        "Vendor-Specific(Mikrotik) at byte 26: vendor attribute length 9 is invalid (4 octets left)"
    );
    let e = decode_err("1a 05 00 00 3a");
    assert!(
        e.to_string().starts_with("Vendor-Specific at byte 20:"),
        "{e}"
    );
}

#[test]
fn vendor_formats_two_octet_type_and_length() {
    let mut d = Dictionary::builtin();
    d.load_str(
        "VENDOR Lucent 4846 format=2,1\nBEGIN-VENDOR Lucent\nATTRIBUTE Lucent-Max 600 integer\nEND-VENDOR Lucent\n\
         VENDOR Starent 8164 format=2,2\nBEGIN-VENDOR Starent\nATTRIBUTE SN-Name 5 string\nEND-VENDOR Starent\n\
         VENDOR USR 429 format=4,0\nBEGIN-VENDOR USR\nATTRIBUTE USR-Speed 0x9800 integer\nEND-VENDOR USR\n",
        "inline",
    )
    .expect("parses");
    let d = Arc::new(d);
    let mut p = Packet::with_dictionary(Code::AccountingRequest, 1, Arc::clone(&d));
    p.add_parsed("Lucent-Max", "7").expect("ok");
    p.add_parsed("SN-Name", "x").expect("ok");
    p.add_parsed("USR-Speed", "9600").expect("ok");
    let wire = p.encode(b"s").expect("encodes");
    assert!(
        wire.windows(13)
            .any(|w| w == hex("1a 0d 00 00 12 ee 02 58 07 00 00 00 07").as_slice())
    );
    assert!(
        wire.windows(11)
            .any(|w| w == hex("1a 0b 00 00 1f e4 00 05 00 05 78").as_slice())
    );
    assert!(
        wire.windows(14)
            .any(|w| w == hex("1a 0e 00 00 01 ad 00 00 98 00 00 00 25 80").as_slice())
    );
    let got = Packet::decode_with(&wire, b"s", &d).expect("decodes");
    got.verify_request_authenticator().expect("valid");
    assert_eq!(got.value_text("Lucent-Max").as_deref(), Some("7"));
    assert_eq!(got.value_text("SN-Name").as_deref(), Some("x"));
    assert_eq!(got.value_text("USR-Speed").as_deref(), Some("9600"));
}

#[test]
fn wimax_continuation_splits_and_joins() {
    let mut d = Dictionary::builtin();
    d.load_str(
        "VENDOR WiMAX 24757 format=1,1,c\nBEGIN-VENDOR WiMAX\nATTRIBUTE WiMAX-Blob 1 octets\nEND-VENDOR WiMAX\n",
        "inline",
    )
    .expect("parses");
    let d = Arc::new(d);
    let mut p = Packet::with_dictionary(Code::AccountingRequest, 1, Arc::clone(&d));
    let blob: Vec<u8> = (0..600u32).map(|i| i as u8).collect();
    p.push(Attribute::new(
        AttributeId::Vendor {
            vendor: 24757,
            ty: 1,
        },
        blob.clone(),
    ));
    let wire = p.encode(b"s").expect("encodes");
    assert!(wire.len() > 600 + 3 * 9);
    let got = Packet::decode_with(&wire, b"s", &d).expect("decodes");
    assert_eq!(
        got.raw(AttributeId::Vendor {
            vendor: 24757,
            ty: 1
        }),
        Some(blob.as_slice())
    );
}

#[test]
fn eap_message_is_split_and_joined() {
    let mut p = Packet::new(Code::AccessRequest, 1);
    let eap: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
    p.add(attr::EAP_MESSAGE, eap.clone());
    p.add_message_authenticator();
    let wire = p.encode(b"s").expect("encodes");
    assert_eq!(wire.iter().filter(|_| true).count(), wire.len());
    let got = Packet::decode(&wire, b"s").expect("decodes");
    got.verify_request_authenticator().expect("valid");
    assert_eq!(got.get(attr::EAP_MESSAGE), Some(eap));
    assert_eq!(got.attributes().len(), 2);
}

#[test]
fn long_text_value_is_refused() {
    let mut p = Packet::new(Code::AccessRequest, 1);
    p.add_text(attr::REPLY_MESSAGE, &"x".repeat(254));
    assert_eq!(
        p.encode(b"s").expect_err("too long").to_string(),
        "Reply-Message: value of 254 octets is too long (at most 253)"
    );
    let mut p = Packet::new(Code::AccessRequest, 1);
    p.add_text(attr::mikrotik::ADDRESS_LIST, &"x".repeat(248));
    assert!(p.encode(b"s").is_err());
}

#[test]
fn extended_and_long_extended() {
    let mut d = Dictionary::builtin();
    d.load_str(
        "ATTRIBUTE Test-Ext 241.200 integer\nATTRIBUTE Test-Long 245.1 octets\n\
         VENDOR Example 32473\nBEGIN-VENDOR Example format=Extended-Vendor-Specific-5\n\
         ATTRIBUTE Example-Long 7 octets\nEND-VENDOR Example\n",
        "inline",
    )
    .expect("parses");
    let d = Arc::new(d);
    let long: Vec<u8> = (0..700u32).map(|i| i as u8).collect();
    let mut p = Packet::with_dictionary(Code::AccessRequest, 1, Arc::clone(&d));
    p.add_parsed("Test-Ext", "5").expect("ok");
    p.add_parsed("Response-Length", "4096").expect("ok");
    p.push(Attribute::new(
        AttributeId::Extended { ty: 245, ext: 1 },
        long.clone(),
    ));
    p.push(Attribute::new(
        AttributeId::ExtendedVendor {
            ty: 245,
            vendor: 32473,
            ext: 7,
        },
        long.clone(),
    ));
    let wire = p.encode(b"s").expect("encodes");
    assert!(wire.windows(7).any(|w| w == [241, 7, 200, 0, 0, 0, 5]));
    assert!(wire.windows(4).any(|w| w == [245, 255, 1, 0x80]));
    let got = Packet::decode_with(&wire, b"s", &d).expect("decodes");
    assert_eq!(got.value_text("Test-Ext").as_deref(), Some("5"));
    assert_eq!(got.value_text("Response-Length").as_deref(), Some("4096"));
    assert_eq!(
        got.raw(AttributeId::Extended { ty: 245, ext: 1 }),
        Some(long.as_slice())
    );
    assert_eq!(
        got.raw(AttributeId::ExtendedVendor {
            ty: 245,
            vendor: 32473,
            ext: 7
        }),
        Some(long.as_slice())
    );
    // A fragment with the More flag and nothing after it.
    let e = Packet::decode_with(&request("f5 05 01 80 41"), b"s", &d).expect_err("dangling");
    assert_eq!(
        e.to_string(),
        "Test-Long at byte 20: last fragment has the More flag set"
    );
}

#[test]
fn ipv6_attributes_rfc3162_4818_6911() {
    let mut p = Packet::new(Code::AccessRequest, 1).make_response(Code::AccessAccept);
    p.add(
        attr::FRAMED_IPV6_PREFIX,
        "2001:db8:1::/48".parse().expect("prefix"),
    );
    p.add(
        attr::DELEGATED_IPV6_PREFIX,
        "2001:db8:ff00::/56".parse().expect("prefix"),
    );
    p.add(attr::FRAMED_INTERFACE_ID, [0, 0, 0, 0, 0, 0, 0, 1]);
    p.add(
        attr::FRAMED_IPV6_ADDRESS,
        "2001:db8::5".parse().expect("addr"),
    );
    p.add_parsed("DNS-Server-IPv6-Address", "2001:4860:4860::8888")
        .expect("ok");
    let wire = p.encode(b"s").expect("encodes");
    // Only the octets the prefix length covers are sent (RFC 3162 2.3).
    assert!(
        wire.windows(10)
            .any(|w| w == hex("61 0a 00 30 20 01 0d b8 00 01").as_slice())
    );
    let got = Packet::decode_response(&wire, b"s", p.request_authenticator().expect("reply"))
        .expect("decodes");
    assert_eq!(
        got.value_text("Delegated-IPv6-Prefix").as_deref(),
        Some("2001:db8:ff00::/56")
    );
    assert_eq!(
        got.value_text("Framed-Interface-Id").as_deref(),
        Some("0000:0000:0000:0001")
    );
    assert_eq!(
        got.value_text("Framed-IPv6-Address").as_deref(),
        Some("2001:db8::5")
    );
    let e = decode_err("61 04 00 81");
    assert_eq!(
        e.to_string(),
        "Framed-IPv6-Prefix at byte 20: prefix length 129 is too long"
    );
}

#[test]
fn accounting_request_authenticator_and_coa() {
    for code in [
        Code::AccountingRequest,
        Code::CoaRequest,
        Code::DisconnectRequest,
    ] {
        let mut p = Packet::new(code, 77);
        p.add_text(attr::USER_NAME, "bob");
        p.add_text(attr::ACCT_SESSION_ID, "81000001");
        let wire = p.encode(b"s").expect("encodes");
        let got = Packet::decode(&wire, b"s").expect("decodes");
        got.verify_request_authenticator().expect("valid");
        let mut tampered = wire.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        let bad = Packet::decode(&tampered, b"s").expect("decodes");
        assert_eq!(
            bad.verify_request_authenticator(),
            Err(AuthenticatorError::Request),
            "{code}"
        );
        let mut ack = got.make_response(if code == Code::AccountingRequest {
            Code::AccountingResponse
        } else {
            Code::CoaNak
        });
        ack.add_parsed("Error-Cause", "Session-Context-Not-Found")
            .ok();
        let ack_wire = ack.encode(b"s").expect("encodes");
        let back = Packet::decode_response(&ack_wire, b"s", &got.authenticator).expect("decodes");
        back.verify_response_authenticator().expect("valid");
    }
}

#[test]
fn message_authenticator_is_first_checked_and_required_for_status_server() {
    let mut p = Packet::new(Code::AccessRequest, 5);
    p.add_text(attr::USER_NAME, "x");
    p.add_message_authenticator();
    let wire = p.encode(b"s").expect("encodes");
    assert_eq!(wire[20], 80);
    let got = Packet::decode(&wire, b"s").expect("decodes");
    got.verify_request_authenticator().expect("valid");
    assert_eq!(
        Packet::decode(&wire, b"t")
            .expect("decodes")
            .verify_request_authenticator(),
        Err(AuthenticatorError::MessageAuthenticator)
    );

    let reply = got.make_response(Code::AccessReject);
    let mut reply = reply;
    reply.add_message_authenticator();
    let rw = reply.encode(b"s").expect("encodes");
    let back = Packet::decode_response(&rw, b"s", &p.authenticator).expect("decodes");
    back.verify_response_authenticator().expect("valid");
    let mut bad = rw.clone();
    bad[25] ^= 0xff;
    let back = Packet::decode_response(&bad, b"s", &p.authenticator).expect("decodes");
    assert!(back.verify_response_authenticator().is_err());

    let ss = Packet::decode(
        &hex("0c 00 00 14 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f"),
        b"s",
    )
    .expect("decodes");
    assert_eq!(
        ss.verify_request_authenticator(),
        Err(AuthenticatorError::MissingMessageAuthenticator)
    );
}

#[test]
fn proxy_state_is_copied_into_replies() {
    let p = Packet::decode(&request("21 05 61 62 63 01 03 78"), b"s").expect("decodes");
    let r = p.make_response(Code::AccessAccept);
    assert_eq!(r.raw(attr::PROXY_STATE.id), Some(&b"abc"[..]));
}

/// Header and attribute errors, after FreeRADIUS's errors.txt.
#[test]
fn errors_name_attribute_and_offset() {
    let cases: &[(&str, &str)] = &[
        (
            "01 00 00 13 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e",
            "packet of 19 octets is shorter than the 20-octet header",
        ),
        (
            "01 00 00 13 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f",
            "Length field 19 is invalid for a datagram of 20 octets",
        ),
        (
            "01 00 00 64 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f",
            "Length field 100 is invalid for a datagram of 20 octets",
        ),
        (
            "01 00 00 15 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f ff",
            "attribute header at byte 20: only 1 octet left",
        ),
        (
            "01 00 00 16 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 00 02",
            "Attr-0 at byte 20: attribute number 0 is invalid",
        ),
        (
            "01 00 00 16 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 01 00",
            "User-Name at byte 20: length 0 is below 2",
        ),
        (
            "01 00 00 16 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 01 0a",
            "User-Name at byte 20: length 10 overruns the packet (2 octets left)",
        ),
        (
            "01 00 00 19 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 50 05 00 00 00",
            "Message-Authenticator at byte 20: length 5 is not 18",
        ),
        (
            "01 00 00 1c 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 01 03 78 05 05 00 00 00",
            "NAS-Port at byte 23: integer value must be 4 octets, got 3",
        ),
        (
            "01 00 00 1b 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 02 07 01 02 03 04 05",
            "User-Password at byte 20: hidden value length 5 is not a positive multiple of 16",
        ),
        (
            "01 00 00 1a 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 08 06 01 02 03 04",
            "Framed-IP-Address at byte 20: could not happen",
        ),
    ];
    for (i, (wire, want)) in cases.iter().enumerate() {
        let got = Packet::decode(&hex(wire), b"testing123");
        if *want == "could not happen" || want.ends_with("could not happen") {
            assert!(got.is_ok(), "case {i}: {got:?}");
            continue;
        }
        assert_eq!(got.expect_err("fails").to_string(), *want, "case {i}");
    }
    // Octets past the Length field are padding and ignored.
    let mut padded = request("01 05 62 6f 62");
    padded.extend_from_slice(&[0xff; 7]);
    assert_eq!(
        Packet::decode(&padded, b"s")
            .expect("decodes")
            .get(attr::USER_NAME)
            .as_deref(),
        Some("bob")
    );
}

#[test]
fn unknown_code_is_kept() {
    let p = Packet::decode(
        &hex("35 00 00 14 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f"),
        b"s",
    )
    .expect("decodes");
    assert_eq!(p.code, Code::Other(0x35));
}

#[test]
fn reply_without_request_is_refused() {
    let p = Packet::new(Code::AccessAccept, 1);
    assert!(p.encode(b"s").is_err());
    let d = Arc::new(Dictionary::builtin());
    let mut d2 = (*d).clone();
    d2.add_vendor(VendorDef::new("X", 1));
    d2.add_attribute(AttrDef::new(
        "X-A",
        AttributeId::Vendor { vendor: 1, ty: 1 },
        DataType::Integer,
    ))
    .expect("ok");
    assert!(d2.attr_by_name("x-a").is_some());
}
