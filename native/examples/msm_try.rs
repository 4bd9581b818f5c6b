use std::time::Instant;
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
use curve25519_dalek::ristretto::{RistrettoPoint, VartimeRistrettoPrecomputation};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul, VartimePrecomputedMultiscalarMul};

fn rs() -> Scalar { let mut w=[0u8;64]; getrandom::getrandom(&mut w).unwrap(); Scalar::from_bytes_mod_order_wide(&w) }
fn r128() -> Scalar { let mut w=[0u8;16]; getrandom::getrandom(&mut w).unwrap(); Scalar::from(u128::from_le_bytes(w)) }
fn main() {
    let key = G * rs();
    let table = VartimeRistrettoPrecomputation::new([G, key]);
    let m = 3000;
    // one honest 0/1 statement
    let (a, b) = (G * rs(), G * rs());
    let br: Vec<(RistrettoPoint, RistrettoPoint, Scalar, Scalar)> = (0..2u64).map(|j| { let (c,z)=(rs(),rs()); (G*z - a*c, key*z + G*(c*Scalar::from(j)) - b*c, c, z)}).collect();
    let build = |one: bool| {
        let mut sc = vec![]; let mut pt = vec![]; let (mut g, mut k, mut oa, mut ob) = (Scalar::ZERO, Scalar::ZERO, Scalar::ZERO, Scalar::ZERO);
        for (j, (ca, cb, c, z)) in br.iter().enumerate() {
            let r = if one && j == 0 { Scalar::ONE } else { r128() }; let s = r128();
            sc.push(r); pt.push(*ca); sc.push(s); pt.push(*cb);
            oa += r * c; ob += s * c; g -= r * z + s * c * Scalar::from(j as u64); k -= s * z;
        }
        sc.push(oa); pt.push(a); sc.push(ob); pt.push(b);
        (sc, pt, g, k)
    };
    let t = Instant::now();
    for _ in 0..m { let (sc, pt, g, k) = build(false); assert!(table.vartime_mixed_multiscalar_mul([g, k], &sc, &pt).is_identity()); }
    println!("mixed (tables G,K), 128-bit weights: {:.1}", t.elapsed().as_secs_f64()*1e6/m as f64);
    let t = Instant::now();
    for _ in 0..m { let _ = build(false); }
    println!("  building the scalars alone: {:.1}", t.elapsed().as_secs_f64()*1e6/m as f64);
    let t = Instant::now();
    for _ in 0..m { let (sc, pt, g, k) = build(true); assert!(table.vartime_mixed_multiscalar_mul([g, k], &sc, &pt).is_identity()); }
    println!("mixed, weight 1 on A_0's equation (still as a scalar): {:.1}", t.elapsed().as_secs_f64()*1e6/m as f64);
    let t = Instant::now();
    for _ in 0..m { let (sc, pt, g, k) = build(true); let s = table.vartime_mixed_multiscalar_mul([g, k], &sc[1..], &pt[1..]) + pt[0]; assert!(s.is_identity()); }
    println!("mixed, A_0 added: {:.1}", t.elapsed().as_secs_f64()*1e6/m as f64);
    let t = Instant::now();
    for _ in 0..m { let (mut sc, mut pt, g, k) = build(false); sc.push(g); pt.push(G); sc.push(k); pt.push(key); assert!(RistrettoPoint::vartime_multiscalar_mul(&sc, &pt).is_identity()); }
    println!("plain Straus, 8 points: {:.1}", t.elapsed().as_secs_f64()*1e6/m as f64);
    let s1 = rs();
    let t = Instant::now();
    for _ in 0..m { let _ = RistrettoPoint::vartime_multiscalar_mul([s1], [a]); }
    println!("one variable-base, full scalar: {:.1}", t.elapsed().as_secs_f64()*1e6/m as f64);
    let t = Instant::now();
    for _ in 0..m { let _ = RistrettoPoint::vartime_double_scalar_mul_basepoint(&s1, &a, &s1); }
    println!("double-base with G: {:.1}", t.elapsed().as_secs_f64()*1e6/m as f64);
    let t = Instant::now();
    for _ in 0..m { let _ = table.vartime_mixed_multiscalar_mul([s1, s1], [s1, s1], [a, b]); }
    println!("mixed: G,K + a,b full (no commitments): {:.1}", t.elapsed().as_secs_f64()*1e6/m as f64);
    use curve25519_dalek::edwards::{EdwardsPoint, VartimeEdwardsPrecomputation, CompressedEdwardsY};
    use curve25519_dalek::constants::ED25519_BASEPOINT_POINT as B;
    let ed = |p: RistrettoPoint| -> EdwardsPoint { unsafe { std::mem::transmute::<RistrettoPoint, EdwardsPoint>(p) } };
    assert_eq!(ed(G * Scalar::from(5u64)), B * Scalar::from(5u64));
    let k8 = ed(key).mul_by_cofactor();
    let etable = VartimeEdwardsPrecomputation::new([B, k8]);
    // an Ed25519 signature: A = x·B, R = r·B, s = r + k·x
    let (x, r, kk) = (rs(), rs(), rs());
    let (ea, er) = (B * x, B * r);
    let ss = r + kk * x;
    let renc = er.compress();
    let t = Instant::now();
    for _ in 0..m {
        let (sc, pt, g, k) = build(false);
        let rp = CompressedEdwardsY(renc.to_bytes()).decompress().unwrap();
        let mut dyn_pts: Vec<EdwardsPoint> = pt.iter().map(|p| ed(*p).mul_by_cofactor()).collect();
        let mut dyn_sc = sc.clone();
        dyn_pts.push(-ea); dyn_sc.push(kk);
        let y = etable.vartime_mixed_multiscalar_mul([g * Scalar::from(8u64) + ss, k], &dyn_sc, &dyn_pts) - rp;
        assert!(y == EdwardsPoint::default());
    }
    println!("joint: proofs + Ed25519 in one Edwards MSM (incl. decode R): {:.1}", t.elapsed().as_secs_f64()*1e6/m as f64);
    let t = Instant::now();
    for _ in 0..m {
        let (sc, pt, g, k) = build(false); assert!(table.vartime_mixed_multiscalar_mul([g, k], &sc, &pt).is_identity());
        let rr = EdwardsPoint::vartime_double_scalar_mul_basepoint(&kk, &-ea, &ss).compress();
        assert_eq!(rr, renc);
    }
    println!("separate: proofs MSM + Ed25519 double-base + compress: {:.1}", t.elapsed().as_secs_f64()*1e6/m as f64);
}

#[allow(dead_code)]
fn joint() {}
