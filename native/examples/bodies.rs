//! The board's reading of cast bodies (`cargo run --release --example bodies -- FILE`, FILE: bodies one a line).
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("FILE");
    let data = std::fs::read(path).expect("read");
    let bodies: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    let counts = [(1usize, None)];
    let rounds = 50;
    let n = (rounds * bodies.len()) as f64;
    let t = Instant::now();
    for _ in 0..rounds {
        for b in &bodies {
            std::hint::black_box(plebiscite_native::body::canonical_line(b).unwrap());
        }
    }
    println!(
        "body::canonical_line: {:.2} us",
        t.elapsed().as_secs_f64() * 1e6 / n
    );
    let lines: Vec<Vec<u8>> = bodies
        .iter()
        .map(|b| plebiscite_native::body::canonical_line(b).unwrap())
        .collect();
    let t = Instant::now();
    for _ in 0..rounds {
        for l in &lines {
            std::hint::black_box(plebiscite_native::lines::read(l, &counts).unwrap());
        }
    }
    println!("lines::read: {:.2} us", t.elapsed().as_secs_f64() * 1e6 / n);
}
