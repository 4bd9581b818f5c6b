//! Where a lone yes/no ballot's native check goes (`cargo run --release --example lone -- FILE`; FILE: the
//! fingerprint, the election key, then `content signature` per line, all hex, as `bench/board_check.py
//! --breakdown` writes it). Prints per-stage µs a ballot, each stage timed over every ballot of the file.
use std::time::Instant;

use curve25519_dalek::ristretto::CompressedRistretto;
use plebiscite_native::ballot::{self, Election, QuestionLayout};
use plebiscite_native::{batch, check_chunk, signature};

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
    let election = Election::cached(fingerprint, key, layouts.clone()).unwrap();
    let rounds = 20;
    let n = (rounds * ballots.len()) as f64;
    let time = |name: &str, f: &mut dyn FnMut(&[u8], &[u8])| {
        let t = Instant::now();
        for _ in 0..rounds {
            for (c, s) in &ballots {
                f(c, s);
            }
        }
        println!("{name:44} {:7.2} us", t.elapsed().as_secs_f64() * 1e6 / n);
    };
    time("check_chunk, one ballot a call", &mut |c, s| {
        let out = check_chunk(&election, &[(c, s)]).unwrap();
        assert_eq!(out.statuses[0] as u8, 0);
    });
    time("Election::cached", &mut |_, _| {
        Election::cached(fingerprint, key, layouts.clone()).unwrap();
    });
    time("ballot::check (decode, Ed25519, challenge)", &mut |c, s| {
        assert!(ballot::check(&election, c, s).is_ok());
    });
    time("  signature::verify", &mut |c, s| {
        let cred: [u8; 32] = c[76..108].try_into().unwrap();
        assert!(signature::verify(&cred, c, s.try_into().unwrap()));
    });
    time("  6 ristretto decodings", &mut |c, _| {
        // the ballot bytes' elements: a, b, then A_0, B_0, A_1, B_1 (offsets after the 8-byte length prefixes)
        for at in [148usize, 188, 244, 284, 404, 444] {
            let raw: [u8; 32] = c[at..at + 32].try_into().unwrap();
            assert!(CompressedRistretto(raw).decompress().is_some());
        }
    });
    let checked: Vec<_> = ballots
        .iter()
        .map(|(c, s)| ballot::check(&election, c, s).ok().unwrap())
        .collect();
    let t = Instant::now();
    for _ in 0..rounds {
        for c in &checked {
            assert!(batch::holds(&election.bases, &[c.statements.as_slice()]).unwrap());
        }
    }
    println!(
        "{:44} {:7.2} us",
        "batch::holds (the proofs' equations)",
        t.elapsed().as_secs_f64() * 1e6 / n
    );
}
