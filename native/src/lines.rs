//! A standard ballot's record line, read straight into its signed bytes (the verifier's hot path).
//!
//! An event line is canonical JSON (keys sorted, compact, lowercase hex), so a standard ballot's line has exactly
//! one spelling for a given ballot of a given layout:
//!
//! ```text
//! {"payload":{"answers":[ANSWER,…],"credential":"H","election":"H","signature":"HH"},"type":"ballot"}
//! ANSWER = {"choices":[["H","H"],…],"proofs":[PROOF,…],"sum_proof":PROOF or null}
//! PROOF  = {"A":["H",…],"B":["H",…],"c":["H",…],"z":["H",…]}
//! ```
//!
//! with `H` 64 lowercase hex digits (`HH` 128) and every count the layout's. [`read`] accepts a line only if it
//! is exactly that, and then returns what the Python path (`record.store.parse_event`, then
//! `native/ballot_bytes.signed_bytes` and `tracking_code`) computes from it: the ballot bytes of docs/protocol.md
//! §7, the signature, the election fingerprint, the credential and the tracking code. Any other line gives `None`
//! and takes the Python path, which accepts or names its fault — so nothing is decided here that Python would
//! decide differently: a line this accepts is canonical JSON of a well-formed ballot, which Python parses alike.

use sha2::{Digest, Sha256};

use crate::ballot::BALLOT_TAG;

pub const TRACKING_TAG: &[u8] = b"plebiscite/v1/tracking-code";

/// Per question: the number of options and, with a sum proof, its number of branches (`branch_counts`).
pub type Counts = [(usize, Option<usize>)];

/// What a line holds, as the Python path computes it.
pub struct BallotLine {
    pub content: Vec<u8>,
    pub signature: [u8; 64],
    pub election: [u8; 32],
    pub credential: [u8; 32],
    /// SHA-256 of `frame(TRACKING_TAG, content, signature)`.
    pub tracking_code: [u8; 32],
}

struct Cursor<'a> {
    line: &'a [u8],
    pos: usize,
}

/// Each byte's value as a lowercase hex digit, or 0xff.
static NIBBLE: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut d = 0;
    while d < 10 {
        table[b'0' as usize + d] = d as u8;
        d += 1;
    }
    while d < 16 {
        table[b'a' as usize + d - 10] = d as u8;
        d += 1;
    }
    table
};

impl Cursor<'_> {
    fn expect(&mut self, text: &[u8]) -> Option<()> {
        let end = self.pos.checked_add(text.len())?;
        (self.line.get(self.pos..end)? == text).then(|| self.pos = end)
    }

    /// `"` + `2N` lowercase hex digits + `"`, decoded into `out`.
    fn hex<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.expect(b"\"")?;
        let digits = self.line.get(self.pos..self.pos.checked_add(2 * N)?)?;
        let mut out = [0u8; N];
        let mut bad = 0u8;
        for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
            let (high, low) = (NIBBLE[usize::from(pair[0])], NIBBLE[usize::from(pair[1])]);
            bad |= high | low;
            *byte = high << 4 | low;
        }
        if bad & 0xf0 != 0 {
            return None;
        }
        self.pos += 2 * N;
        self.expect(b"\"")?;
        Some(out)
    }

    /// `[x,x,…]` with exactly `n` items, each read by `item`.
    fn list(&mut self, n: usize, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.expect(b"[")?;
        for i in 0..n {
            if i > 0 {
                self.expect(b",")?;
            }
            item(self)?;
        }
        self.expect(b"]")
    }
}

fn part(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// A proof of `n` branches: the JSON's columns, written branch by branch (`A_j, B_j, c_j, z_j`) after the count.
fn proof(c: &mut Cursor, n: usize, out: &mut Vec<u8>) -> Option<()> {
    let mut columns: [Vec<[u8; 32]>; 4] = Default::default();
    for (key, column) in [b"{\"A\":", b",\"B\":", b",\"c\":", b",\"z\":"]
        .iter()
        .zip(columns.iter_mut())
    {
        c.expect(&key[..])?;
        c.list(n, |c| {
            column.push(c.hex::<32>()?);
            Some(())
        })?;
    }
    c.expect(b"}")?;
    part(out, &(n as u64).to_be_bytes());
    for j in 0..n {
        for column in &columns {
            part(out, &column[j]);
        }
    }
    Some(())
}

/// The line's ballot, if the line is exactly a standard ballot event of this layout (see the module's doc).
pub fn read(line: &[u8], counts: &Counts) -> Option<BallotLine> {
    let mut c = Cursor { line, pos: 0 };
    let mut answers = Vec::with_capacity(line.len() / 2);
    c.expect(b"{\"payload\":{\"answers\":")?;
    let mut questions = counts.iter();
    c.list(counts.len(), |c| {
        let &(width, sum) = questions.next()?;
        c.expect(b"{\"choices\":")?;
        part(&mut answers, &(width as u64).to_be_bytes());
        c.list(width, |c| {
            c.expect(b"[")?;
            part(&mut answers, &c.hex::<32>()?);
            c.expect(b",")?;
            part(&mut answers, &c.hex::<32>()?);
            c.expect(b"]")
        })?;
        c.expect(b",\"proofs\":")?;
        c.list(width, |c| proof(c, 2, &mut answers))?;
        c.expect(b",\"sum_proof\":")?;
        match sum {
            Some(n) => {
                proof(c, n, &mut answers)?;
                part(&mut answers, &[1]);
            }
            None => {
                c.expect(b"null")?;
                part(&mut answers, &[0]);
            }
        }
        c.expect(b"}")
    })?;
    c.expect(b",\"credential\":")?;
    let credential = c.hex::<32>()?;
    c.expect(b",\"election\":")?;
    let election = c.hex::<32>()?;
    c.expect(b",\"signature\":")?;
    let signature = c.hex::<64>()?;
    c.expect(b"},\"type\":\"ballot\"}")?;
    if c.pos != line.len() {
        return None;
    }
    let mut content = Vec::with_capacity(answers.len() + 128);
    part(&mut content, BALLOT_TAG);
    part(&mut content, &election);
    part(&mut content, &credential);
    part(&mut content, &(counts.len() as u64).to_be_bytes());
    content.extend_from_slice(&answers);
    let mut h = Sha256::new();
    for piece in [TRACKING_TAG, &content[..], &signature[..]] {
        h.update((piece.len() as u64).to_be_bytes());
        h.update(piece);
    }
    Some(BallotLine {
        content,
        signature,
        election,
        credential,
        tracking_code: h.finalize().into(),
    })
}

/// Whether a ballot event's line spells its hex as the board writes it: the verifier's check 1
/// (`verify/scan.py`, `in_normal_form`), exactly: no space, and no capital once every `"A":` and then every `"B":`
/// is removed (Python's `bytes.replace`: left to right, non-overlapping). Any line, canonical or not.
pub fn in_normal_form(line: &[u8]) -> bool {
    // Fast and exact: when every capital is the letter of a `"A":` or `"B":` key, removing the keys removes every
    // capital (two such keys never overlap, so each is found and removed whole, whatever the order). Otherwise —
    // a line the verifier will refuse anyway — the rule as stated decides.
    let key_letter = |i: usize| {
        (line[i] == b'A' || line[i] == b'B')
            && i >= 1
            && line[i - 1] == b'"'
            && line.get(i + 1..i + 3) == Some(&b"\":"[..])
    };
    // 32 bytes at a time, without an early exit inside a block (so the compiler vectorises the scan)
    for (block, bytes) in line.chunks(32).enumerate() {
        let (space, capital) = bytes.iter().fold((false, false), |(s, c), &b| {
            (s | (b == b' '), c | b.is_ascii_uppercase())
        });
        if space {
            return false;
        }
        if capital {
            for (j, b) in bytes.iter().enumerate() {
                if b.is_ascii_uppercase() && !key_letter(32 * block + j) {
                    return by_definition(line);
                }
            }
        }
    }
    true
}

/// The rule as stated: no space, and no capital once every `"A":` and then every `"B":` is removed.
fn by_definition(line: &[u8]) -> bool {
    if line.contains(&b' ') {
        return false;
    }
    let keys_aside = remove_all(&remove_all(line, b"\"A\":"), b"\"B\":");
    !keys_aside.iter().any(u8::is_ascii_uppercase)
}

/// `text` without the occurrences of `pattern`, found left to right without overlapping (`bytes.replace(p, b"")`).
fn remove_all(text: &[u8], pattern: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i..].starts_with(pattern) {
            i += pattern.len();
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(n: usize, byte: u8) -> String {
        format!("\"{}\"", format!("{byte:02x}").repeat(n))
    }

    fn proof_json(n: usize) -> String {
        let col = |b: u8| format!("[{}]", vec![h(32, b); n].join(","));
        format!(
            "{{\"A\":{},\"B\":{},\"c\":{},\"z\":{}}}",
            col(1),
            col(2),
            col(3),
            col(4)
        )
    }

    fn line(sum: Option<usize>) -> String {
        let sum_json = sum.map_or("null".to_string(), proof_json);
        format!(
            "{{\"payload\":{{\"answers\":[{{\"choices\":[[{},{}]],\"proofs\":[{}],\"sum_proof\":{}}}],\
             \"credential\":{},\"election\":{},\"signature\":{}}},\"type\":\"ballot\"}}",
            h(32, 0xa),
            h(32, 0xb),
            proof_json(2),
            sum_json,
            h(32, 0xc),
            h(32, 0xe),
            h(64, 0x5)
        )
    }

    #[test]
    fn a_canonical_line_gives_its_ballot_bytes() {
        let got = read(line(None).as_bytes(), &[(1, None)]).expect("canonical");
        assert_eq!(got.credential, [0xc; 32]);
        assert_eq!(got.election, [0xe; 32]);
        assert_eq!(got.signature, [0x5; 64]);
        // tag, election, credential, count; width, a, b; proof count, 2 × (A, B, c, z); flag
        assert_eq!(
            got.content.len(),
            28 + 40 + 40 + 16 + 16 + 80 + 16 + 2 * 160 + 9
        );
        assert_eq!(got.content[got.content.len() - 1], 0);
        let with_sum = read(line(Some(2)).as_bytes(), &[(1, Some(2))]).expect("canonical");
        assert_eq!(with_sum.content[with_sum.content.len() - 1], 1);
    }

    #[test]
    fn anything_else_is_left_to_python() {
        let good = line(None);
        assert!(read(good.as_bytes(), &[(1, Some(2))]).is_none()); // another layout
        assert!(read(good.as_bytes(), &[(2, None)]).is_none());
        assert!(read(good.as_bytes(), &[]).is_none());
        for (from, to) in [
            ("0a", "0A"),            // uppercase hex
            ("\"ballot\"", "\"x\""), // another type
            (":[[", ": [["),         // a space
            ("\"A\"", "\"a\""),      // another key
        ] {
            assert!(read(good.replacen(from, to, 1).as_bytes(), &[(1, None)]).is_none());
        }
        for cut in [0, 1, 20, good.len() - 1] {
            assert!(read(&good.as_bytes()[..cut], &[(1, None)]).is_none());
        }
        assert!(read(format!("{good} ").as_bytes(), &[(1, None)]).is_none());
        assert!(read(good.replacen("0a0a", "0a", 1).as_bytes(), &[(1, None)]).is_none());
        // short hex
    }

    #[test]
    fn normal_form_is_the_python_rule() {
        let canonical = line(None);
        assert!(in_normal_form(canonical.as_bytes()));
        assert!(!in_normal_form(
            canonical.replacen("\":\"", "\": \"", 1).as_bytes()
        ));
        let upper = canonical.replacen("11", "1F", 1).to_uppercase();
        assert!(!in_normal_form(upper.as_bytes()));
        assert!(!in_normal_form(b"\"C\":"));
        assert!(in_normal_form(b"\"A\":\"B\":x"));
        // removing "A": first joins a "B": that Python's second replace then removes: normal
        assert!(in_normal_form(b"\"B\"A\":\":"));
        // "B" removed first would join an "A": — Python removes "A": first, so a B stays: not normal
        assert!(!in_normal_form(b"\"A\"B\":\":"));
        assert!(in_normal_form(b""));
        for text in [
            &b"\"A\":\"B\":"[..],
            b"\"A\"",
            b"A\":",
            b"x\"B\":\"A\"B\":\":",
            b"\"AB\":",
            b"\"A\":\"C\":",
        ] {
            assert_eq!(in_normal_form(text), by_definition(text), "{text:?}");
        }
    }
}
