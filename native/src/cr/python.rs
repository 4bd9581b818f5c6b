//! The coercion-resistant mode's functions of the module `plebiscite_native` (glue: `plebiscite.native.cr`).
//! Every entry point runs under [`crate::python::guarded`]: a panic or a refused input is a `NativeError`.
//! Only public values cross here (docs/native.md, "Coercion-resistant mode").

use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::PyBytes;

use super::kernels::{self, encode, point};
use super::{blind, credential, keyproofs, linear, shuffle, votes};
use crate::ballot::Election;
use crate::python::guarded;

fn bytes<'py>(py: Python<'py>, data: &[u8]) -> Bound<'py, PyBytes> {
    PyBytes::new(py, data)
}

/// `[Σ_i s_i·column[i] for column in columns]`: public scalars (32 bytes each, < ℓ) and elements only.
#[pyfunction]
fn cr_msm_columns<'py>(
    py: Python<'py>,
    scalars: PyBackedBytes,
    columns: Vec<PyBackedBytes>,
) -> PyResult<Vec<Bound<'py, PyBytes>>> {
    let out = py.allow_threads(|| {
        guarded("cr_msm_columns", || {
            let cols: Vec<&[u8]> = columns.iter().map(|c| &c[..]).collect();
            shuffle::msm_columns(&scalars, &cols)
        })
    })?;
    Ok(out.iter().map(|p| bytes(py, p)).collect())
}

/// `Σ points`.
#[pyfunction]
fn cr_sum<'py>(py: Python<'py>, points: PyBackedBytes) -> PyResult<Bound<'py, PyBytes>> {
    let out = py.allow_threads(|| guarded("cr_sum", || shuffle::sum(&points)))?;
    Ok(bytes(py, &out))
}

/// The shuffle's generators `h_lo … h_{hi-1}`, concatenated.
#[pyfunction]
fn cr_generators<'py>(
    py: Python<'py>,
    fingerprint: PyBackedBytes,
    context: PyBackedBytes,
    lo: u64,
    hi: u64,
) -> PyResult<Bound<'py, PyBytes>> {
    let out = py.allow_threads(|| {
        guarded("cr_generators", || {
            if lo > hi {
                return Err("lo > hi".into());
            }
            Ok(shuffle::generators(&fingerprint, &context, lo, hi))
        })
    })?;
    Ok(bytes(py, &out))
}

/// `(Σ h_i, Σ s_i·h_i)` over the shuffle's generators `lo..hi`.
#[pyfunction]
fn cr_generator_sums<'py>(
    py: Python<'py>,
    fingerprint: PyBackedBytes,
    context: PyBackedBytes,
    lo: u64,
    hi: u64,
    s: PyBackedBytes,
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    let (sum, weighted) = py.allow_threads(|| {
        guarded("cr_generator_sums", || {
            shuffle::generator_sums(&fingerprint, &context, lo, hi, &s)
        })
    })?;
    Ok((bytes(py, &sum), bytes(py, &weighted)))
}

/// Whether the shuffle's `t̂_i` (the proof's `hats`) are the chain relation's, as one batch.
#[pyfunction]
fn cr_hats_hold(
    py: Python<'_>,
    c: PyBackedBytes,
    s_hat: PyBackedBytes,
    s_prime: PyBackedBytes,
    first_prev: PyBackedBytes,
    chain: PyBackedBytes,
    hats: PyBackedBytes,
) -> PyResult<bool> {
    py.allow_threads(|| {
        guarded("cr_hats_hold", || {
            shuffle::hats_hold(&c, &s_hat, &s_prime, &first_prev, &chain, &hats)
        })
    })
}

/// One chunk's linear batch proof (`proof` = `c ‖ s_z ‖ s_u`).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
#[pyo3(signature = (fingerprint, context, z_pub, u_pub, inputs, out_a, out_b, proof))]
fn cr_verify_linear(
    py: Python<'_>,
    fingerprint: PyBackedBytes,
    context: PyBackedBytes,
    z_pub: PyBackedBytes,
    u_pub: PyBackedBytes,
    inputs: PyBackedBytes,
    out_a: Option<PyBackedBytes>,
    out_b: PyBackedBytes,
    proof: PyBackedBytes,
) -> PyResult<bool> {
    py.allow_threads(|| {
        guarded("cr_verify_linear", || {
            if !inputs.len().is_multiple_of(64) {
                return Err("inputs: not 64 bytes a row".into());
            }
            let st = linear::LinearStatement {
                fingerprint: &fingerprint,
                context: &context,
                z_pub: &z_pub,
                u_pub: &u_pub,
                inputs: &inputs,
                out_a: out_a.as_deref(),
                out_b: &out_b,
            };
            linear::verify(&st, &proof)
        })
    })
}

/// The linear proof's seed for a chunk (for the cross-check with the Python transcript).
#[pyfunction]
#[pyo3(signature = (fingerprint, context, z_pub, u_pub, inputs, out_a, out_b))]
#[allow(clippy::too_many_arguments)]
fn cr_linear_seed<'py>(
    py: Python<'py>,
    fingerprint: PyBackedBytes,
    context: PyBackedBytes,
    z_pub: PyBackedBytes,
    u_pub: PyBackedBytes,
    inputs: PyBackedBytes,
    out_a: Option<PyBackedBytes>,
    out_b: PyBackedBytes,
) -> PyResult<Bound<'py, PyBytes>> {
    let st = linear::LinearStatement {
        fingerprint: &fingerprint,
        context: &context,
        z_pub: &z_pub,
        u_pub: &u_pub,
        inputs: &inputs,
        out_a: out_a.as_deref(),
        out_b: &out_b,
    };
    let seed = guarded("cr_linear_seed", || Ok(linear::seed(&st)))?;
    Ok(bytes(py, &seed))
}

/// The prover's public sums `(Σ e_i a_i, Σ e_i b_i)` with `e_i = coef(seed, i)`.
#[pyfunction]
fn cr_linear_input_sums<'py>(
    py: Python<'py>,
    seed: PyBackedBytes,
    inputs: PyBackedBytes,
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    let (a, b) = py.allow_threads(|| {
        guarded("cr_linear_input_sums", || {
            let (a, b) = linear::input_sums(&seed, &inputs)?;
            Ok((encode(&a), encode(&b)))
        })
    })?;
    Ok((bytes(py, &a), bytes(py, &b)))
}

/// Rows (numbered from `start`) whose blinding proof fails.
#[pyfunction]
fn cr_blind_failing(
    py: Python<'_>,
    fingerprint: PyBackedBytes,
    context: PyBackedBytes,
    start: u64,
    inputs: PyBackedBytes,
    outputs: PyBackedBytes,
    proofs: PyBackedBytes,
) -> PyResult<Vec<u64>> {
    py.allow_threads(|| {
        guarded("cr_blind_failing", || {
            blind::failing(&fingerprint, &context, start, &inputs, &outputs, &proofs)
        })
    })
}

/// Per ballot `(C1.a‖C1.b‖C2.a‖C2.b, content, c‖z1‖zσ‖zt)`: a byte 1 (the credential proof holds), 0 (it does
/// not) or 2 (malformed: an encoding the reference's decoder would have refused).
#[pyfunction]
fn cr_credential_proofs<'py>(
    py: Python<'py>,
    fingerprint: PyBackedBytes,
    public_key: PyBackedBytes,
    ballots: Vec<(PyBackedBytes, PyBackedBytes, PyBackedBytes)>,
) -> PyResult<Bound<'py, PyBytes>> {
    let out = py.allow_threads(|| {
        guarded("cr_credential_proofs", || {
            let key = point(&public_key, "public key")?;
            let items: Vec<credential::Item> = ballots
                .iter()
                .map(|(cts, content, proof)| (&cts[..], &content[..], &proof[..]))
                .collect();
            Ok(credential::statuses(&fingerprint, &key, &items))
        })
    })?;
    Ok(bytes(py, &out))
}

type VoteProofArgs = (
    PyBackedBytes,
    PyBackedBytes,
    PyBackedBytes,
    u64,
    u64,
    PyBackedBytes,
);

/// Per ballot, its vote proofs `(context, a, b, lo, hi, branches)`: a byte 1 when every one holds, else 0.
#[pyfunction]
fn cr_vote_proofs<'py>(
    py: Python<'py>,
    fingerprint: PyBackedBytes,
    public_key: PyBackedBytes,
    ballots: Vec<Vec<VoteProofArgs>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let out = py.allow_threads(|| {
        guarded("cr_vote_proofs", || {
            let fp: [u8; 32] = fingerprint[..]
                .try_into()
                .map_err(|_| "fingerprint: expected 32 bytes".to_string())?;
            let key: [u8; 32] = public_key[..]
                .try_into()
                .map_err(|_| "public key: expected 32 bytes".to_string())?;
            let election = Election::new(fp, key, vec![])?;
            let ballots: Vec<Vec<votes::VoteProof>> = ballots
                .iter()
                .map(|proofs| {
                    proofs
                        .iter()
                        .map(|(context, a, b, lo, hi, branches)| votes::VoteProof {
                            context,
                            a,
                            b,
                            lo: *lo,
                            hi: *hi,
                            branches,
                        })
                        .collect()
                })
                .collect();
            votes::ballots_hold(&election, &ballots)
        })
    })?;
    Ok(bytes(py, &out))
}

/// Whether a Schnorr proof `c ‖ z` of knowledge of `log_G public` holds (`proofs/schnorr.verify`).
#[pyfunction]
fn cr_schnorr(
    py: Python<'_>,
    fingerprint: PyBackedBytes,
    context: PyBackedBytes,
    public: PyBackedBytes,
    proof: PyBackedBytes,
) -> PyResult<bool> {
    py.allow_threads(|| {
        guarded("cr_schnorr", || {
            keyproofs::schnorr_holds(&fingerprint, &context, &public, &proof)
        })
    })
}

/// Whether a Chaum–Pedersen proof `c ‖ z` of `log_G public = log_base image` holds (`proofs/dleq.verify`).
#[pyfunction]
fn cr_dleq(
    py: Python<'_>,
    fingerprint: PyBackedBytes,
    context: PyBackedBytes,
    base: PyBackedBytes,
    public: PyBackedBytes,
    image: PyBackedBytes,
    proof: PyBackedBytes,
) -> PyResult<bool> {
    py.allow_threads(|| {
        guarded("cr_dleq", || {
            keyproofs::dleq_holds(&fingerprint, &context, &base, &public, &image, &proof)
        })
    })
}

/// Whether every 32-byte piece of `raw` is a canonical ristretto255 encoding (the identity included).
#[pyfunction]
fn cr_valid_elements(py: Python<'_>, raw: PyBackedBytes) -> bool {
    py.allow_threads(|| kernels::points(&raw, "elements").is_ok())
}

/// `transcript.challenge` (for the cross-check tests), 32 bytes little-endian.
#[pyfunction]
fn cr_challenge<'py>(
    py: Python<'py>,
    tag: PyBackedBytes,
    fingerprint: PyBackedBytes,
    context: PyBackedBytes,
    statement: Vec<PyBackedBytes>,
    commitments: Vec<PyBackedBytes>,
) -> PyResult<Bound<'py, PyBytes>> {
    let s: Vec<&[u8]> = statement.iter().map(|x| &x[..]).collect();
    let t: Vec<&[u8]> = commitments.iter().map(|x| &x[..]).collect();
    let c = kernels::challenge(&tag, &fingerprint, &context, &s, &t);
    Ok(bytes(py, &c.to_bytes()))
}

/// `codec.coefficients(seed, start, count)`, concatenated (for the cross-check tests).
#[pyfunction]
fn cr_coefficients<'py>(
    py: Python<'py>,
    seed: PyBackedBytes,
    start: u64,
    count: usize,
) -> PyResult<Bound<'py, PyBytes>> {
    let out: Vec<u8> = kernels::coefficients(&seed, start, count)
        .iter()
        .flat_map(|s| s.to_bytes())
        .collect();
    Ok(bytes(py, &out))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(cr_msm_columns, m)?)?;
    m.add_function(wrap_pyfunction!(cr_sum, m)?)?;
    m.add_function(wrap_pyfunction!(cr_generators, m)?)?;
    m.add_function(wrap_pyfunction!(cr_hats_hold, m)?)?;
    m.add_function(wrap_pyfunction!(cr_generator_sums, m)?)?;
    m.add_function(wrap_pyfunction!(cr_verify_linear, m)?)?;
    m.add_function(wrap_pyfunction!(cr_linear_seed, m)?)?;
    m.add_function(wrap_pyfunction!(cr_linear_input_sums, m)?)?;
    m.add_function(wrap_pyfunction!(cr_blind_failing, m)?)?;
    m.add_function(wrap_pyfunction!(cr_credential_proofs, m)?)?;
    m.add_function(wrap_pyfunction!(cr_vote_proofs, m)?)?;
    m.add_function(wrap_pyfunction!(cr_valid_elements, m)?)?;
    m.add_function(wrap_pyfunction!(cr_schnorr, m)?)?;
    m.add_function(wrap_pyfunction!(cr_dleq, m)?)?;
    m.add_function(wrap_pyfunction!(cr_challenge, m)?)?;
    m.add_function(wrap_pyfunction!(cr_coefficients, m)?)?;
    super::prover_python::register(m)?; // the trustees' secret computations (prover_python.rs)
    Ok(())
}
