//! The dictionary loader, on small files and on FreeRADIUS's whole tree.

use std::path::PathBuf;

use radius::{AttributeId, DataType, Dictionary, Encryption};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("radius-dict-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

#[test]
fn loads_vendor_with_include_tags_encryption_and_values() {
    let dir = temp_dir("include");
    std::fs::write(
        dir.join("dictionary"),
        "# top\n$INCLUDE dictionary.acme\n$INCLUDE- dictionary.missing\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("dictionary.acme"),
        "VENDOR\tAcme\t32473\n\
         BEGIN-VENDOR Acme\n\
         ATTRIBUTE Acme-Secret 1 string has_tag,encrypt=2\n\
         ATTRIBUTE Acme-Speed 2 integer # comment\n\
         ATTRIBUTE Acme-Prefix 3 ipv6prefix\n\
         ATTRIBUTE Acme-Blob 4 tlv\n\
         ATTRIBUTE Acme-Blob-Id 4.1 short\n\
         BEGIN-TLV Acme-Blob\n\
         ATTRIBUTE Acme-Blob-Name 2 string\n\
         END-TLV Acme-Blob\n\
         VALUE Acme-Speed Slow 1\n\
         VALUE Acme-Speed Fast 0x10\n\
         END-VENDOR Acme\n\
         VALUE Acme-Late Early 1\n\
         ATTRIBUTE Acme-Late 99 integer Acme\n",
    )
    .expect("write");
    let mut d = Dictionary::builtin();
    d.load_file(dir.join("dictionary")).expect("loads");
    let s = d.attr_by_name("acme-secret").expect("defined");
    assert_eq!(
        s.id,
        AttributeId::Vendor {
            vendor: 32473,
            ty: 1
        }
    );
    assert!(s.has_tag);
    assert_eq!(s.encrypt, Encryption::TunnelPassword);
    let speed = d.attr_by_name("Acme-Speed").expect("defined");
    assert_eq!(d.value_by_name(speed, "fast"), Some(16));
    assert_eq!(d.value_name(speed, 1), Some("Slow"));
    let late = d.attr_by_name("Acme-Late").expect("old-style vendor field");
    assert_eq!(
        late.id,
        AttributeId::Vendor {
            vendor: 32473,
            ty: 99
        }
    );
    assert_eq!(d.value_by_name(late, "Early"), Some(1));
    let blob = d.attr_by_name("Acme-Blob").expect("defined");
    assert_eq!(
        d.tlv_child(blob, 1).map(|c| c.data_type),
        Some(DataType::Short)
    );
    assert_eq!(
        d.tlv_child(blob, 2).map(|c| c.name.as_str()),
        Some("Acme-Blob-Name")
    );
}

#[test]
fn errors_name_file_and_line() {
    let cases = [
        (
            "ATTRIBUTE X 1 nosuchtype\n",
            "t:1: ATTRIBUTE X: unknown type nosuchtype",
        ),
        (
            "\n\nVALUE Nope A 1\n",
            "t:3: VALUE A for unknown attribute Nope",
        ),
        (
            "BEGIN-VENDOR Nobody\n",
            "t:1: BEGIN-VENDOR of unknown vendor Nobody",
        ),
        (
            "VENDOR V 1\nBEGIN-VENDOR V\n",
            "t:2: BEGIN-VENDOR V is never ended",
        ),
        (
            "VENDOR V 1 format=3,1\n",
            "t:1: VENDOR V: type size 3 is not 1, 2 or 4",
        ),
        (
            "ATTRIBUTE A 1 string\nATTRIBUTE A 2 string\n",
            "t:2: attribute A is already defined as A with another number",
        ),
        (
            "ATTRIBUTE A 1 string bogus\n",
            "t:1: ATTRIBUTE A: unknown flag bogus",
        ),
        (
            "$INCLUDE x\n",
            "t:1: $INCLUDE is only allowed when loading from a file",
        ),
        (
            "ATTRIBUTE B 1 byte\nVALUE B Big 300\n",
            "t:2: value 300 does not fit type byte",
        ),
        ("FOO bar\n", "t:1: unknown keyword FOO"),
        (
            "ATTRIBUTE C 1.2 integer\n",
            "t:1: ATTRIBUTE C: parent of 1.2 is not defined",
        ),
    ];
    for (text, want) in cases {
        let err = Dictionary::empty().load_str(text, "t").expect_err(text);
        assert_eq!(err.to_string(), want);
    }
    let dir = temp_dir("missing");
    std::fs::write(dir.join("dictionary"), "# x\n$INCLUDE dictionary.gone\n").expect("write");
    let err = Dictionary::empty()
        .load_file(dir.join("dictionary"))
        .expect_err("missing include");
    assert_eq!(err.line, 2);
    assert!(err.file.ends_with("dictionary"), "{err}");
    assert!(err.message.contains("dictionary.gone"), "{err}");
}

/// The whole dictionary tree of Debian's FreeRADIUS (freeradius-utils or
/// freeradius-common): loads on top of the built-in one without a
/// conflicting definition, and agrees with the built-in tables.
#[test]
fn loads_freeradius_tree_and_agrees_with_builtin() {
    let path = std::path::Path::new("/usr/share/freeradius/dictionary");
    assert!(
        path.exists(),
        "{} is missing: install FreeRADIUS's dictionaries with `apt-get install -y freeradius-utils` \
         (the project's test command does)",
        path.display()
    );
    let builtin = Dictionary::builtin();
    let mut d = Dictionary::builtin();
    d.load_file(path).expect("FreeRADIUS tree loads");
    assert!(d.len() > 5000, "only {} attributes", d.len());
    for def in builtin.attributes() {
        let theirs = d.attr_by_name(&def.name).expect("still defined");
        assert_eq!(
            (theirs.id, theirs.data_type, theirs.has_tag, theirs.encrypt),
            (def.id, def.data_type, def.has_tag, def.encrypt),
            "{}",
            def.name
        );
    }
    assert!(d.vendor_by_name("WiMAX").is_some_and(|v| v.continuation));
    assert!(
        d.attr_by_name("FreeRADIUS-Stats-Start-Time").is_some()
            || d.attr_by_name("FreeRADIUS-Statistics-Type").is_some()
    );
}
