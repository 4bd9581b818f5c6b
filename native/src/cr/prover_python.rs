//! The trustees' secret computations as functions of `plebiscite_native` (glue: `plebiscite.native.cr_prover`),
//! registered by `cr/python.rs`. Every entry point runs under [`crate::python::guarded`] (a refused input or a
//! panic is a `NativeError` whose message names the argument, never a secret's value), releases the GIL, and
//! takes secrets as bytes only: canonical 32-byte scalars (`z`, `u`, `u'`) or 64 uniform bytes a scalar drawn by
//! Python's `secrets` (`randomness`, `nonces`), held in `Zeroizing` buffers once decoded.

use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::PyBytes;
use zeroize::Zeroizing;

use super::prover::{self, secret, secrets, wide};
use super::prover_shuffle as shuffle;
use crate::python::guarded;

type Bytes<'py> = Bound<'py, PyBytes>;

fn out<'py>(py: Python<'py>, data: &[u8]) -> Bytes<'py> {
    PyBytes::new(py, data)
}

/// The number of 64-byte scalars in `raw` (an error naming `what` otherwise).
fn count(raw: &[u8], what: &str) -> Result<usize, String> {
    if raw.len().is_multiple_of(64) {
        Ok(raw.len() / 64)
    } else {
        Err(format!("{what}: not 64 bytes a scalar"))
    }
}

/// Whether every 64-byte piece of `raw` reduces to a non-zero scalar (constant time).
#[pyfunction]
fn cr_prover_nonzero(py: Python<'_>, raw: PyBackedBytes) -> PyResult<bool> {
    py.allow_threads(|| {
        guarded("cr_prover_nonzero", || {
            let n = count(&raw, "randomness")?;
            Ok(wide(&raw, n, "randomness").is_ok())
        })
    })
}

/// One chunk's linear pass and proof: `(a' or None, b', c ‖ s_z ‖ s_u)`; `u = None` for the MAC fold.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
#[pyo3(signature = (fingerprint, context, z, u, inputs, with_a, nonces, given=None))]
fn cr_prove_linear<'py>(
    py: Python<'py>,
    fingerprint: PyBackedBytes,
    context: PyBackedBytes,
    z: PyBackedBytes,
    u: Option<PyBackedBytes>,
    inputs: PyBackedBytes,
    with_a: bool,
    nonces: PyBackedBytes,
    given: Option<(Option<PyBackedBytes>, PyBackedBytes)>,
) -> PyResult<(Option<Bytes<'py>>, Bytes<'py>, Bytes<'py>)> {
    let res = py.allow_threads(|| {
        guarded("cr_prove_linear", || {
            let z = secret(&z, "z")?;
            let u = u.as_deref().map(|x| secret(x, "u")).transpose()?;
            let nonces = wide(&nonces, 2, "nonces")?;
            prover::prove_linear(
                &fingerprint,
                &context,
                &z,
                u.as_deref(),
                &inputs,
                with_a,
                &nonces,
                given.as_ref().map(|(a, b)| (a.as_deref(), &b[..])),
            )
        })
    })?;
    Ok((
        res.out_a.as_deref().map(|a| out(py, a)),
        out(py, &res.out_b),
        out(py, &res.proof),
    ))
}

/// A linear pass's rows without a proof (`prover::transform`): `(a' or None, b')`, 32 bytes a row each; what a
/// trustee computes ahead for the MAC fold while voting runs.
#[pyfunction]
#[pyo3(signature = (z, u, inputs, with_a))]
fn cr_prove_transform<'py>(
    py: Python<'py>,
    z: PyBackedBytes,
    u: Option<PyBackedBytes>,
    inputs: PyBackedBytes,
    with_a: bool,
) -> PyResult<(Option<Bytes<'py>>, Bytes<'py>)> {
    let res = py.allow_threads(|| {
        guarded("cr_prove_transform", || {
            let z = secret(&z, "z")?;
            let u = u.as_deref().map(|x| secret(x, "u")).transpose()?;
            let (a, b) = prover::rows(&inputs, "inputs")?;
            Ok(prover::transform(&z, u.as_deref(), &a, &b, with_a))
        })
    })?;
    Ok((res.0.as_deref().map(|a| out(py, a)), out(py, &res.1)))
}

/// One chunk's row blinding: `(outputs, proofs)`, 64 and 96 bytes a row; `randomness` holds `ρ_i, w_i` a row.
#[pyfunction]
fn cr_prove_blind<'py>(
    py: Python<'py>,
    fingerprint: PyBackedBytes,
    context: PyBackedBytes,
    start: u64,
    inputs: PyBackedBytes,
    randomness: PyBackedBytes,
) -> PyResult<(Bytes<'py>, Bytes<'py>)> {
    let (o, p) = py.allow_threads(|| {
        guarded("cr_prove_blind", || {
            let r = wide(&randomness, count(&randomness, "randomness")?, "randomness")?;
            prover::blind_rows(&fingerprint, &context, start, &inputs, &r)
        })
    })?;
    Ok((out(py, &o), out(py, &p)))
}

/// One chunk of the shuffle's rows: `(outputs, commitments, sums)` (see `prover_shuffle::rows_chunk`).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn cr_prove_shuffle_rows<'py>(
    py: Python<'py>,
    key: PyBackedBytes,
    width: usize,
    inputs: PyBackedBytes,
    rands: PyBackedBytes,
    r: PyBackedBytes,
    generators: (PyBackedBytes, PyBackedBytes, PyBackedBytes),
    w_commit: PyBackedBytes,
    w_prime: PyBackedBytes,
) -> PyResult<(Bytes<'py>, Bytes<'py>, Bytes<'py>)> {
    let res = py.allow_threads(|| {
        guarded("cr_prove_shuffle_rows", || {
            let rands = wide(&rands, count(&rands, "rands")?, "rands")?;
            let r = wide(&r, count(&r, "r")?, "r")?;
            let w_commit = wide(&w_commit, count(&w_commit, "w_commit")?, "w_commit")?;
            let w_prime = wide(&w_prime, count(&w_prime, "w_prime")?, "w_prime")?;
            // the secret indices ψ⁻¹(j), copied into a buffer wiped when dropped
            let (fingerprint, context, h_index) = &generators;
            let h_index = Zeroizing::new(h_index.to_vec());
            shuffle::rows_chunk(
                &key,
                width,
                &inputs,
                &rands,
                &r,
                (fingerprint, context, &h_index),
                &w_commit,
                &w_prime,
            )
        })
    })?;
    Ok((
        out(py, &res.outputs),
        out(py, &res.commitments),
        out(py, &res.sums),
    ))
}

/// The chain's state `R ‖ U` before each chunk starting at one of `starts`.
#[pyfunction]
fn cr_prove_shuffle_carries<'py>(
    py: Python<'py>,
    r_hat: PyBackedBytes,
    u_prime: PyBackedBytes,
    starts: Vec<u64>,
) -> PyResult<Bytes<'py>> {
    let res = py.allow_threads(|| {
        guarded("cr_prove_shuffle_carries", || {
            let r_hat = wide(&r_hat, count(&r_hat, "r_hat")?, "r_hat")?;
            let u_prime = secrets(&u_prime, "u_prime")?;
            shuffle::carries(&r_hat, &u_prime, &starts)
        })
    })?;
    Ok(out(py, &res))
}

/// One chunk of the chain and its commitments: `(chain, hats)`.
#[pyfunction]
fn cr_prove_shuffle_chain<'py>(
    py: Python<'py>,
    h: PyBackedBytes,
    carry: PyBackedBytes,
    r_hat: PyBackedBytes,
    u_prime: PyBackedBytes,
    w_hat: PyBackedBytes,
    w_prime: PyBackedBytes,
) -> PyResult<(Bytes<'py>, Bytes<'py>)> {
    let (chain, hats) = py.allow_threads(|| {
        guarded("cr_prove_shuffle_chain", || {
            let carry = secrets(&carry, "carry")?;
            let r_hat = wide(&r_hat, count(&r_hat, "r_hat")?, "r_hat")?;
            let u_prime = secrets(&u_prime, "u_prime")?;
            let w_hat = wide(&w_hat, count(&w_hat, "w_hat")?, "w_hat")?;
            let w_prime = wide(&w_prime, count(&w_prime, "w_prime")?, "w_prime")?;
            shuffle::chain_chunk(&h, &carry, &r_hat, &u_prime, &w_hat, &w_prime)
        })
    })?;
    Ok((out(py, &chain), out(py, &hats)))
}

/// `t1, t2, t3, t4a_0, t4b_0, …` from the chunks' sums and the nonces.
#[pyfunction]
fn cr_prove_shuffle_commitments<'py>(
    py: Python<'py>,
    key: PyBackedBytes,
    width: usize,
    parts: PyBackedBytes,
    nonces: PyBackedBytes,
) -> PyResult<Bytes<'py>> {
    let res = py.allow_threads(|| {
        guarded("cr_prove_shuffle_commitments", || {
            let nonces = wide(&nonces, count(&nonces, "nonces")?, "nonces")?;
            shuffle::first_commitments(&key, width, &parts, &nonces)
        })
    })?;
    Ok(out(py, &res))
}

/// The responses `s (3) ‖ s4 (w) ‖ ŝ (n) ‖ s' (n)`, 32 bytes each.
#[pyfunction]
fn cr_prove_shuffle_responses<'py>(
    py: Python<'py>,
    c: PyBackedBytes,
    width: usize,
    randomness: PyBackedBytes,
    nonces: PyBackedBytes,
    u: PyBackedBytes,
    u_prime: PyBackedBytes,
) -> PyResult<Bytes<'py>> {
    let res = py.allow_threads(|| {
        guarded("cr_prove_shuffle_responses", || {
            let c = super::kernels::scalar(&c, "c")?;
            let randomness = wide(&randomness, count(&randomness, "randomness")?, "randomness")?;
            let nonces = wide(&nonces, count(&nonces, "nonces")?, "nonces")?;
            let u = super::kernels::scalars(&u, "u")?;
            let u_prime = secrets(&u_prime, "u_prime")?;
            shuffle::responses(&c, width, &randomness, &nonces, &u, &u_prime)
        })
    })?;
    Ok(out(py, &res))
}

/// The tally's public element-wise sums (`prover_sums::add_lists`).
#[pyfunction]
fn cr_add_lists<'py>(
    py: Python<'py>,
    lists: Vec<PyBackedBytes>,
    offset: PyBackedBytes,
) -> PyResult<Bytes<'py>> {
    let res = py.allow_threads(|| {
        guarded("cr_add_lists", || {
            let refs: Vec<&[u8]> = lists.iter().map(|l| &l[..]).collect();
            super::prover_sums::add_lists(&refs, &offset)
        })
    })?;
    Ok(out(py, &res))
}

/// The column sums of rows of `width` elements (`prover_sums::column_sums`).
#[pyfunction]
fn cr_column_sums<'py>(py: Python<'py>, rows: PyBackedBytes, width: usize) -> PyResult<Bytes<'py>> {
    let res = py.allow_threads(|| {
        guarded("cr_column_sums", || {
            super::prover_sums::column_sums(&rows, width)
        })
    })?;
    Ok(out(py, &res))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(cr_prover_nonzero, m)?)?;
    m.add_function(wrap_pyfunction!(cr_prove_linear, m)?)?;
    m.add_function(wrap_pyfunction!(cr_prove_blind, m)?)?;
    m.add_function(wrap_pyfunction!(cr_prove_transform, m)?)?;
    m.add_function(wrap_pyfunction!(cr_prove_shuffle_rows, m)?)?;
    m.add_function(wrap_pyfunction!(cr_prove_shuffle_carries, m)?)?;
    m.add_function(wrap_pyfunction!(cr_prove_shuffle_chain, m)?)?;
    m.add_function(wrap_pyfunction!(cr_prove_shuffle_commitments, m)?)?;
    m.add_function(wrap_pyfunction!(cr_prove_shuffle_responses, m)?)?;
    m.add_function(wrap_pyfunction!(cr_add_lists, m)?)?;
    m.add_function(wrap_pyfunction!(cr_column_sums, m)?)?;
    Ok(())
}
