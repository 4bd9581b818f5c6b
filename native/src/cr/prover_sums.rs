//! The tally's public sums between the trustees' steps (`tags.fold_sum`, `tally.aggregate_rows`): elements of the
//! record only, so ordinary (variable-time) decoding and additions. Each element is decoded once and each result
//! encoded once, where libsodium decodes both operands and encodes the result of every addition.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::traits::Identity;

use super::kernels::{encode, points};

/// Element-wise `Σ_l lists[l][p] + offset[p mod m]` over equal-length lists of elements (32 bytes each), where
/// `offset` holds `m` elements (a repeating pattern, e.g. `(0, −G)` for every ciphertext).
pub fn add_lists(lists: &[&[u8]], offset: &[u8]) -> Result<Vec<u8>, String> {
    let first = lists.first().ok_or("lists: none given")?;
    if lists.iter().any(|l| l.len() != first.len()) {
        return Err("lists: not all of the same length".into());
    }
    let offset = points(offset, "offset")?;
    let mut acc = points(first, "lists[0]")?;
    for (l, list) in lists.iter().enumerate().skip(1) {
        for (a, p) in acc.iter_mut().zip(points(list, &format!("lists[{l}]"))?) {
            *a += p;
        }
    }
    if !offset.is_empty() {
        for (a, o) in acc.iter_mut().zip(offset.iter().cycle()) {
            *a += o;
        }
    }
    Ok(acc.iter().flat_map(encode).collect())
}

/// Column sums of rows of `width` elements (32 bytes each): `width` encoded sums.
pub fn column_sums(rows: &[u8], width: usize) -> Result<Vec<u8>, String> {
    if width == 0 || !rows.len().is_multiple_of(32 * width) {
        return Err("rows: not whole rows of the given width".into());
    }
    let mut acc = vec![RistrettoPoint::identity(); width];
    for (i, p) in points(rows, "rows")?.into_iter().enumerate() {
        acc[i % width] += p;
    }
    Ok(acc.iter().flat_map(encode).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
    use curve25519_dalek::scalar::Scalar;

    #[test]
    fn sums_are_the_plain_sums() {
        let p = |x: u64| encode(&(G * Scalar::from(x)));
        let (l1, l2, off) = (
            [p(1), p(2)].concat(),
            [p(10), p(20)].concat(),
            [p(100)].concat(),
        );
        assert_eq!(
            add_lists(&[&l1, &l2], &off).unwrap(),
            [p(111), p(122)].concat()
        );
        assert_eq!(add_lists(&[&l1], &[]).unwrap(), l1);
        assert!(add_lists(&[&l1, &l2[..32]], &[]).is_err());
        let rows = [p(1), p(2), p(3), p(4)].concat();
        assert_eq!(column_sums(&rows, 2).unwrap(), [p(4), p(6)].concat());
        assert!(column_sums(&rows[..96], 2).is_err());
    }
}
