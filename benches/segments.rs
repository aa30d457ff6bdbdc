//! Segmented (STREAM) encryption and decryption against one-shot AES-256-GCM over the same
//! buffer, in the same run. The target: segmented ≥ 0.8× one-shot throughput.
//!
//! Run: `cargo bench --bench segments` (results in BENCHMARKS.md).

#![allow(clippy::expect_used)] // a benchmark that cannot set up should stop loudly

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use kho::crypto::{Binding, DataKey, SegmentDecryptor, SegmentEncryptor};
use std::hint::black_box;

const SIZE: usize = 16 * 1024 * 1024;
/// What an HTTP body usually hands over at a time.
const PIECE: usize = 64 * 1024;

fn binding() -> Binding {
    Binding {
        owner: uuid::Uuid::from_u128(1),
        document: uuid::Uuid::from_u128(2),
        version: 1,
    }
}

fn seal(key: &DataKey, plain: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut enc = SegmentEncryptor::new(key, &binding(), out).expect("encryptor");
    for piece in plain.chunks(PIECE) {
        enc.push(piece, out).expect("push");
    }
    enc.finish(out).expect("finish");
}

fn bench(c: &mut Criterion) {
    let plain: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    let key = DataKey::generate().expect("key");
    let one_shot = Aes256Gcm::new_from_slice(&[7u8; 32]).expect("cipher");
    let nonce = Nonce::from([1u8; 12]);

    let mut group = c.benchmark_group("encrypt_16MiB");
    group.throughput(Throughput::Bytes(SIZE as u64));
    group.sample_size(20);
    let mut buffer = plain.clone();
    group.bench_function(BenchmarkId::new("one_shot_aes_gcm", SIZE), |b| {
        b.iter(|| {
            buffer.copy_from_slice(&plain);
            black_box(
                one_shot
                    .encrypt_inout_detached(&nonce, b"", buffer.as_mut_slice().into())
                    .expect("encrypt"),
            )
        })
    });
    let mut sealed = Vec::with_capacity(SIZE + SIZE / 1000);
    group.bench_function(BenchmarkId::new("segmented_stream", SIZE), |b| {
        b.iter(|| {
            seal(&key, &plain, &mut sealed);
            black_box(sealed.len())
        })
    });
    group.finish();

    let mut group = c.benchmark_group("decrypt_16MiB");
    group.throughput(Throughput::Bytes(SIZE as u64));
    group.sample_size(20);
    let mut ct = plain.clone();
    let tag = one_shot
        .encrypt_inout_detached(&nonce, b"", ct.as_mut_slice().into())
        .expect("encrypt");
    let mut buffer = ct.clone();
    group.bench_function(BenchmarkId::new("one_shot_aes_gcm", SIZE), |b| {
        b.iter(|| {
            buffer.copy_from_slice(&ct);
            one_shot
                .decrypt_inout_detached(&nonce, b"", buffer.as_mut_slice().into(), &tag)
                .expect("decrypt");
            black_box(buffer[0])
        })
    });
    seal(&key, &plain, &mut sealed);
    let mut out = Vec::with_capacity(SIZE);
    group.bench_function(BenchmarkId::new("segmented_stream", SIZE), |b| {
        b.iter(|| {
            out.clear();
            let mut dec = SegmentDecryptor::new(&key, binding()).expect("decryptor");
            for piece in sealed.chunks(PIECE) {
                dec.push(piece, &mut out).expect("push");
            }
            dec.finish(&mut out).expect("finish");
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
