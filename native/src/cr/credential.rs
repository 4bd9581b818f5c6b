//! The cr-ballot's credential proof (docs/coercion.md §4, `coercion/ballot.verify_credential_proof`):
//! `T1 = z1·G − c·C1.a`, `T2 = zσ·C1.a + zt·G − c·C2.a`, `T3 = zσ·C1.b + zt·K − c·C2.b` and
//! `c = FS("cr-ballot-credential", fp, "cr-ballot", [G, K, C1.a, C1.b, C2.a, C2.b, content], [T1, T2, T3])`.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;

use super::kernels::{challenge, encode, point, scalar, G};

/// One ballot's credential proof: `(C1.a‖C1.b‖C2.a‖C2.b, content, c‖z1‖zσ‖zt)`.
pub type Item<'a> = (&'a [u8], &'a [u8], &'a [u8]);

/// Per ballot, 1 when its credential proof holds, 0 when it does not (an identity `C1.a` or `C2.a` included, as
/// the reference refuses it first), 2 when an input is malformed. The commitments of all ballots are computed
/// halved (`½·T` with halved scalars) and encoded together by `double_and_compress_batch`: one field inversion for
/// the whole list instead of one a commitment.
pub fn statuses(fingerprint: &[u8], public_key: &RistrettoPoint, items: &[Item]) -> Vec<u8> {
    let half = Scalar::from(2u64).invert();
    let mut status = vec![2u8; items.len()];
    let mut halves = Vec::with_capacity(3 * items.len());
    let mut placed = Vec::with_capacity(items.len());
    for (i, (cts, _, proof)) in items.iter().enumerate() {
        match halved_commitments(public_key, cts, proof, &half) {
            Ok(Some(t)) => {
                halves.extend(t);
                placed.push(i);
            }
            Ok(None) => status[i] = 0,
            Err(_) => {}
        }
    }
    let encoded = RistrettoPoint::double_and_compress_batch(&halves);
    let (g, k) = (encode(&G), encode(public_key));
    for (&i, t) in placed.iter().zip(encoded.chunks_exact(3)) {
        let (cts, content, proof) = items[i];
        let statement: [&[u8]; 7] = [
            &g,
            &k,
            &cts[..32],
            &cts[32..64],
            &cts[64..96],
            &cts[96..],
            content,
        ];
        let commitments = [t[0].as_bytes(), t[1].as_bytes(), t[2].as_bytes()];
        let c = challenge(
            b"cr-ballot-credential",
            fingerprint,
            b"cr-ballot",
            &statement,
            &[commitments[0], commitments[1], commitments[2]],
        );
        status[i] = u8::from(c.to_bytes()[..] == proof[..32]);
    }
    status
}

/// `½·T1, ½·T2, ½·T3` of one proof, or `None` for an identity `C1.a` or `C2.a` (refused); an error when an
/// input is malformed.
fn halved_commitments(
    public_key: &RistrettoPoint,
    cts: &[u8],
    proof: &[u8],
    half: &Scalar,
) -> Result<Option<[RistrettoPoint; 3]>, String> {
    if cts.len() != 128 || proof.len() != 128 {
        return Err("credential proof: expected 128 bytes of ciphertexts and 128 of proof".into());
    }
    let names = ["credential.a", "credential.b", "mac.a", "mac.b"];
    let mut p = [RistrettoPoint::default(); 4];
    for (k, name) in names.iter().enumerate() {
        p[k] = point(&cts[32 * k..32 * (k + 1)], name)?;
    }
    let names = ["c", "z1", "zs", "zt"];
    let mut s = [Scalar::ZERO; 4];
    for (k, name) in names.iter().enumerate() {
        s[k] = scalar(&proof[32 * k..32 * (k + 1)], &format!("proof.{name}"))?;
    }
    if cts[..32] == [0u8; 32] || cts[64..96] == [0u8; 32] {
        return Ok(None);
    }
    let [c1a, c1b, c2a, c2b] = p;
    let [c, z1, zs, zt] = s.map(|x| x * half);
    Ok(Some([
        RistrettoPoint::vartime_double_scalar_mul_basepoint(&-c, &c1a, &z1), // G's table: ~10 % cheaper
        RistrettoPoint::vartime_multiscalar_mul([zs, zt, -c], [c1a, G, c2a]),
        RistrettoPoint::vartime_multiscalar_mul([zs, zt, -c], [c1b, *public_key, c2b]),
    ]))
}

/// Whether one ballot's credential proof holds ([`statuses`] for one): an error when an input is malformed.
#[cfg(test)]
pub fn holds(
    fingerprint: &[u8],
    public_key: &RistrettoPoint,
    cts: &[u8],
    content: &[u8],
    proof: &[u8],
) -> Result<bool, String> {
    match statuses(fingerprint, public_key, &[(cts, content, proof)])[0] {
        2 => halved_commitments(public_key, cts, proof, &Scalar::ONE).map(|_| false),
        status => Ok(status == 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::scalar::Scalar;

    #[test]
    fn an_honest_proof_holds_and_a_changed_content_does_not() {
        let x = Scalar::from(5u64);
        let key = G * x;
        let v = G * Scalar::from(77u64);
        let (t1, t2, sigma) = (Scalar::from(3u64), Scalar::from(4u64), Scalar::from(6u64));
        let cts = [
            encode(&(G * t1)),
            encode(&(key * t1 + v)),
            encode(&(G * t2)),
            encode(&(key * t2 + v * sigma)),
        ]
        .concat();
        let t_prime = t2 - sigma * t1;
        let (w1, ws, wt) = (Scalar::from(8u64), Scalar::from(9u64), Scalar::from(10u64));
        let c1a = G * t1;
        let c1b = key * t1 + v;
        let commit = [
            encode(&(G * w1)),
            encode(&(c1a * ws + G * wt)),
            encode(&(c1b * ws + key * wt)),
        ];
        let (g, k) = (encode(&G), encode(&key));
        let statement: [&[u8]; 7] = [
            &g,
            &k,
            &cts[..32],
            &cts[32..64],
            &cts[64..96],
            &cts[96..],
            b"votes",
        ];
        let c = challenge(
            b"cr-ballot-credential",
            b"fp",
            b"cr-ballot",
            &statement,
            &[&commit[0], &commit[1], &commit[2]],
        );
        let proof = [c, w1 + c * t1, ws + c * sigma, wt + c * t_prime]
            .iter()
            .flat_map(|s| s.to_bytes())
            .collect::<Vec<u8>>();
        assert!(holds(b"fp", &key, &cts, b"votes", &proof).unwrap());
        assert!(!holds(b"fp", &key, &cts, b"other", &proof).unwrap());
        let mut identity = cts.clone();
        identity[..32].fill(0);
        assert!(!holds(b"fp", &key, &identity, b"votes", &proof).unwrap());
        let mut big = proof.clone();
        big[32..64].fill(0xff);
        assert!(holds(b"fp", &key, &cts, b"votes", &big)
            .unwrap_err()
            .contains("reduced"));
    }
}
