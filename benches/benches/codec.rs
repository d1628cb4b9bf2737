//! Codec throughput on a typical data message: 100 M1 tokens and 100 M2 fields of one
//! 4 KB record each (about 414 KB encoded). Encode appends into a reused buffer; decode
//! checks every payload byte against its digest. `encoded_len` is the hot-path sizing.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use models::copy::codec::{decode, encode, encoded_len};
use models::copy::message::{DataField, Header, Message, MessageKind, RecordData, Token};
use models::types::{Cchhr, Digest};
use std::hint::black_box;

/// 100 tokens and 100 data fields of one 4,096-byte record each.
fn typical() -> Message {
    let token = |i: u64| Token {
        seq: 1_000 + i,
        site_ord: 500 + i,
        device: 0x0A30 + (i % 8) as u32,
        recs: vec![Cchhr::from_track(i * 37 % 50_085, 1 + (i % 12) as u8)],
        bytes: 4096,
        subsystem_token: i as u32,
    };
    Message {
        header: Header {
            session: 1,
            msg_no: 77,
            kind: MessageKind::Data,
            sent_ns: 123_456_789,
        },
        tokens: (0..100).map(token).collect(),
        data: (0..100)
            .map(|i| {
                let t = token(i);
                let addr = t.recs[0];
                DataField {
                    token: t,
                    records: vec![RecordData {
                        addr,
                        key_len: 0,
                        data_len: 4096,
                        digest: Digest(sim::avalanche(i)),
                    }],
                    group_end: None,
                }
            })
            .collect(),
        extents: vec![],
        ack: None,
        exception: None,
    }
}

fn codec(c: &mut Criterion) {
    let m = typical();
    let mut buf = Vec::with_capacity(encoded_len(&m));
    encode(&m, &mut buf).unwrap();
    let len = buf.len() as u64;
    let mut g = c.benchmark_group("codec_100x4k");
    g.throughput(Throughput::Bytes(len));
    g.bench_function("encode", |b| {
        b.iter(|| {
            buf.clear();
            encode(black_box(&m), &mut buf).unwrap();
            black_box(buf.len())
        })
    });
    let bytes = buf.clone();
    g.bench_function("decode", |b| {
        b.iter(|| black_box(decode(black_box(&bytes)).unwrap()))
    });
    g.finish();
    let mut g = c.benchmark_group("codec_size");
    g.throughput(Throughput::Elements(1));
    g.bench_function("encoded_len", |b| {
        b.iter(|| black_box(encoded_len(black_box(&m))))
    });
    g.finish();
}

criterion_group!(benches, codec);
criterion_main!(benches);
