/*
 * reduce: folds a[0..n) with a binary operation chosen at run time from a
 * table of functions: 0 = add, 1 = mul, 2 = max, 3 = min. An out-of-range op
 * falls back to add.
 *
 * The call through the table is indirect, so the generic build can neither
 * inline it nor vectorize the loop. Once the request pins `op`, the call
 * becomes a guarded direct call that inlines to a single instruction.
 */
#include <math.h>

typedef double (*binop)(double, double);

static double op_add(double x, double y) { return x + y; }
static double op_mul(double x, double y) { return x * y; }
static double op_max(double x, double y) { return x > y ? x : y; }
static double op_min(double x, double y) { return x < y ? x : y; }

static double (*const ops[])(double, double) = { op_add, op_mul, op_max, op_min };

/* The identity of each operation: the result of folding an empty array. */
static const double identity[] = { 0.0, 1.0, -INFINITY, INFINITY };

#define NOPS ((int)(sizeof(ops) / sizeof(ops[0])))

double reduce(const double *a, long n, int op)
{
    if (op < 0 || op >= NOPS)
        op = 0;
    binop f = ops[op];
    double acc = identity[op];
    for (long i = 0; i < n; i++)
        acc = f(acc, a[i]);
    return acc;
}
