/* gemm.h — single-precision matrix multiply: the OpenBLAS path every layer
 * uses and the plain-C reference the tests compare it with.
 *
 * All matrices are row-major.  op(A) is [M][K]: A itself is [M][lda] (lda >=
 * K) or, with transa, A is [K][lda] (lda >= M) and used transposed; op(B) is
 * [K][N] likewise; C is [M][ldc] (ldc >= N).
 *     C = alpha * op(A) * op(B) + beta * C
 * beta == 0 overwrites C (NaNs in C do not propagate).  OpenBLAS uses all
 * cores unless OPENBLAS_NUM_THREADS says otherwise. */
#ifndef HTR_GEMM_H
#define HTR_GEMM_H

void htr_sgemm(int transa, int transb, int M, int N, int K, float alpha,
    const float *A, int lda, const float *B, int ldb, float beta,
    float *C, int ldc);

/* The same, as a naive triple loop with a double accumulator. */
void htr_sgemm_ref(int transa, int transb, int M, int N, int K, float alpha,
    const float *A, int lda, const float *B, int ldb, float beta,
    float *C, int ldc);

#endif
