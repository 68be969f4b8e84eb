//! Derived against hand-written codecs, in the same run.
//!
//! `cargo bench -p jute-bench` (add `-- --quick` for a shorter run).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use jute::{Decode, Limits, Reader, Record, JAVA_FIELD_LENGTH_LIMIT as LIMIT};
use jute_bench::{hand, inputs};
use jute_schemas::borrowed::{GetChildrenResponseRef, GetDataResponseRef};
use jute_schemas::data::Stat;
use jute_schemas::proto::{GetChildrenResponse, GetDataResponse, SetWatches2};

fn limits() -> Limits {
    Limits::new(LIMIT)
}

fn decode<'a, T: Decode<'a>>(bytes: &'a [u8]) -> T {
    let mut r = Reader::with_limits(bytes, limits());
    let v = T::decode(&mut r).expect("valid input");
    assert!(r.is_empty());
    v
}

fn group<'a>(c: &'a mut Criterion, name: &str, bytes: usize) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(bytes as u64));
    g
}

fn stat(c: &mut Criterion) {
    let s = inputs::stat();
    let bytes = s.to_vec();
    let mut g = group(c, "stat", bytes.len());
    g.bench_function("encode/derived", |b| b.iter(|| black_box(&s).to_vec()));
    g.bench_function("encode/hand", |b| {
        b.iter(|| {
            let mut v = Vec::with_capacity(68);
            hand::encode_stat(black_box(&s), &mut v);
            v
        })
    });
    g.bench_function("decode/derived", |b| {
        b.iter(|| decode::<Stat>(black_box(&bytes)))
    });
    g.bench_function("decode/hand", |b| {
        b.iter(|| hand::decode_stat(&mut hand::Cur::new(black_box(&bytes), LIMIT)).expect("valid"))
    });
    g.finish();
}

fn get_data(c: &mut Criterion) {
    for (label, n) in [("1KiB", 1024), ("1MiB", 1 << 20)] {
        let r = inputs::get_data(n);
        let bytes = r.to_vec();
        let mut g = group(c, &format!("get_data_{label}"), bytes.len());
        g.bench_function("encode/derived", |b| b.iter(|| black_box(&r).to_vec()));
        g.bench_function("encode/hand", |b| {
            b.iter(|| hand::encode_get_data(black_box(&r)))
        });
        g.bench_function("decode_owned/derived", |b| {
            b.iter(|| decode::<GetDataResponse>(black_box(&bytes)))
        });
        g.bench_function("decode_owned/hand", |b| {
            b.iter(|| hand::decode_get_data(black_box(&bytes), LIMIT).expect("valid"))
        });
        g.bench_function("decode_borrowed/derived", |b| {
            b.iter(|| decode::<GetDataResponseRef<'_>>(black_box(&bytes)))
        });
        g.bench_function("decode_borrowed/hand", |b| {
            b.iter(|| hand::decode_get_data_borrowed(black_box(&bytes), LIMIT).expect("valid"))
        });
        g.bench_function("memcpy_baseline", |b| {
            b.iter(|| black_box(&bytes[..]).to_vec())
        });
        g.finish();
    }
}

fn children(c: &mut Criterion) {
    let r = inputs::children(1000);
    let bytes = r.to_vec();
    let mut g = group(c, "get_children_1000", bytes.len());
    g.bench_function("encode/derived", |b| b.iter(|| black_box(&r).to_vec()));
    g.bench_function("encode/hand", |b| {
        b.iter(|| hand::encode_children(black_box(&r)))
    });
    g.bench_function("decode_owned/derived", |b| {
        b.iter(|| decode::<GetChildrenResponse>(black_box(&bytes)))
    });
    g.bench_function("decode_owned/hand", |b| {
        b.iter(|| hand::decode_children(black_box(&bytes), LIMIT).expect("valid"))
    });
    g.bench_function("decode_borrowed/derived", |b| {
        b.iter(|| decode::<GetChildrenResponseRef<'_>>(black_box(&bytes)))
    });
    g.bench_function("decode_borrowed/hand", |b| {
        b.iter(|| hand::decode_children_borrowed(black_box(&bytes), LIMIT).expect("valid"))
    });
    g.finish();
}

fn set_watches(c: &mut Criterion) {
    let r = inputs::set_watches2(10_000);
    let bytes = r.to_vec();
    let mut g = group(c, "set_watches2_10000", bytes.len());
    g.bench_function("encode/derived", |b| b.iter(|| black_box(&r).to_vec()));
    g.bench_function("encode/hand", |b| {
        b.iter(|| hand::encode_set_watches2(black_box(&r)))
    });
    g.bench_function("decode/derived", |b| {
        b.iter(|| decode::<SetWatches2>(black_box(&bytes)))
    });
    g.bench_function("decode/hand", |b| {
        b.iter(|| hand::decode_set_watches2(black_box(&bytes), LIMIT).expect("valid"))
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(40)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! { name = benches; config = config(); targets = stat, get_data, children, set_watches }
criterion_main!(benches);
