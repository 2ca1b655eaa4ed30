//! Examples and test vectors from the RFCs.

use radius::auth::{chap, mppe, mschap, mschap2};
use radius::{AuthenticatorError, Code, DecodeError, Packet, Value, attr};

use crate::hex;

const SECRET: &[u8] = b"xyzzy5461";

const R7_1_REQUEST: &str = "01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb
    98 f4 22 7a 01 06 6e 65 6d 6f 02 12 0d be 70 8d 93 d4 13 ce 31 96 e4 3f
    78 2a 0a ee 04 06 c0 a8 01 10 05 06 00 00 00 03";
const R7_1_ACCEPT: &str = "02 00 00 26 86 fe 22 0e 76 24 ba 2a 10 05 f6 bf
    9b 55 e0 b2 06 06 00 00 00 01 0f 06 00 00 00 00 0e 06 c0 a8 01 03";

fn auth16(b: &[u8]) -> [u8; 16] {
    b[4..20].try_into().expect("16 octets")
}

#[test]
fn rfc2865_7_1_telnet_request_reveals_password() {
    let p = Packet::decode(&hex(R7_1_REQUEST), SECRET).expect("decodes");
    assert_eq!(p.code, Code::AccessRequest);
    assert_eq!(p.get(attr::USER_NAME).as_deref(), Some("nemo"));
    assert_eq!(p.raw(attr::USER_PASSWORD.id), Some(&b"arctangent"[..]));
    assert_eq!(p.get(attr::NAS_IP_ADDRESS), Some([192, 168, 1, 16].into()));
    assert_eq!(p.get(attr::NAS_PORT), Some(3));
    radius::auth::pap::verify(&p, b"arctangent").expect("right password");
    assert!(p.verify_request_authenticator().is_ok());
}

#[test]
fn rfc2865_7_1_request_reencodes_byte_for_byte() {
    // User-Password hiding is deterministic given the authenticator.
    let wire = hex(R7_1_REQUEST);
    let p = Packet::decode(&wire, SECRET).expect("decodes");
    assert_eq!(p.encode(SECRET).expect("encodes"), wire);
}

#[test]
fn rfc2865_7_1_accept_is_rebuilt_exactly() {
    let req = Packet::decode(&hex(R7_1_REQUEST), SECRET).expect("decodes");
    let mut reply = req.make_response(Code::AccessAccept);
    reply
        .add_parsed("Service-Type", "Login-User")
        .expect("value");
    reply.add_parsed("Login-Service", "Telnet").expect("value");
    reply
        .add_parsed("Login-IP-Host", "192.168.1.3")
        .expect("value");
    assert_eq!(reply.encode(SECRET).expect("encodes"), hex(R7_1_ACCEPT));

    let got =
        Packet::decode_response(&hex(R7_1_ACCEPT), SECRET, &req.authenticator).expect("decodes");
    got.verify_response_authenticator().expect("valid");
    assert_eq!(got.value_text("Login-Service").as_deref(), Some("Telnet"));
    let bad =
        Packet::decode_response(&hex(R7_1_ACCEPT), b"wrong", &req.authenticator).expect("decodes");
    assert_eq!(
        bad.verify_response_authenticator(),
        Err(AuthenticatorError::Response)
    );
}

#[test]
fn rfc2865_7_2_chap_request_and_accept() {
    let req = hex(
        "01 01 00 47 2a ee 86 f0 8d 0d 55 96 9c a5 97 8e 0d 33 67 a2 01 08 66 6c 6f 70 73 79
         03 13 16 e9 75 57 c3 16 18 58 95 f2 93 ff 63 44 07 72 75 04 06 c0 a8 01 10 05 06 00 00 00 14
         06 06 00 00 00 02 07 06 00 00 00 01",
    );
    let accept = hex(
        "02 01 00 38 15 ef bc 7d ab 26 cf a3 dc 34 d9 c0 3c 86 01 a4 06 06 00 00 00 02
         07 06 00 00 00 01 08 06 ff ff ff fe 0a 06 00 00 00 02 0d 06 00 00 00 01 0c 06 00 00 05 dc",
    );
    let p = Packet::decode(&req, SECRET).expect("decodes");
    assert_eq!(p.get(attr::USER_NAME).as_deref(), Some("flopsy"));
    assert_eq!(p.raw(attr::CHAP_PASSWORD.id).map(|v| v[0]), Some(22));
    assert_eq!(
        radius::auth::Method::of(&p),
        Some(radius::auth::Method::Chap)
    );
    // The RFC does not give flopsy's password; a wrong one must fail.
    assert!(chap::verify(&p, b"not-the-password").is_err());
    let a = Packet::decode_response(&accept, SECRET, &auth16(&req)).expect("decodes");
    a.verify_response_authenticator()
        .expect("valid response authenticator");
    assert_eq!(a.get(attr::FRAMED_MTU), Some(1500));
    assert_eq!(
        a.value("Framed-IP-Address"),
        Some(Value::Ipv4Addr([255, 255, 255, 254].into()))
    );
}

#[test]
fn rfc2865_7_3_challenge_response_card() {
    let req1 = hex(
        "01 02 00 39 f3 a4 7a 1f 6a 6d 76 71 0b 94 7a b9 30 41 a0 39 01 07 6d 6f 70 73 79
         02 12 33 65 75 73 77 82 89 b5 70 88 5e 15 08 48 25 c5 04 06 c0 a8 01 10 05 06 00 00 00 07",
    );
    let challenge = hex(
        "0b 02 00 4e 36 f3 c8 76 4a e8 c7 11 57 40 3c 0c 71 ff 9c 45 12 30 43 68 61 6c 6c 65 6e 67 65 20
         33 32 37 36 39 34 33 30 2e 20 20 45 6e 74 65 72 20 72 65 73 70 6f 6e 73 65 20 61 74 20 70 72 6f
         6d 70 74 2e 18 0a 33 32 37 36 39 34 33 30",
    );
    let p = Packet::decode(&req1, SECRET).expect("decodes");
    assert_eq!(p.raw(attr::USER_PASSWORD.id), Some(&b"challenge"[..]));
    let c = Packet::decode_response(&challenge, SECRET, &auth16(&req1)).expect("decodes");
    c.verify_response_authenticator().expect("valid");
    assert_eq!(
        c.get(attr::REPLY_MESSAGE).as_deref(),
        Some("Challenge 32769430.  Enter response at prompt.")
    );
    assert_eq!(c.get(attr::STATE).as_deref(), Some(&b"32769430"[..]));

    // The RFC's second request has a known erratum: State's length octet is
    // 0x10 where the packet holds 10 octets. The decoder names it.
    let req2_as_printed = hex(
        "01 03 00 43 b1 22 55 6d 42 8a 13 d0 d6 25 38 07 c4 57 ec f0 01 07 6d 6f 70 73 79
         02 12 69 2c 1f 20 5f c0 81 b9 19 b9 51 95 f5 61 a5 81 04 06 c0 a8 01 10 05 06 00 00 00 07
         18 10 33 32 37 36 39 34 33 30",
    );
    let err = Packet::decode(&req2_as_printed, SECRET).expect_err("erratum");
    assert!(
        matches!(&err, DecodeError::Attribute { attribute, offset: 57, .. } if attribute == "State"),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "State at byte 57: length 16 overruns the packet (10 octets left)"
    );
    let mut fixed = req2_as_printed.clone();
    fixed[58] = 0x0a;
    let p2 = Packet::decode(&fixed, SECRET).expect("decodes");
    assert_eq!(p2.raw(attr::USER_PASSWORD.id), Some(&b"99101462"[..]));
    let reject = hex("03 03 00 14 a4 2f 4f ca 45 91 6c 4e 09 c8 34 0f 9e 74 6a a0");
    let r = Packet::decode_response(&reject, SECRET, &auth16(&fixed)).expect("decodes");
    r.verify_response_authenticator().expect("valid");
    assert_eq!(r.code, Code::AccessReject);
}

// RFC 2759 section 9.2 and RFC 3079 section 3.5.
const USER: &[u8] = b"User";
const PASSWORD: &str = "clientPass";
const AUTH_CHALLENGE: &str = "5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28";
const PEER_CHALLENGE: &str = "21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E";
const NT_RESPONSE: &str = "82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF";

fn arr<const N: usize>(s: &str) -> [u8; N] {
    hex(s).try_into().expect("length")
}

#[test]
fn rfc2759_9_2_hash_example() {
    let ac: [u8; 16] = arr(AUTH_CHALLENGE);
    let pc: [u8; 16] = arr(PEER_CHALLENGE);
    assert_eq!(
        mschap2::challenge_hash(&pc, &ac, USER),
        arr::<8>("D0 2E 43 86 BC E9 12 26")
    );
    let ph = mschap::nt_password_hash(PASSWORD);
    assert_eq!(
        ph,
        arr::<16>("44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE")
    );
    let ntr = mschap2::nt_response(&ac, &pc, USER, &ph);
    assert_eq!(ntr, arr::<24>(NT_RESPONSE));
    let phh = mschap::hash_nt_password_hash(&ph);
    assert_eq!(
        phh,
        arr::<16>("41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F")
    );
    assert_eq!(
        mschap2::authenticator_response(&phh, &ntr, &pc, &ac, USER),
        "S=407A5589115FD0D6209F510FE9C04566932CDA56"
    );
}

#[test]
fn rfc2759_9_2_through_a_packet() {
    let ac: [u8; 16] = arr(AUTH_CHALLENGE);
    let pc: [u8; 16] = arr(PEER_CHALLENGE);
    let mut req = Packet::new(Code::AccessRequest, 9);
    req.add_text(attr::USER_NAME, "DOMAIN\\User");
    req.add(attr::microsoft::MS_CHAP_CHALLENGE, ac.to_vec());
    let mut resp = vec![0x2a, 0];
    resp.extend_from_slice(&pc);
    resp.extend_from_slice(&[0; 8]);
    resp.extend_from_slice(&hex(NT_RESPONSE));
    req.add(attr::microsoft::MS_CHAP2_RESPONSE, resp);
    let req = Packet::decode(&req.encode(b"s").expect("encodes"), b"s").expect("decodes");
    let ok = mschap2::verify(&req, PASSWORD).expect("valid");
    assert_eq!(ok.ident, 0x2a);
    assert_eq!(
        ok.authenticator_response,
        "S=407A5589115FD0D6209F510FE9C04566932CDA56"
    );
    assert_eq!(
        &ok.success_value()[1..],
        b"S=407A5589115FD0D6209F510FE9C04566932CDA56"
    );
    assert_eq!(
        mschap2::verify(&req, "clientpass"),
        Err(radius::auth::AuthError::WrongPassword)
    );
}

#[test]
fn rfc2759_9_3_des_key_parity() {
    assert_eq!(
        mschap::nt_password_hash("MyPw"),
        arr::<16>("FC 15 6A F7 ED CD 6C 0E DD E3 33 7D 42 7F 4E AC")
    );
    assert_eq!(
        mschap::des_key(&arr::<7>("FC 15 6A F7 ED CD 6C")),
        arr::<8>("FD 0B 5B 5E 7F 6E 34 D9")
    );
    assert_eq!(
        mschap::des_key(&arr::<7>("0E DD E3 33 7D 42 7F")),
        arr::<8>("0E 6E 79 67 37 EA 08 FE")
    );
}

#[test]
fn rfc2433_b2_mschapv1_response() {
    let challenge: [u8; 8] = arr("10 2D B5 DF 08 5D 30 41");
    let r = mschap::challenge_response(&challenge, &mschap::nt_password_hash("MyPw"));
    assert_eq!(
        r,
        arr::<24>("4E 9D 3C 8F 9C FD 38 5D 5B F4 D3 24 67 91 95 6C A4 C3 51 AB 40 9A 3D 61")
    );
}

#[test]
fn rfc3079_3_5_3_128_bit_keys() {
    let phh: [u8; 16] = arr("41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F");
    let master = mppe::master_key(&phh, &arr(NT_RESPONSE));
    assert_eq!(
        master,
        arr::<16>("FD EC E3 71 7A 8C 83 8C B3 88 E5 27 AE 3C DD 31")
    );
    // The RFC's sample is the server's send key (MS-MPPE-Send-Key); it is
    // also the client's receive key.
    let send_start = mppe::asymmetric_start_key(&master, true, true);
    assert_eq!(
        send_start,
        arr::<16>("8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB")
    );
    assert_eq!(
        mppe::asymmetric_start_key(&master, false, false),
        send_start
    );
    let session = mppe::new_key_from_sha(&send_start, &send_start);
    assert_eq!(
        session,
        arr::<16>("40 5C B2 24 7A 79 56 E6 E2 11 00 7A E2 7B 22 D4")
    );
    assert_eq!(
        rc4(&session, b"test message"),
        hex("81 84 83 17 DF 68 84 62 72 FB 5A BE")
    );
    let keys = mppe::MppeKeys::from_mschap2(&phh, &arr(NT_RESPONSE));
    assert_eq!(keys.send_key, send_start);
    assert_ne!(keys.send_key, keys.recv_key);
}

/// RC4, only to check the RFC 3079 sample message.
fn rc4(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut s: Vec<u8> = (0..=255).collect();
    let mut j = 0u8;
    for i in 0..256 {
        j = j.wrapping_add(s[i]).wrapping_add(key[i % key.len()]);
        s.swap(i, usize::from(j));
    }
    let (mut i, mut j) = (0u8, 0u8);
    data.iter()
        .map(|b| {
            i = i.wrapping_add(1);
            j = j.wrapping_add(s[usize::from(i)]);
            s.swap(usize::from(i), usize::from(j));
            b ^ s[usize::from(s[usize::from(i)].wrapping_add(s[usize::from(j)]))]
        })
        .collect()
}
