//! The board's check of cast request bodies (`ballot/check.py`, `accepted_bodies`; docs/native.md §1, §6.4).
//!
//! Per body: its ballot event's canonical line written from the body (`body.rs`), read against the layout
//! (`lines.rs`), the election and the roll checked, then the ballots that got that far checked as one chunk,
//! [`crate::check_chunk`] (their signatures' and proofs' equations as one multiscalar multiplication, a lone
//! ballot's included). What it answers per body: accepted, with the tracking code
//! and the line; or *not read* (the Python path reads the body); or *not accepted* (checked again alone, by the
//! engine and then the reference, which names the fault). Only acceptances are final here.

use crate::ballot::{Election, Status};
use crate::lines::{self, BallotLine, Counts};

/// What the board's check made of one body.
pub enum Answer {
    /// Not a body this reads (`body.rs`, `lines.rs`): the Python path parses it.
    Unread,
    /// Read, but not accepted (another election, not on the roll, or refused by a check).
    Refused,
    /// Accepted: the tracking code and the ballot event's canonical line.
    Accepted([u8; 32], Vec<u8>),
}

/// The bodies' lines and ballots, read; `None` where a body is not read.
pub fn read(bodies: &[&[u8]], counts: &Counts) -> Vec<Option<(Vec<u8>, BallotLine)>> {
    bodies
        .iter()
        .map(|body| {
            let line = crate::body::canonical_line(body)?;
            let ballot = lines::read(&line, counts)?;
            Some((line, ballot))
        })
        .collect()
}

/// Per read ballot (`None`: not read; `eligible`: made for this election by a credential on the roll), the
/// answer: the eligible ones checked as one chunk.
pub fn check(
    election: &Election,
    read: Vec<Option<(Vec<u8>, BallotLine)>>,
    eligible: &[bool],
) -> Result<Vec<Answer>, String> {
    let chosen: Vec<usize> = (0..read.len())
        .filter(|&i| read[i].is_some() && eligible[i])
        .collect();
    let ballots: Vec<(&[u8], &[u8])> = chosen
        .iter()
        .filter_map(|&i| read[i].as_ref())
        .map(|(_, b)| (&b.content[..], &b.signature[..]))
        .collect();
    let statuses = crate::check_chunk(election, &ballots)?.statuses;
    let mut passed = vec![false; read.len()];
    for (&i, status) in chosen.iter().zip(statuses) {
        passed[i] = status == Status::Ok;
    }
    Ok(read
        .into_iter()
        .zip(passed)
        .map(|(found, ok)| match found {
            None => Answer::Unread,
            Some((line, ballot)) if ok => Answer::Accepted(ballot.tracking_code, line),
            Some(_) => Answer::Refused,
        })
        .collect())
}

#[cfg(feature = "python")]
pub mod python {
    use std::sync::Arc;

    use pyo3::prelude::*;
    use pyo3::pybacked::PyBackedBytes;
    use pyo3::types::{PyBool, PyBytes, PyString, PyTuple};

    use super::Answer;
    use crate::ballot::{Election, QuestionLayout};
    use crate::python::guarded;

    /// The board's check of cast bodies for one election (`board.rs`), built once: the election key decoded and
    /// its tables, the layout's counts — a call then pays only for its bodies.
    #[pyclass(module = "plebiscite_native", frozen)]
    pub struct BodyChecker {
        election: Arc<Election>,
        counts: Vec<(usize, Option<usize>)>,
    }

    fn hex(bytes: &[u8]) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        bytes
            .iter()
            .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
            .map(char::from)
            .collect()
    }

    #[pymethods]
    impl BodyChecker {
        /// `BodyChecker(fingerprint, public_key, layouts)`, `layouts` as `check_ballots` takes them; refuses an
        /// invalid election key or layout (`NativeError`).
        #[new]
        fn new(
            py: Python<'_>,
            fingerprint: &[u8],
            public_key: &[u8],
            layouts: Vec<(Vec<u64>, u64, u64, bool)>,
        ) -> PyResult<Self> {
            let (fingerprint, public_key) = (fingerprint.to_vec(), public_key.to_vec());
            py.allow_threads(|| {
                guarded("BodyChecker", || {
                    let key = |x: &[u8], what: &str| -> Result<[u8; 32], String> {
                        x.try_into()
                            .map_err(|_| format!("{what}: expected 32 bytes"))
                    };
                    let counts = layouts
                        .iter()
                        .map(|(weights, lo, hi, sum)| {
                            let branches =
                                usize::try_from(hi.saturating_sub(*lo)).map_or(0, |n| n + 1);
                            (weights.len(), sum.then_some(branches))
                        })
                        .collect();
                    let election = Election::cached(
                        key(&fingerprint, "fingerprint")?,
                        key(&public_key, "public key")?,
                        QuestionLayout::from_tuples(layouts),
                    )?;
                    Ok(BodyChecker { election, counts })
                })
            })
        }

        /// `check(bodies, roll)`: per body, `(tracking code as 64 hex digits, the ballot event's canonical
        /// line)` if accepted, `False` if read but not accepted, `None` if not read (`board.rs`). `roll`: any
        /// container of the credentials' 32-byte keys (`in`), or `None` not to require the roll.
        #[pyo3(signature = (bodies, roll))]
        fn check<'py>(
            &self,
            py: Python<'py>,
            bodies: Vec<PyBackedBytes>,
            roll: Option<Bound<'py, PyAny>>,
        ) -> PyResult<Vec<PyObject>> {
            let read = py.allow_threads(|| {
                guarded("BodyChecker.check", || {
                    let views: Vec<&[u8]> = bodies.iter().map(|b| &b[..]).collect();
                    Ok(super::read(&views, &self.counts))
                })
            })?;
            let mut eligible = Vec::with_capacity(read.len());
            for found in &read {
                eligible.push(match found {
                    Some((_, ballot)) if ballot.election == self.election.fingerprint => {
                        match &roll {
                            Some(roll) => roll.contains(PyBytes::new(py, &ballot.credential))?,
                            None => true,
                        }
                    }
                    _ => false,
                });
            }
            let answers = py.allow_threads(|| {
                guarded("BodyChecker.check", || {
                    super::check(&self.election, read, &eligible)
                })
            })?;
            answers
                .into_iter()
                .map(|answer| {
                    Ok(match answer {
                        Answer::Unread => py.None(),
                        Answer::Refused => PyBool::new(py, false).to_owned().into_any().unbind(),
                        Answer::Accepted(code, line) => PyTuple::new(
                            py,
                            [
                                PyString::new(py, &hex(&code)).into_any(),
                                PyBytes::new(py, &line).into_any(),
                            ],
                        )?
                        .into_any()
                        .unbind(),
                    })
                })
                .collect()
        }
    }
}
