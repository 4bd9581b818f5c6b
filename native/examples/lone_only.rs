//! `ballot::check_lone` alone, for a profiler (`perf record ./target/release/examples/lone_only FILE`).
use plebiscite_native::ballot::{self, Election, QuestionLayout};

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

fn main() {
    let text = std::fs::read_to_string(std::env::args().nth(1).expect("FILE")).expect("read");
    let mut lines = text.lines();
    let fingerprint: [u8; 32] = unhex(lines.next().unwrap()).try_into().unwrap();
    let key: [u8; 32] = unhex(lines.next().unwrap()).try_into().unwrap();
    let ballots: Vec<(Vec<u8>, Vec<u8>)> = lines
        .map(|l| {
            let (c, s) = l.split_once(' ').unwrap();
            (unhex(c), unhex(s))
        })
        .collect();
    let layouts = vec![QuestionLayout { weights: vec![1], lo: 0, hi: 1, sum_proof: false }];
    let election = Election::cached(fingerprint, key, layouts).unwrap();
    for _ in 0..20 {
        for (c, s) in &ballots {
            assert_eq!(ballot::check_lone(&election, c, s).unwrap() as u8, 0);
        }
    }
}
