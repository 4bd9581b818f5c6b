//! The verifier's first pass over `events.jsonl`, a block of whole lines at a time (`verify/scan_native.py`):
//! the lines cut, each line's RFC 9162 Merkle leaf appended to a compact range (the roots at the sizes the board's
//! signed heads name, check 18), the standard ballots' lines told apart by their last bytes
//! (`record/stream.is_ballot_line`), hashed into the ballot digest (`verify/scan.BallotDigest`: SHA-256 over
//! `u64be(index) ‖ u64be(len) ‖ line`) and checked for the board's normal form (`lines::in_normal_form`, check 1).
//!
//! It parses nothing: every other line goes back to Python, which parses it, and the ballot lines go to the
//! workers, which read them in full (`lines::read`). The Python twin is `verify/scan.scan_lines` with
//! `verify/heads.HeadsStream`; the tests hold the two to the same roots, digest and lines.

use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// `,"type":"ballot"}`: how a canonical standard ballot event's line ends (`record/stream.BALLOT_SUFFIX`).
pub const BALLOT_SUFFIX: &[u8] = b",\"type\":\"ballot\"}";

/// What one block gave: every line that is not a standard ballot, the ballot lines, the ballots not in normal
/// form — each with its index in the record.
#[derive(Default, Debug)]
pub struct Block<'a> {
    pub others: Vec<(u64, &'a [u8])>,
    pub ballots: Vec<(u64, &'a [u8])>,
    pub not_normal: Vec<u64>,
}

/// A root of the record's first `size` lines: `(size, root)`.
pub type Root = (u64, [u8; 32]);

/// The running state of the first pass: lines seen, the Merkle frontier, the ballot digest, the wanted roots.
pub struct Scanner {
    size: u64,
    frontier: Vec<[u8; 32]>,
    digest: Sha256,
    merkle: bool,
    wanted: BTreeSet<u64>,
    roots: Vec<Root>,
}

fn leaf_hash(line: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(line);
    h.finalize().into()
}

fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

impl Scanner {
    /// `wanted`: the tree sizes whose root is asked for (`None`: no Merkle tree at all — a record without usable
    /// heads).
    pub fn new(wanted: Option<Vec<u64>>) -> Scanner {
        Scanner {
            size: 0,
            frontier: Vec::new(),
            digest: Sha256::new(),
            merkle: wanted.is_some(),
            wanted: wanted.unwrap_or_default().into_iter().collect(),
            roots: Vec::new(),
        }
    }

    /// The root of the lines seen so far (`merkle/compact.CompactRange.root`: the frontier folded right to left).
    pub fn root(&self) -> [u8; 32] {
        match self.frontier.split_last() {
            None => Sha256::digest(b"").into(),
            Some((last, rest)) => rest.iter().rev().fold(*last, |acc, h| node_hash(h, &acc)),
        }
    }

    fn note_root(&mut self) {
        if self.merkle && self.wanted.remove(&self.size) {
            let root = self.root();
            self.roots.push((self.size, root));
        }
    }

    fn append(&mut self, line: &[u8]) {
        let mut h = leaf_hash(line);
        let mut index = self.size;
        while index & 1 == 1 {
            let left = self.frontier.pop().expect("a set bit has its subtree");
            h = node_hash(&left, &h);
            index >>= 1;
        }
        self.frontier.push(h);
    }

    /// The lines of `block`, which must be whole lines, each ending with `\n` (the caller cuts blocks there).
    pub fn feed<'a>(&mut self, block: &'a [u8]) -> Result<Block<'a>, String> {
        if !block.is_empty() && block[block.len() - 1] != b'\n' {
            return Err("a block must end with a newline".into());
        }
        let mut out = Block::default();
        let body = block.strip_suffix(b"\n").unwrap_or(block);
        if block.is_empty() {
            return Ok(out);
        }
        for line in body.split(|&c| c == b'\n') {
            let index = self.size;
            if self.merkle {
                self.note_root();
                self.append(line);
            }
            self.size += 1;
            if line.ends_with(BALLOT_SUFFIX) {
                self.digest.update(index.to_be_bytes());
                self.digest.update((line.len() as u64).to_be_bytes());
                self.digest.update(line);
                if !crate::lines::in_normal_form(line) {
                    out.not_normal.push(index);
                }
                out.ballots.push((index, line));
            } else {
                out.others.push((index, line));
            }
        }
        Ok(out)
    }

    /// The end of the record: its number of lines, the roots at the wanted sizes reached (in increasing size),
    /// and the ballot digest.
    pub fn finish(mut self) -> (u64, Vec<Root>, [u8; 32]) {
        self.note_root();
        let mut roots = self.roots;
        roots.sort();
        (self.size, roots, self.digest.finalize().into())
    }
}

#[cfg(feature = "python")]
pub(crate) mod python {
    use pyo3::prelude::*;
    use pyo3::pybacked::PyBackedBytes;
    use pyo3::types::{PyBytes, PyList, PyTuple};

    type Finished<'py> = (u64, Vec<(u64, Bound<'py, PyBytes>)>, Bound<'py, PyBytes>);

    /// `Scanner` for Python (`verify/scan_native.py`).
    #[pyclass(module = "plebiscite_native")]
    pub struct LineScanner {
        inner: Option<super::Scanner>,
    }

    #[pymethods]
    impl LineScanner {
        #[new]
        #[pyo3(signature = (wanted=None))]
        fn new(wanted: Option<Vec<u64>>) -> Self {
            LineScanner {
                inner: Some(super::Scanner::new(wanted)),
            }
        }

        /// `(others, ballots, not_normal)`: lists of `(index, line)` and of indices.
        fn feed<'py>(
            &mut self,
            py: Python<'py>,
            block: PyBackedBytes,
        ) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyList>, Vec<u64>)> {
            let found = crate::python::guarded("LineScanner.feed", || {
                self.inner.as_mut().ok_or("already finished")?.feed(&block)
            })?;
            let pairs = |items: &[(u64, &[u8])]| -> PyResult<Bound<'py, PyList>> {
                let list = PyList::empty(py);
                for (index, line) in items {
                    list.append(PyTuple::new(
                        py,
                        [
                            index.into_pyobject(py)?.into_any(),
                            PyBytes::new(py, line).into_any(),
                        ],
                    )?)?;
                }
                Ok(list)
            };
            Ok((
                pairs(&found.others)?,
                pairs(&found.ballots)?,
                found.not_normal,
            ))
        }

        /// `(lines, [(size, root)], ballot digest)`; the scanner cannot be fed after this.
        fn finish<'py>(&mut self, py: Python<'py>) -> PyResult<Finished<'py>> {
            let (size, roots, digest) = crate::python::guarded("LineScanner.finish", || {
                Ok(self.inner.take().ok_or("already finished")?.finish())
            })?;
            let roots = roots
                .into_iter()
                .map(|(s, r)| (s, PyBytes::new(py, &r)))
                .collect();
            Ok((size, roots, PyBytes::new(py, &digest)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_sorted_and_roots_match_a_tree_built_by_hand() {
        let block = b"{\"a\":1}\n{\"payload\":{},\"type\":\"ballot\"}\n{\"b\":2}\n";
        let mut s = Scanner::new(Some(vec![0, 1, 2, 3, 9]));
        let found = s.feed(block).unwrap();
        assert_eq!(found.others.len(), 2);
        assert_eq!(
            found.ballots,
            vec![(1, &b"{\"payload\":{},\"type\":\"ballot\"}"[..])]
        );
        let (size, roots, _) = s.finish();
        assert_eq!(size, 3);
        let leaves: Vec<[u8; 32]> = block[..block.len() - 1]
            .split(|&c| c == b'\n')
            .map(leaf_hash)
            .collect();
        let three = node_hash(&node_hash(&leaves[0], &leaves[1]), &leaves[2]);
        assert_eq!(
            roots.iter().map(|r| r.0).collect::<Vec<_>>(),
            vec![0, 1, 2, 3]
        );
        assert_eq!(roots[1].1, leaves[0]);
        assert_eq!(roots[2].1, node_hash(&leaves[0], &leaves[1]));
        assert_eq!(roots[3].1, three);
    }

    #[test]
    fn a_block_must_end_with_a_newline() {
        assert!(Scanner::new(None).feed(b"{}").is_err());
    }
}
