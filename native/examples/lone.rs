//! Where a lone yes/no ballot's native check goes (`cargo run --release --example lone -- FILE`; FILE: the
//! fingerprint, the election key, then `content signature` per line, all hex, as `bench/board_check.py
//! --breakdown` writes it). Prints per-stage µs a ballot, each stage timed over every ballot of the file.
use std::time::Instant;

use curve25519_dalek::ristretto::CompressedRistretto;
use plebiscite_native::ballot::{self, Election, QuestionLayout};
use plebiscite_native::{ballot_signature, batch, check_chunk};

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn main() {
    let path = std::env::args().nth(1).expect("FILE");
    let text = std::fs::read_to_string(path).expect("read");
    let mut lines = text.lines();
    let fingerprint: [u8; 32] = unhex(lines.next().unwrap()).try_into().unwrap();
    let key: [u8; 32] = unhex(lines.next().unwrap()).try_into().unwrap();
    let ballots: Vec<(Vec<u8>, Vec<u8>)> = lines
        .map(|l| {
            let (c, s) = l.split_once(' ').unwrap();
            (unhex(c), unhex(s))
        })
        .collect();
    let layouts = vec![QuestionLayout {
        weights: vec![1],
        lo: 0,
        hi: 1,
        sum_proof: false,
    }];
    let election = Election::cached(fingerprint, key, layouts).unwrap();
    // per ballot and stage, one timing; the median over all of them (the machine is shared: medians, not means)
    let rounds = 20;
    let mut stages: Vec<(&str, Vec<f64>)> = Vec::new();
    let mut record = |name: &'static str, t: Instant| {
        let us = t.elapsed().as_secs_f64() * 1e6;
        match stages.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => v.push(us),
            None => stages.push((name, vec![us])),
        }
    };
    for _ in 0..rounds {
        for (c, s) in &ballots {
            let t = Instant::now();
            let out = check_chunk(&election, &[(c, s)]).unwrap();
            record("check_chunk, one ballot a call", t);
            assert_eq!(out.statuses[0] as u8, 0);
            let t = Instant::now();
            for (a, b) in out.sums.iter().flatten() {
                std::hint::black_box((a.compress(), b.compress()));
            }
            record("  (after it, python.rs: encoding the sums)", t);
            let t = Instant::now();
            let checked = ballot::check(&election, c, s).ok().unwrap();
            record("ballot::check (decode, challenges)", t);
            let t = Instant::now();
            let cred: [u8; 32] = c[76..108].try_into().unwrap();
            let sig: &[u8; 64] = s[..].try_into().unwrap();
            assert!(ballot_signature::signature_statement(&fingerprint, &cred, c, sig).is_some());
            record("  ballot_signature::signature_statement", t);
            let t = Instant::now();
            // the ballot bytes' elements: a, b, then A_0, B_0, A_1, B_1 (after their 8-byte length prefixes)
            for at in [148usize, 188, 244, 284, 404, 444] {
                let raw: [u8; 32] = c[at..at + 32].try_into().unwrap();
                assert!(CompressedRistretto(raw).decompress().is_some());
            }
            record("  6 ristretto decodings", t);
            let t = Instant::now();
            assert!(batch::holds(&election.bases, &[checked]).unwrap());
            record("batch::holds (signature's and proofs' equations)", t);
        }
    }
    for (name, mut v) in stages {
        v.sort_by(|x, y| x.partial_cmp(y).unwrap());
        println!("{name:44} {:7.2} us (p50)", v[v.len() / 2]);
    }
}
