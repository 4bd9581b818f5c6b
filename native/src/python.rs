//! The Python module `plebiscite_native`: thin conversions around [`crate::check_chunk`].
//!
//! Nothing here can let a Rust panic reach Python as a `PanicException`: every entry point runs its work under
//! `catch_unwind` and turns a panic into `NativeError` (a `ValueError`) whose message names the function.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyTuple};

use crate::ballot::{Election, QuestionLayout};

create_exception!(
    plebiscite_native,
    NativeError,
    PyValueError,
    "The native engine refused its input or failed."
);

pub(crate) fn guarded<T>(what: &str, work: impl FnOnce() -> Result<T, String>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(work)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(message)) => Err(NativeError::new_err(format!("{what}: {message}"))),
        Err(panic) => {
            let detail = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown".into());
            Err(NativeError::new_err(format!(
                "{what}: internal error (panic: {detail})"
            )))
        }
    }
}

fn array32(value: &[u8], what: &str) -> Result<[u8; 32], String> {
    value
        .try_into()
        .map_err(|_| format!("{what}: expected 32 bytes"))
}

/// `check_ballots(fingerprint, public_key, layouts, ballots) -> (statuses, sums)`.
///
/// `layouts`: per question `(weights, lo, hi, sum_proof)`; `ballots`: `(ballot bytes, signature)` pairs.
/// `statuses`: one byte per ballot (0 passed, 1 malformed, 2 signature, 3 challenge, 4 equation); `sums`: per
/// question and option, in order, 64 bytes `Σ a ‖ Σ b` over the ballots that passed.
#[pyfunction]
fn check_ballots<'py>(
    py: Python<'py>,
    fingerprint: &[u8],
    public_key: &[u8],
    layouts: Vec<(Vec<u64>, u64, u64, bool)>,
    ballots: Vec<(PyBackedBytes, PyBackedBytes)>,
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    let (fingerprint, public_key) = (fingerprint.to_vec(), public_key.to_vec());
    let (statuses, sums) = py.allow_threads(|| {
        guarded("check_ballots", || {
            let layouts = QuestionLayout::from_tuples(layouts);
            let election = Election::cached(
                array32(&fingerprint, "fingerprint")?,
                array32(&public_key, "public key")?,
                layouts,
            )?;
            let pairs: Vec<(&[u8], &[u8])> =
                ballots.iter().map(|(c, s)| (&c[..], &s[..])).collect();
            let outcome = crate::check_chunk(&election, &pairs)?;
            let statuses: Vec<u8> = outcome.statuses.iter().map(|s| *s as u8).collect();
            let mut sums = Vec::new();
            for (a, b) in outcome.sums.iter().flatten() {
                sums.extend_from_slice(a.compress().as_bytes());
                sums.extend_from_slice(b.compress().as_bytes());
            }
            Ok((statuses, sums))
        })
    })?;
    Ok((PyBytes::new(py, &statuses), PyBytes::new(py, &sums)))
}

/// One range proof (for the test vectors): `branches` is `A_j ‖ B_j ‖ c_j ‖ z_j` per branch.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn check_range_proof(
    py: Python<'_>,
    fingerprint: &[u8],
    public_key: &[u8],
    context: &[u8],
    a: &[u8],
    b: &[u8],
    lo: u64,
    hi: u64,
    branches: &[u8],
) -> PyResult<bool> {
    let owned = [fingerprint, public_key, context, a, b, branches].map(|x| x.to_vec());
    py.allow_threads(|| {
        guarded("check_range_proof", || {
            let [fingerprint, public_key, context, a, b, branches] = &owned;
            let election = Election::new(
                array32(fingerprint, "fingerprint")?,
                array32(public_key, "public key")?,
                vec![],
            )?;
            let (a, b) = (array32(a, "a")?, array32(b, "b")?);
            crate::ballot::check_range_proof(&election, context, (&a, &b), lo, hi, branches)
        })
    })
}

/// Ed25519 verification by the reference's (libsodium's) rules, for the differential tests.
#[pyfunction]
fn verify_signature(
    py: Python<'_>,
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> PyResult<bool> {
    let (public_key, message, signature) =
        (public_key.to_vec(), message.to_vec(), signature.to_vec());
    py.allow_threads(|| {
        guarded("verify_signature", || {
            let (Ok(key), Ok(sig)) = (
                <[u8; 32]>::try_from(&public_key[..]),
                <[u8; 64]>::try_from(&signature[..]),
            ) else {
                return Ok(false);
            };
            Ok(crate::signature::verify(&key, &message, &sig))
        })
    })
}

/// Many signatures under one key (the board's signed heads), each by the reference's rules: one byte a pair
/// (1 valid, 0 not), in order.
#[pyfunction]
fn verify_signatures<'py>(
    py: Python<'py>,
    public_key: &[u8],
    pairs: Vec<(PyBackedBytes, PyBackedBytes)>,
) -> PyResult<Bound<'py, PyBytes>> {
    let public_key = public_key.to_vec();
    let answers = py.allow_threads(|| {
        guarded("verify_signatures", || {
            let key = array32(&public_key, "public key")?;
            let items: Vec<(&[u8], &[u8])> = pairs.iter().map(|(m, s)| (&m[..], &s[..])).collect();
            let answers = crate::signature::verify_many(&key, &items);
            Ok(answers.into_iter().map(u8::from).collect::<Vec<u8>>())
        })
    })?;
    Ok(PyBytes::new(py, &answers))
}

/// A standard ballot line's `(ballot bytes, signature, election, credential, tracking code)`, or `None` when the
/// line is not exactly the canonical event of a ballot of this layout (`counts`: per question, options and the
/// sum proof's branches) — the caller's Python path then reads it (`native/src/lines.rs`).
#[pyfunction]
fn read_ballot_lines<'py>(
    py: Python<'py>,
    lines: Vec<PyBackedBytes>,
    counts: Vec<(usize, Option<usize>)>,
) -> PyResult<Vec<Option<Bound<'py, PyTuple>>>> {
    let read = py.allow_threads(|| {
        guarded("read_ballot_lines", || {
            Ok(lines
                .iter()
                .map(|line| crate::lines::read(line, &counts))
                .collect::<Vec<_>>())
        })
    })?;
    read.into_iter()
        .map(|found| {
            found
                .map(|b| {
                    PyTuple::new(
                        py,
                        [
                            PyBytes::new(py, &b.content),
                            PyBytes::new(py, &b.signature),
                            PyBytes::new(py, &b.election),
                            PyBytes::new(py, &b.credential),
                            PyBytes::new(py, &b.tracking_code),
                        ],
                    )
                })
                .transpose()
        })
        .collect()
}

/// Whether a ballot event's line is in the board's normal form (`verify/scan.py`'s check 1; `lines.rs`).
#[pyfunction]
fn line_in_normal_form(line: &[u8]) -> PyResult<bool> {
    guarded("line_in_normal_form", || {
        Ok(crate::lines::in_normal_form(line))
    })
}

/// Panics inside the guard: the tests check that it arrives as `NativeError`, never as a `PanicException`.
#[pyfunction]
fn _panic_for_test() -> PyResult<()> {
    guarded("_panic_for_test", || -> Result<(), String> {
        panic!("deliberate")
    })
}

#[pymodule]
fn plebiscite_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("NativeError", m.py().get_type::<NativeError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(check_ballots, m)?)?;
    m.add_function(wrap_pyfunction!(verify_signature, m)?)?;
    m.add_function(wrap_pyfunction!(verify_signatures, m)?)?;
    m.add_function(wrap_pyfunction!(read_ballot_lines, m)?)?;
    m.add_function(wrap_pyfunction!(line_in_normal_form, m)?)?;
    m.add_function(wrap_pyfunction!(check_range_proof, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_test, m)?)?;
    m.add_function(wrap_pyfunction!(crate::shares::check_decryption_shares, m)?)?;
    m.add_class::<crate::board::python::BodyChecker>()?;
    m.add_class::<crate::scan::python::LineScanner>()?;
    crate::cr::python::register(m)?;
    Ok(())
}
