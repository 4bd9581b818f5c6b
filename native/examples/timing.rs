//! Rough per-operation timings of the primitives the native engine uses (`cargo run --release --example timing`).
use std::time::Instant;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, ED25519_BASEPOINT_TABLE};
use curve25519_dalek::edwards::{EdwardsBasepointTable, EdwardsPoint};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{
    BasepointTable, VartimeMultiscalarMul, VartimePrecomputedMultiscalarMul,
};
use ed25519_dalek::{Signer, SigningKey};

fn per(n: usize, t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e6 / n as f64
}

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
    let a_point = ED25519_BASEPOINT_POINT * Scalar::from(987_654_321u64);
    let k = Scalar::from_bytes_mod_order([9u8; 32]);
    let s_ = Scalar::from_bytes_mod_order([5u8; 32]);
    let t = Instant::now();
    let mut acc = EdwardsPoint::default();
    for _ in 0..m {
        acc += EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &a_point, &s_);
    }
    println!("edwards double-base (vartime): {:.2} us", per(m, t));
    let table = EdwardsBasepointTable::create(&a_point);
    let t = Instant::now();
    for _ in 0..m {
        acc += &table * &k + ED25519_BASEPOINT_TABLE * &s_;
    }
    println!("edwards two comb tables (B and A): {:.2} us", per(m, t));
    let t = Instant::now();
    for _ in 0..m {
        let _ = EdwardsBasepointTable::create(&a_point);
    }
    println!("edwards comb table creation: {:.2} us", per(m, t));
    let t = Instant::now();
    let mut c = [0u8; 32];
    for _ in 0..m {
        c = acc.compress().to_bytes();
    }
    println!("edwards compress: {:.2} us", per(m, t));
    let t = Instant::now();
    for _ in 0..m {
        assert!(curve25519_dalek::edwards::CompressedEdwardsY(c)
            .decompress()
            .is_some());
    }
    println!("edwards decompress: {:.2} us", per(m, t));
    let eight: Vec<RistrettoPoint> = points[..8].to_vec();
    let mut sc: Vec<Scalar> = scalars[..8].to_vec();
    for x in sc.iter_mut().skip(4) {
        *x = Scalar::from_bytes_mod_order([0xab; 32]);
    }
    let t = Instant::now();
    for _ in 0..m {
        let _ = RistrettoPoint::vartime_multiscalar_mul(&sc, &eight);
    }
    println!(
        "msm of one yes/no ballot (8 points, Straus): {:.2} us",
        per(m, t)
    );
    let pre = curve25519_dalek::ristretto::VartimeRistrettoPrecomputation::new(&eight[6..]);
    let t = Instant::now();
    for _ in 0..m {
        let _ = pre.vartime_mixed_multiscalar_mul(&sc[6..], &sc[..6], &eight[..6]);
    }
    println!("the same, G and K precomputed: {:.2} us", per(m, t));
}
