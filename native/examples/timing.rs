//! Rough per-operation timings of the primitives the native engine uses (`cargo run --release --example timing`).
use std::time::Instant;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use ed25519_dalek::{Signer, SigningKey};

fn main() {
    let n = 12_000;
    let points: Vec<RistrettoPoint> = (0..n)
        .map(|i| RISTRETTO_BASEPOINT_POINT * Scalar::from(i as u64 + 7))
        .collect();
    let encodings: Vec<_> = points.iter().map(|p| p.compress()).collect();
    let t = Instant::now();
    for e in &encodings {
        assert!(e.decompress().is_some());
    }
    println!(
        "ristretto decompress: {:.2} us",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let scalars: Vec<Scalar> = (0..n)
        .map(|i| Scalar::from((i as u128) * 0x1234_5678_9abc_def0_1111 + 3))
        .collect();
    let t = Instant::now();
    let _ = RistrettoPoint::vartime_multiscalar_mul(&scalars, &points);
    println!(
        "msm, 128-bit scalars: {:.2} us/point",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let key = SigningKey::from_bytes(&[7u8; 32]);
    let sig = key.sign(b"message of a ballot");
    let vk = key.verifying_key();
    let m = 2000;
    let t = Instant::now();
    for _ in 0..m {
        assert!(vk.verify_strict(b"message of a ballot", &sig).is_ok());
    }
    println!(
        "ed25519 verify_strict: {:.2} us",
        t.elapsed().as_secs_f64() * 1e6 / m as f64
    );
}
