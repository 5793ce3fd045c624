/* gemm.c — sgemm through OpenBLAS, and the plain-C reference. */
#include <cblas.h>

#include "gemm.h"

void
htr_sgemm(int transa, int transb, int M, int N, int K, float alpha,
    const float *A, int lda, const float *B, int ldb, float beta,
    float *C, int ldc)
{
	if (M <= 0 || N <= 0)
		return;
	if (K <= 0) {
		/* BLAS would scale C by beta; do the same without a call */
		for (int i = 0; i < M; i++)
			for (int j = 0; j < N; j++)
				C[(size_t)i * ldc + j] = beta == 0 ? 0 :
				    beta * C[(size_t)i * ldc + j];
		return;
	}
	cblas_sgemm(CblasRowMajor, transa ? CblasTrans : CblasNoTrans,
	    transb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda,
	    B, ldb, beta, C, ldc);
}

void
htr_sgemm_ref(int transa, int transb, int M, int N, int K, float alpha,
    const float *A, int lda, const float *B, int ldb, float beta,
    float *C, int ldc)
{
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			double s = 0;
			for (int k = 0; k < K; k++) {
				float a = transa ? A[(size_t)k * lda + i] :
				    A[(size_t)i * lda + k];
				float b = transb ? B[(size_t)j * ldb + k] :
				    B[(size_t)k * ldb + j];
				s += (double)a * b;
			}
			float *c = &C[(size_t)i * ldc + j];
			*c = beta == 0 ? (float)(alpha * s) :
			    (float)(alpha * s + (double)beta * *c);
		}
}
