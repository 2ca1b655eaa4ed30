//! Interoperability with FreeRADIUS's own client tools: `radtest` and
//! `radclient` (Debian package freeradius-utils) talk to a tiny responder
//! built on this crate, and must accept its replies.

use std::net::UdpSocket;
use std::process::{Command, Output};
use std::thread;

use radius::auth::{AuthError, Method, chap, mschap, mschap2, pap};
use radius::{Code, Packet, attr};

const SECRET: &str = "interop-secret";
const USER: &str = "alice";
const PASSWORD: &str = "s3cr3t-Pass";

fn tool(name: &str) -> String {
    for dir in ["/usr/bin", "/usr/local/bin", "/bin"] {
        let p = format!("{dir}/{name}");
        if std::path::Path::new(&p).exists() {
            return p;
        }
    }
    panic!(
        "`{name}` is not installed: these interop tests need FreeRADIUS's client tools. \
         Install them with `apt-get install -y freeradius-utils` (the project's test command does)."
    );
}

/// Answers Access-Requests: Accept (Message-Authenticator first) when the
/// password checks out for any method, Reject otherwise. Returns the port.
fn responder() -> u16 {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let port = sock.local_addr().expect("addr").port();
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            let Ok((n, peer)) = sock.recv_from(&mut buf) else {
                continue;
            };
            let Ok(req) = Packet::decode(&buf[..n], SECRET.as_bytes()) else {
                continue;
            };
            if req.verify_request_authenticator().is_err() {
                continue;
            }
            let result: Result<Option<mschap2::Success>, AuthError> = match Method::of(&req) {
                Some(Method::Pap) => pap::verify(&req, PASSWORD.as_bytes()).map(|()| None),
                Some(Method::Chap) => chap::verify(&req, PASSWORD.as_bytes()).map(|()| None),
                Some(Method::MsChap) => mschap::verify(&req, PASSWORD).map(|_| None),
                Some(Method::MsChap2) => mschap2::verify(&req, PASSWORD).map(Some),
                None => Err(AuthError::Missing("credentials")),
            };
            let user_ok = req.get(attr::USER_NAME).as_deref() == Some(USER);
            let mut reply = match (&result, user_ok) {
                (Ok(_), true) => req.make_response(Code::AccessAccept),
                _ => req.make_response(Code::AccessReject),
            };
            reply.add_message_authenticator();
            if reply.code == Code::AccessAccept {
                reply.add(attr::SESSION_TIMEOUT, 3600);
                reply.add_text(attr::mikrotik::RATE_LIMIT, "10M/20M");
                if let Ok(Some(success)) = &result {
                    success.add_to(&mut reply);
                }
                if let (Some(Method::MsChap), Ok(v1)) =
                    (Method::of(&req), mschap::verify(&req, PASSWORD))
                {
                    v1.add_to(&mut reply);
                }
            } else {
                reply.add_text(attr::REPLY_MESSAGE, "rejected");
            }
            if let Ok(wire) = reply.encode(SECRET.as_bytes()) {
                let _ = sock.send_to(&wire, peer);
            }
        }
    });
    port
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn radtest(method: &str, password: &str, port: u16) -> Output {
    Command::new(tool("radtest"))
        .args([
            "-t",
            method,
            "-x",
            USER,
            password,
            &format!("127.0.0.1:{port}"),
            "0",
            SECRET,
        ])
        .output()
        .expect("radtest runs")
}

fn assert_accepted(o: &Output) {
    let t = text(o);
    assert!(o.status.success(), "radclient failed ({}):\n{t}", o.status);
    assert!(
        t.contains("Received Access-Accept"),
        "no Access-Accept:\n{t}"
    );
    assert!(
        t.contains("Message-Authenticator"),
        "reply shows no Message-Authenticator:\n{t}"
    );
    assert!(
        !t.to_lowercase().contains("invalid") && !t.contains("failed"),
        "radclient complained:\n{t}"
    );
}

#[test]
fn radtest_pap_accepted_and_wrong_password_rejected() {
    let port = responder();
    let ok = radtest("pap", PASSWORD, port);
    assert_accepted(&ok);
    assert!(
        text(&ok).contains("Mikrotik-Rate-Limit = \"10M/20M\""),
        "{}",
        text(&ok)
    );
    let bad = radtest("pap", "wrong", port);
    assert!(
        text(&bad).contains("Received Access-Reject"),
        "{}",
        text(&bad)
    );
}

#[test]
fn radtest_chap_accepted_and_wrong_password_rejected() {
    let port = responder();
    assert_accepted(&radtest("chap", PASSWORD, port));
    let bad = radtest("chap", "wrong", port);
    assert!(
        text(&bad).contains("Received Access-Reject"),
        "{}",
        text(&bad)
    );
}

#[test]
fn radtest_mschap_accepted_and_wrong_password_rejected() {
    let port = responder();
    let ok = radtest("mschap", PASSWORD, port);
    assert_accepted(&ok);
    // Debian's radtest -t mschap speaks MS-CHAPv1: the reply carries the v1 keys.
    assert!(
        text(&ok).contains("MS-CHAP-MPPE-Keys = 0x"),
        "{}",
        text(&ok)
    );
    let bad = radtest("mschap", "wrong", port);
    assert!(
        text(&bad).contains("Received Access-Reject"),
        "{}",
        text(&bad)
    );
}

/// radclient sends an MS-CHAPv2 exchange (computed with this crate's client
/// side) and decrypts our MS-MPPE keys with FreeRADIUS's own code: the
/// keys it prints must be the ones we derived.
#[test]
fn radclient_mschapv2_accepted_with_success_and_mppe_keys() {
    let port = responder();
    let auth_challenge: [u8; 16] = *b"0123456789ABCDEF";
    let peer_challenge: [u8; 16] = *b"fedcba9876543210";
    let response = mschap2::client_response(
        7,
        &auth_challenge,
        &peer_challenge,
        USER.as_bytes(),
        PASSWORD,
    );
    let hexs = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let input = format!(
        "User-Name = \"{USER}\"\nMS-CHAP-Challenge = 0x{}\nMS-CHAP2-Response = 0x{}\nMessage-Authenticator = 0x00\n",
        hexs(&auth_challenge),
        hexs(&response)
    );
    let mut child = Command::new(tool("radclient"))
        .args(["-x", &format!("127.0.0.1:{port}"), "auth", SECRET])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("radclient runs");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input.as_bytes()).expect("write");
    }
    let out = child.wait_with_output().expect("radclient finishes");
    assert_accepted(&out);
    let t = text(&out);

    let nt = mschap::nt_password_hash(PASSWORD);
    let expected =
        mschap2::verify_response(USER.as_bytes(), &nt, &auth_challenge, &response).expect("valid");
    let success = format!("MS-CHAP2-Success = 0x{}", hexs(&expected.success_value()));
    assert!(t.contains(&success), "no {success} in:\n{t}");
    assert!(
        t.contains(&format!(
            "MS-MPPE-Send-Key = 0x{}",
            hexs(&expected.mppe.send_key)
        )),
        "send key differs:\n{t}"
    );
    assert!(
        t.contains(&format!(
            "MS-MPPE-Recv-Key = 0x{}",
            hexs(&expected.mppe.recv_key)
        )),
        "recv key differs:\n{t}"
    );
}
