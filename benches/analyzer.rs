//! The analyzer's cost on one request's input (`cargo bench --bench
//! analyzer`): f64 and i32 arrays of 1 Ki, 100 Ki and 1 Mi elements, the
//! characteristic vector a request pays for on every hit.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::path::PathBuf;
use tailor::analyze;
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
    for len in [1usize << 10, 100 << 10, 1 << 20] {
        let f: Vec<f64> = (0..len).map(|_| rng.next_f64()).collect();
        let i: Vec<i32> = (0..len).map(|_| (rng.next_f64() * 1000.0) as i32).collect();
        let inputs = [
            ("f64", input(Buffer::from_view(ArrayView::F64(&f)), len)),
            ("i32", input(Buffer::from_view(ArrayView::I32(&i)), len)),
        ];
        for (ty, inp) in &inputs {
            group.throughput(Throughput::Elements(len as u64));
            group.bench_with_input(BenchmarkId::new(*ty, len), inp, |b, inp| {
                b.iter(|| black_box(analyze::analyze(black_box(inp))))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, analyzer);
criterion_main!(benches);
