//! The few key proofs of the mode's setup and tally that the public verifier checks (docs/native.md §7.1): the
//! registrar's Schnorr proofs on the MAC key's Feldman commitments (`proofs/schnorr.verify`, context
//! `cr-mac-coefficient ‖ int8(j)`) and the tag keys' Chaum–Pedersen proofs (`proofs/dleq.verify` with `g = G`,
//! context `cr-tag-key/<stage> ‖ "/" ‖ int8(j)`). Compact proofs `(c, z)`: the commitments are recomputed and the
//! challenge hashed byte for byte as `proofs/transcript.challenge`; public values only.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;

use super::kernels::{challenge, encode, point, scalar, G};

/// `(c, z)` from 64 bytes `c ‖ z`, each a canonical scalar.
pub fn proof(raw: &[u8]) -> Result<(Scalar, Scalar), String> {
    if raw.len() != 64 {
        return Err(format!("proof: expected 64 bytes, got {}", raw.len()));
    }
    Ok((
        scalar(&raw[..32], "proof.c")?,
        scalar(&raw[32..], "proof.z")?,
    ))
}

/// `schnorr.verify`: `T = z·G − c·X`, `c = FS("schnorr", fp, context, [G, X], [T])`.
pub fn schnorr_holds(
    fingerprint: &[u8],
    context: &[u8],
    public: &[u8],
    raw: &[u8],
) -> Result<bool, String> {
    let (c, z) = proof(raw)?;
    let x = point(public, "public")?;
    let t = RistrettoPoint::vartime_multiscalar_mul([z, -c], [G, x]);
    let g = encode(&G);
    Ok(challenge(
        b"schnorr",
        fingerprint,
        context,
        &[&g, public],
        &[&encode(&t)],
    ) == c)
}

/// `proofs/dleq.TAG`.
pub const DLEQ_TAG: &[u8] = b"chaum-pedersen";

/// `dleq.verify` with `g = G`: `T1 = z·G − c·P`, `T2 = z·B − c·I`,
/// `c = FS("chaum-pedersen", fp, context, [G, P, B, I], [T1, T2])` (`P` public, `B` base, `I` image).
pub fn dleq_holds(
    fingerprint: &[u8],
    context: &[u8],
    base: &[u8],
    public: &[u8],
    image: &[u8],
    raw: &[u8],
) -> Result<bool, String> {
    let (c, z) = proof(raw)?;
    let (b, p) = (point(base, "base")?, point(public, "public")?);
    dleq_decoded(
        fingerprint,
        context,
        (&p, public),
        (&b, base),
        image,
        (c, z),
    )
}

/// [`dleq_holds`] with `P` and `B` decoded already (each beside its encoding) and the proof's `(c, z)` read:
/// the decryption shares (`crate::shares`) decode a trustee's key once for all its positions.
pub fn dleq_decoded(
    fingerprint: &[u8],
    context: &[u8],
    public: (&RistrettoPoint, &[u8]),
    base: (&RistrettoPoint, &[u8]),
    image: &[u8],
    (c, z): (Scalar, Scalar),
) -> Result<bool, String> {
    let i = point(image, "image")?;
    let t1 = RistrettoPoint::vartime_double_scalar_mul_basepoint(&-c, public.0, &z);
    let t2 = RistrettoPoint::vartime_multiscalar_mul([z, -c], [*base.0, i]);
    let g = encode(&G);
    let statement: [&[u8]; 4] = [&g, public.1, base.1, image];
    Ok(challenge(
        DLEQ_TAG,
        fingerprint,
        context,
        &statement,
        &[&encode(&t1), &encode(&t2)],
    ) == c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn honest_proofs_hold_and_forged_ones_do_not() {
        let (x, w) = (Scalar::from(7u64), Scalar::from(11u64));
        let public = encode(&(G * x));
        let g = encode(&G);
        let c = challenge(
            b"schnorr",
            b"fp",
            b"ctx",
            &[&g, &public],
            &[&encode(&(G * w))],
        );
        let good = [c.to_bytes(), (w + c * x).to_bytes()].concat();
        assert!(schnorr_holds(b"fp", b"ctx", &public, &good).unwrap());
        assert!(!schnorr_holds(b"fp", b"other", &public, &good).unwrap());
        let mut bad = good.clone();
        bad[40] ^= 1;
        assert!(!schnorr_holds(b"fp", b"ctx", &public, &bad).unwrap());
        assert!(schnorr_holds(b"fp", b"ctx", &public, &good[..63]).is_err());

        let base = encode(&(G * Scalar::from(5u64)));
        let image = encode(&(G * Scalar::from(35u64)));
        let st: [&[u8]; 4] = [&g, &public, &base, &image];
        let t = [encode(&(G * w)), encode(&(G * Scalar::from(55u64)))];
        let c = challenge(b"chaum-pedersen", b"fp", b"ctx", &st, &[&t[0], &t[1]]);
        let good = [c.to_bytes(), (w + c * x).to_bytes()].concat();
        assert!(dleq_holds(b"fp", b"ctx", &base, &public, &image, &good).unwrap());
        assert!(!dleq_holds(b"fp", b"ctx", &base, &public, &base, &good).unwrap());
        let mut odd = image;
        odd[0] = 1;
        assert!(dleq_holds(b"fp", b"ctx", &base, &public, &odd, &good)
            .unwrap_err()
            .contains("canonical"));
    }
}
