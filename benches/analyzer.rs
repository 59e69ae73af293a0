//! The analyzer's cost on one request's input (`cargo bench --bench
//! analyzer`): f64, f32 and i32 arrays of 1 Ki, 64 Ki (the largest read
//! whole), 100 Ki and 1 Mi elements, as the engine analyzes on every
//! request (no distinct counting unless a profile reads it) and with
//! distinct counting.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::path::PathBuf;
use tailor::analyze::{self, Analyzer};
use tailor::input::{Arg, ArrayView, Buffer, Input, Rng, Role, Scalar, Value};

fn input(array: Buffer, n: usize) -> Input {
    Input {
        spec: PathBuf::from("bench"),
        args: vec![
            Arg {
                name: "a".into(),
                role: Role::In,
                value: Value::Array(array),
            },
            Arg {
                name: "n".into(),
                role: Role::In,
                value: Value::Scalar(Scalar::I64(n as i64)),
            },
        ],
    }
}

fn analyzer(c: &mut Criterion) {
    let mut group = c.benchmark_group("analyze");
    let mut rng = Rng::new(7);
    let engine = Analyzer {
        distinct: false,
        ..Analyzer::default()
    };
    for len in [1usize << 10, 1 << 16, 100 << 10, 1 << 20] {
        let f: Vec<f64> = (0..len).map(|_| rng.next_f64()).collect();
        let g: Vec<f32> = f.iter().map(|&x| x as f32 - 0.5).collect();
        let i: Vec<i32> = (0..len).map(|_| (rng.next_f64() * 1000.0) as i32).collect();
        let inputs = [
            ("f64", input(Buffer::from_view(ArrayView::F64(&f)), len)),
            ("f32", input(Buffer::from_view(ArrayView::F32(&g)), len)),
            ("i32", input(Buffer::from_view(ArrayView::I32(&i)), len)),
        ];
        group.throughput(Throughput::Elements(len as u64));
        for (ty, inp) in &inputs {
            group.bench_with_input(
                BenchmarkId::new(format!("{ty} request"), len),
                inp,
                |b, inp| b.iter(|| black_box(engine.analyze(black_box(inp)))),
            );
            group.bench_with_input(
                BenchmarkId::new(format!("{ty} distinct"), len),
                inp,
                |b, inp| b.iter(|| black_box(analyze::analyze(black_box(inp)))),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, analyzer);
criterion_main!(benches);
