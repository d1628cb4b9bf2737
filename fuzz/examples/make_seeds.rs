//! Writes a seed corpus for the `codec_decode` fuzz target: a few valid encodings covering
//! every part of a message, so that libFuzzer starts past the magic and length checks.
//!
//! Usage (from `fuzz/`): `cargo run --example make_seeds -- seeds/codec_decode`

use models::copy::codec::encode;
use models::copy::message::{
    Ack, DataField, ExtentEntry, Header, Message, MessageKind, RecordData, Token,
};
use models::types::{Cchhr, Digest};

fn token(seq: u64, recs: Vec<Cchhr>) -> Token {
    Token {
        seq,
        site_ord: seq,
        device: 0x0A30,
        recs,
        bytes: 4096,
        subsystem_token: seq as u32,
    }
}

fn empty(kind: MessageKind, msg_no: u64) -> Message {
    Message {
        header: Header {
            session: 1,
            msg_no,
            kind,
            sent_ns: msg_no * 1_000_000,
        },
        tokens: vec![],
        data: vec![],
        extents: vec![],
        ack: None,
        exception: None,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: make_seeds DIR")?;
    std::fs::create_dir_all(&dir)?;
    let a = Cchhr::new(100, 3, 1);
    let b = Cchhr::new(65_519, 14, 2);
    let mut seeds = Vec::new();

    seeds.push(empty(MessageKind::Terminate, 1));

    let mut m = empty(MessageKind::Data, 2);
    m.tokens = vec![token(1, vec![a]), token(2, vec![a, b]), token(3, vec![])];
    seeds.push(m);

    let mut m = empty(MessageKind::Data, 3);
    m.tokens = vec![token(4, vec![a])];
    m.data = vec![
        DataField {
            token: token(4, vec![a]),
            records: vec![RecordData {
                addr: a,
                key_len: 0,
                data_len: 13,
                digest: Digest(7),
            }],
            group_end: None,
        },
        DataField {
            token: token(5, vec![a, b]),
            records: vec![
                RecordData {
                    addr: a,
                    key_len: 4,
                    data_len: 0,
                    digest: Digest(u64::MAX),
                },
                RecordData {
                    addr: b,
                    key_len: 1,
                    data_len: 9,
                    digest: Digest(0x0123_4567),
                },
            ],
            group_end: Some(9),
        },
    ];
    seeds.push(m);

    let mut m = empty(MessageKind::InitialCopy, 4);
    m.data = vec![DataField {
        token: token(6, vec![b]),
        records: vec![RecordData {
            addr: b,
            key_len: 0,
            data_len: 4096,
            digest: Digest(42),
        }],
        group_end: None,
    }];
    seeds.push(m);

    let mut m = empty(MessageKind::Establish, 5);
    m.extents = vec![
        ExtentEntry {
            dsname: "PAY.DB".into(),
            device: 0x0A30,
            first_track: 15,
            last_track: 299,
        },
        ExtentEntry {
            dsname: "SYS1.LOG.A".into(),
            device: 0x0A31,
            first_track: 0,
            last_track: 0,
        },
    ];
    seeds.push(m);

    let mut m = empty(MessageKind::Ack, 6);
    m.ack = Some(Ack {
        secured_ord: 10,
        secured_seq: 21,
    });
    seeds.push(m);

    let mut m = empty(MessageKind::Exception, 7);
    m.exception = Some("SUSPEND: link outage".into());
    m.ack = Some(Ack {
        secured_ord: 3,
        secured_seq: 3,
    });
    seeds.push(m);

    for (i, m) in seeds.iter().enumerate() {
        let mut out = Vec::new();
        encode(m, &mut out)?;
        let path = format!("{dir}/seed-{i:02}");
        std::fs::write(&path, &out)?;
        println!("{path}: {} bytes", out.len());
    }
    Ok(())
}
