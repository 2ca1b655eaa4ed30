//! Typed constants for the attributes a server touches most, for
//! [`crate::Packet::get`] and [`crate::Packet::add`]. Any other attribute is
//! reachable by name through the dictionary ([`crate::Packet::value`]).
//!
//! ```
//! use radius::{attr, Code, Packet};
//! let mut p = Packet::new(Code::AccessAccept, 1);
//! p.add(attr::FRAMED_IP_ADDRESS, [100, 64, 1, 2].into());
//! p.add_text(attr::mikrotik::ADDRESS_LIST, "blocked");
//! assert_eq!(p.get(attr::FRAMED_IP_ADDRESS), Some([100, 64, 1, 2].into()));
//! ```

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::SystemTime;

use crate::Attr;
use crate::value::Ipv6Prefix;

macro_rules! std_attrs {
    ($($name:ident: $t:ty = $n:expr, $s:expr;)*) => {$(
        #[doc = concat!("`", $s, "` (", stringify!($n), ").")]
        pub const $name: Attr<$t> = Attr::standard($n, $s);
    )*};
}

std_attrs! {
    USER_NAME: String = 1, "User-Name";
    USER_PASSWORD: Vec<u8> = 2, "User-Password";
    CHAP_PASSWORD: Vec<u8> = 3, "CHAP-Password";
    NAS_IP_ADDRESS: Ipv4Addr = 4, "NAS-IP-Address";
    NAS_PORT: u32 = 5, "NAS-Port";
    SERVICE_TYPE: u32 = 6, "Service-Type";
    FRAMED_PROTOCOL: u32 = 7, "Framed-Protocol";
    FRAMED_IP_ADDRESS: Ipv4Addr = 8, "Framed-IP-Address";
    FRAMED_IP_NETMASK: Ipv4Addr = 9, "Framed-IP-Netmask";
    FILTER_ID: String = 11, "Filter-Id";
    FRAMED_MTU: u32 = 12, "Framed-MTU";
    REPLY_MESSAGE: String = 18, "Reply-Message";
    FRAMED_ROUTE: String = 22, "Framed-Route";
    STATE: Vec<u8> = 24, "State";
    CLASS: Vec<u8> = 25, "Class";
    SESSION_TIMEOUT: u32 = 27, "Session-Timeout";
    IDLE_TIMEOUT: u32 = 28, "Idle-Timeout";
    CALLED_STATION_ID: String = 30, "Called-Station-Id";
    CALLING_STATION_ID: String = 31, "Calling-Station-Id";
    NAS_IDENTIFIER: String = 32, "NAS-Identifier";
    PROXY_STATE: Vec<u8> = 33, "Proxy-State";
    ACCT_STATUS_TYPE: u32 = 40, "Acct-Status-Type";
    ACCT_DELAY_TIME: u32 = 41, "Acct-Delay-Time";
    ACCT_INPUT_OCTETS: u32 = 42, "Acct-Input-Octets";
    ACCT_OUTPUT_OCTETS: u32 = 43, "Acct-Output-Octets";
    ACCT_SESSION_ID: String = 44, "Acct-Session-Id";
    ACCT_AUTHENTIC: u32 = 45, "Acct-Authentic";
    ACCT_SESSION_TIME: u32 = 46, "Acct-Session-Time";
    ACCT_INPUT_PACKETS: u32 = 47, "Acct-Input-Packets";
    ACCT_OUTPUT_PACKETS: u32 = 48, "Acct-Output-Packets";
    ACCT_TERMINATE_CAUSE: u32 = 49, "Acct-Terminate-Cause";
    ACCT_MULTI_SESSION_ID: String = 50, "Acct-Multi-Session-Id";
    ACCT_INPUT_GIGAWORDS: u32 = 52, "Acct-Input-Gigawords";
    ACCT_OUTPUT_GIGAWORDS: u32 = 53, "Acct-Output-Gigawords";
    EVENT_TIMESTAMP: SystemTime = 55, "Event-Timestamp";
    CHAP_CHALLENGE: Vec<u8> = 60, "CHAP-Challenge";
    NAS_PORT_TYPE: u32 = 61, "NAS-Port-Type";
    PORT_LIMIT: u32 = 62, "Port-Limit";
    TUNNEL_TYPE: u32 = 64, "Tunnel-Type";
    TUNNEL_MEDIUM_TYPE: u32 = 65, "Tunnel-Medium-Type";
    TUNNEL_CLIENT_ENDPOINT: String = 66, "Tunnel-Client-Endpoint";
    TUNNEL_SERVER_ENDPOINT: String = 67, "Tunnel-Server-Endpoint";
    TUNNEL_PASSWORD: Vec<u8> = 69, "Tunnel-Password";
    CONNECT_INFO: String = 77, "Connect-Info";
    EAP_MESSAGE: Vec<u8> = 79, "EAP-Message";
    MESSAGE_AUTHENTICATOR: Vec<u8> = 80, "Message-Authenticator";
    TUNNEL_PRIVATE_GROUP_ID: String = 81, "Tunnel-Private-Group-Id";
    TUNNEL_ASSIGNMENT_ID: String = 82, "Tunnel-Assignment-Id";
    TUNNEL_PREFERENCE: u32 = 83, "Tunnel-Preference";
    ACCT_INTERIM_INTERVAL: u32 = 85, "Acct-Interim-Interval";
    NAS_PORT_ID: String = 87, "NAS-Port-Id";
    FRAMED_POOL: String = 88, "Framed-Pool";
    CHARGEABLE_USER_IDENTITY: Vec<u8> = 89, "Chargeable-User-Identity";
    NAS_IPV6_ADDRESS: Ipv6Addr = 95, "NAS-IPv6-Address";
    FRAMED_INTERFACE_ID: [u8; 8] = 96, "Framed-Interface-Id";
    FRAMED_IPV6_PREFIX: Ipv6Prefix = 97, "Framed-IPv6-Prefix";
    FRAMED_IPV6_ROUTE: String = 99, "Framed-IPv6-Route";
    FRAMED_IPV6_POOL: String = 100, "Framed-IPv6-Pool";
    ERROR_CAUSE: u32 = 101, "Error-Cause";
    DELEGATED_IPV6_PREFIX: Ipv6Prefix = 123, "Delegated-IPv6-Prefix";
    FRAMED_IPV6_ADDRESS: Ipv6Addr = 168, "Framed-IPv6-Address";
    DNS_SERVER_IPV6_ADDRESS: Ipv6Addr = 169, "DNS-Server-IPv6-Address";
    ROUTE_IPV6_INFORMATION: Ipv6Prefix = 170, "Route-IPv6-Information";
    DELEGATED_IPV6_PREFIX_POOL: String = 171, "Delegated-IPv6-Prefix-Pool";
    STATEFUL_IPV6_ADDRESS_POOL: String = 172, "Stateful-IPv6-Address-Pool";
}

macro_rules! vendor_attrs {
    ($vendor:expr; $($name:ident: $t:ty = $n:expr, $s:expr;)*) => {$(
        #[doc = concat!("`", $s, "` (", stringify!($n), ").")]
        pub const $name: Attr<$t> = Attr::vendor($vendor, $n, $s);
    )*};
}

/// Microsoft (311): MS-CHAP and MPPE, RFC 2548.
pub mod microsoft {
    use super::*;
    /// Vendor number.
    pub const VENDOR: u32 = 311;
    vendor_attrs! { VENDOR;
        MS_CHAP_RESPONSE: Vec<u8> = 1, "MS-CHAP-Response";
        MS_CHAP_ERROR: String = 2, "MS-CHAP-Error";
        MS_MPPE_ENCRYPTION_POLICY: u32 = 7, "MS-MPPE-Encryption-Policy";
        MS_MPPE_ENCRYPTION_TYPES: u32 = 8, "MS-MPPE-Encryption-Types";
        MS_CHAP_DOMAIN: String = 10, "MS-CHAP-Domain";
        MS_CHAP_CHALLENGE: Vec<u8> = 11, "MS-CHAP-Challenge";
        MS_CHAP_MPPE_KEYS: Vec<u8> = 12, "MS-CHAP-MPPE-Keys";
        MS_MPPE_SEND_KEY: Vec<u8> = 16, "MS-MPPE-Send-Key";
        MS_MPPE_RECV_KEY: Vec<u8> = 17, "MS-MPPE-Recv-Key";
        MS_CHAP2_RESPONSE: Vec<u8> = 25, "MS-CHAP2-Response";
        MS_CHAP2_SUCCESS: Vec<u8> = 26, "MS-CHAP2-Success";
        MS_PRIMARY_DNS_SERVER: Ipv4Addr = 28, "MS-Primary-DNS-Server";
        MS_SECONDARY_DNS_SERVER: Ipv4Addr = 29, "MS-Secondary-DNS-Server";
    }
}

/// MikroTik RouterOS (14988).
pub mod mikrotik {
    use super::*;
    /// Vendor number.
    pub const VENDOR: u32 = 14988;
    vendor_attrs! { VENDOR;
        RECV_LIMIT: u32 = 1, "Mikrotik-Recv-Limit";
        XMIT_LIMIT: u32 = 2, "Mikrotik-Xmit-Limit";
        GROUP: String = 3, "Mikrotik-Group";
        RATE_LIMIT: String = 8, "Mikrotik-Rate-Limit";
        REALM: String = 9, "Mikrotik-Realm";
        RECV_LIMIT_GIGAWORDS: u32 = 14, "Mikrotik-Recv-Limit-Gigawords";
        XMIT_LIMIT_GIGAWORDS: u32 = 15, "Mikrotik-Xmit-Limit-Gigawords";
        TOTAL_LIMIT: u32 = 17, "Mikrotik-Total-Limit";
        TOTAL_LIMIT_GIGAWORDS: u32 = 18, "Mikrotik-Total-Limit-Gigawords";
        ADDRESS_LIST: String = 19, "Mikrotik-Address-List";
        DELEGATED_IPV6_POOL: String = 22, "Mikrotik-Delegated-IPv6-Pool";
    }
}

/// Cisco (9).
pub mod cisco {
    use super::*;
    /// Vendor number.
    pub const VENDOR: u32 = 9;
    vendor_attrs! { VENDOR;
        AVPAIR: String = 1, "Cisco-AVPair";
        NAS_PORT: String = 2, "Cisco-NAS-Port";
        ACCOUNT_INFO: String = 250, "Cisco-Account-Info";
        COMMAND_CODE: String = 252, "Cisco-Command-Code";
    }
}

/// Huawei (2011).
pub mod huawei {
    use super::*;
    /// Vendor number.
    pub const VENDOR: u32 = 2011;
    vendor_attrs! { VENDOR;
        INPUT_BURST_SIZE: u32 = 1, "Huawei-Input-Burst-Size";
        INPUT_AVERAGE_RATE: u32 = 2, "Huawei-Input-Average-Rate";
        INPUT_PEAK_RATE: u32 = 3, "Huawei-Input-Peak-Rate";
        OUTPUT_BURST_SIZE: u32 = 4, "Huawei-Output-Burst-Size";
        OUTPUT_AVERAGE_RATE: u32 = 5, "Huawei-Output-Average-Rate";
        OUTPUT_PEAK_RATE: u32 = 6, "Huawei-Output-Peak-Rate";
    }
}

/// Juniper ERX / MX subscriber management (4874).
pub mod erx {
    use super::*;
    /// Vendor number.
    pub const VENDOR: u32 = 4874;
    vendor_attrs! { VENDOR;
        VIRTUAL_ROUTER_NAME: String = 1, "ERX-Virtual-Router-Name";
        ADDRESS_POOL_NAME: String = 2, "ERX-Address-Pool-Name";
        PRIMARY_DNS: Ipv4Addr = 4, "ERX-Primary-Dns";
        SECONDARY_DNS: Ipv4Addr = 5, "ERX-Secondary-Dns";
        INGRESS_POLICY_NAME: String = 10, "ERX-Ingress-Policy-Name";
        EGRESS_POLICY_NAME: String = 11, "ERX-Egress-Policy-Name";
        QOS_PROFILE_NAME: String = 26, "ERX-Qos-Profile-Name";
        SERVICE_ACTIVATE: String = 65, "ERX-Service-Activate";
        SERVICE_DEACTIVATE: String = 66, "ERX-Service-Deactivate";
        IPV6_DELEGATED_POOL_NAME: String = 161, "ERX-IPv6-Delegated-Pool-Name";
    }
}

/// Juniper (2636).
pub mod juniper {
    use super::*;
    /// Vendor number.
    pub const VENDOR: u32 = 2636;
    vendor_attrs! { VENDOR;
        LOCAL_USER_NAME: String = 1, "Juniper-Local-User-Name";
    }
}

/// Accel-PPP (55999).
pub mod accel_ppp {
    use super::*;
    /// Vendor number.
    pub const VENDOR: u32 = 55999;
    vendor_attrs! { VENDOR;
        VRF_NAME: String = 1, "Accel-VRF-Name";
    }
}
