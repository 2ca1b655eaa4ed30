//! MPPE key derivation from MS-CHAPv2 (RFC 3079 section 3) and the key
//! attributes of RFC 2548.
//!
//! ```
//! use radius::auth::mppe;
//! // RFC 3079 section 3.5.3.
//! let phh = [0x41, 0xc0, 0x0c, 0x58, 0x4b, 0xd2, 0xd9, 0x1c, 0x40, 0x17, 0xa2, 0xa1, 0x2f, 0xa5, 0x9f, 0x3f];
//! let nt_response = [
//!     0x82, 0x30, 0x9e, 0xcd, 0x8d, 0x70, 0x8b, 0x5e, 0xa0, 0x8f, 0xaa, 0x39,
//!     0x81, 0xcd, 0x83, 0x54, 0x42, 0x33, 0x11, 0x4a, 0x3d, 0x85, 0xd6, 0xdf,
//! ];
//! let master = mppe::master_key(&phh, &nt_response);
//! assert_eq!(master[..4], [0xfd, 0xec, 0xe3, 0x71]);
//! ```

use sha1::{Digest, Sha1};

use crate::{Packet, attr};

const SHS_PAD1: [u8; 40] = [0; 40];
const SHS_PAD2: [u8; 40] = [0xf2; 40];
const MAGIC1: &[u8] = b"This is the MPPE Master Key";
const MAGIC2: &[u8] =
    b"On the client side, this is the send key; on the server side, it is the receive key.";
const MAGIC3: &[u8] =
    b"On the client side, this is the receive key; on the server side, it is the send key.";

/// GetMasterKey: SHA-1 of the password hash hash, the NT-Response and a
/// constant, first 16 octets.
pub fn master_key(password_hash_hash: &[u8; 16], nt_response: &[u8; 24]) -> [u8; 16] {
    let mut h = Sha1::new();
    h.update(password_hash_hash);
    h.update(nt_response);
    h.update(MAGIC1);
    let d = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

/// GetAsymmetricStartKey for a 128-bit key. `is_send` and `is_server`
/// choose the direction and side.
pub fn asymmetric_start_key(master: &[u8; 16], is_send: bool, is_server: bool) -> [u8; 16] {
    let s = if is_send == is_server { MAGIC3 } else { MAGIC2 };
    let mut h = Sha1::new();
    h.update(master);
    h.update(SHS_PAD1);
    h.update(s);
    h.update(SHS_PAD2);
    let d = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

/// GetNewKeyFromSHA: the next session key from a start key and the current
/// session key (the initial session key uses the start key for both).
pub fn new_key_from_sha(start_key: &[u8; 16], session_key: &[u8; 16]) -> [u8; 16] {
    let mut h = Sha1::new();
    h.update(start_key);
    h.update(SHS_PAD1);
    h.update(session_key);
    h.update(SHS_PAD2);
    let d = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

/// The two 128-bit MPPE keys, as the NAS (the authenticator side) uses
/// them: `send_key` encrypts traffic to the user (MS-MPPE-Send-Key),
/// `recv_key` decrypts traffic from the user (MS-MPPE-Recv-Key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MppeKeys {
    /// MS-MPPE-Send-Key.
    pub send_key: [u8; 16],
    /// MS-MPPE-Recv-Key.
    pub recv_key: [u8; 16],
}

impl MppeKeys {
    /// Keys for an MS-CHAPv2 login (RFC 3079 section 3.3).
    pub fn from_mschap2(password_hash_hash: &[u8; 16], nt_response: &[u8; 24]) -> MppeKeys {
        let master = master_key(password_hash_hash, nt_response);
        MppeKeys {
            send_key: asymmetric_start_key(&master, true, true),
            recv_key: asymmetric_start_key(&master, false, true),
        }
    }

    /// Adds MS-MPPE-Send-Key and MS-MPPE-Recv-Key (salt-encrypted on
    /// encode, RFC 2548 section 2.4.2), MS-MPPE-Encryption-Policy
    /// (Encryption-Allowed) and MS-MPPE-Encryption-Types (RC4 40 or 128
    /// bit allowed) to a reply.
    pub fn add_to(&self, reply: &mut Packet) {
        reply.add(attr::microsoft::MS_MPPE_RECV_KEY, self.recv_key.to_vec());
        reply.add(attr::microsoft::MS_MPPE_SEND_KEY, self.send_key.to_vec());
        reply.add(attr::microsoft::MS_MPPE_ENCRYPTION_POLICY, 1);
        reply.add(attr::microsoft::MS_MPPE_ENCRYPTION_TYPES, 6);
    }
}
