/* Digit Studio's fused training loop: every step of an epoch (or of a chunk of one) in one call.
 *
 * The model is one Linear(784 -> 10). Per step: forward z = W x + b for each digit of the batch,
 * the loss and its gradient dz in closed form, dW += dz x^T, then the optimizer step (SGD,
 * SGD with momentum or Adam, torch.optim's formulas, L2 weight decay added to the gradient).
 *
 * MNIST digits are ~80 % zero pixels, so each image is read once as a list of its non-zero
 * pixels, and both the forward pass and the gradient only touch those: a quarter of the work of
 * a dense matrix product, with the same sums. The weights are held pixel-major, 16 floats per
 * pixel (ten classes and six zeros), so one pixel's ten weights are two AVX vectors.
 *
 * Plain C, no Python or torch headers: it compiles in about a second (train/fused.py builds it
 * with the system compiler at first use and caches the library). Re-entrant: every call keeps
 * its own buffers, so trainings in several threads never share state. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __AVX2__
#include <immintrin.h>
#endif

#define NP 784 /* pixels */
#define NC 10  /* classes */
#define LD 16  /* floats per pixel row: ten classes, padded */
#define NROW (NP + 1) /* the bias is row NP, a pixel that is always 1 */
#define NPAR (NROW * LD)

enum { SOFTMAX = 0, TUTORIAL_SIGMOID = 1, ONE_VS_REST = 2 };
enum { SGD = 0, SGD_MOMENTUM = 1, ADAM = 2 };

int ds_version(void) { return 2; }

/* The non-zero pixels of one image as (index, value in [0,1]); the bias comes last, value 1. */
static int nonzeros_u8(const uint8_t *p, const float *lut, uint16_t *idx, float *val) {
    int n = 0, k = 0;
#ifdef __AVX2__
    const __m256i zero = _mm256_setzero_si256();
    for (; k + 32 <= NP; k += 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(p + k));
        uint32_t m = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, zero));
        while (m) {
            int j = __builtin_ctz(m);
            idx[n] = (uint16_t)(k + j);
            val[n++] = lut[p[k + j]];
            m &= m - 1;
        }
    }
#endif
    for (; k < NP; k++) {
        idx[n] = (uint16_t)k;
        val[n] = lut[p[k]];
        n += p[k] != 0;
    }
    idx[n] = NP;
    val[n++] = 1.0f;
    return n;
}

static int nonzeros_f32(const float *p, uint16_t *idx, float *val) {
    int n = 0;
    for (int k = 0; k < NP; k++) {
        idx[n] = (uint16_t)k;
        val[n] = p[k];
        n += p[k] != 0.0f || p[k] != p[k]; /* keep NaN: it must poison the loss, not vanish */
    }
    idx[n] = NP;
    val[n++] = 1.0f;
    return n;
}

static int row_nonzeros(const void *x, int x_float, int64_t r, const float *lut, uint16_t *idx, float *val) {
    if (x_float) return nonzeros_f32((const float *)x + r * NP, idx, val);
    return nonzeros_u8((const uint8_t *)x + r * NP, lut, idx, val);
}

/* z = sum of value x weight row over the listed pixels (the bias row among them). */
static void forward(const float *P, const uint16_t *idx, const float *val, int n, float *z) {
#ifdef __AVX2__
    /* Four independent sums: one chain of dependent FMAs would wait on each one's latency. */
    __m256 a[8];
    for (int q = 0; q < 8; q++) a[q] = _mm256_setzero_ps();
    int j = 0;
    for (; j + 4 <= n; j += 4)
        for (int u = 0; u < 4; u++) {
            const float *w = P + (size_t)idx[j + u] * LD;
            const __m256 v = _mm256_set1_ps(val[j + u]);
            a[2 * u] = _mm256_fmadd_ps(v, _mm256_loadu_ps(w), a[2 * u]);
            a[2 * u + 1] = _mm256_fmadd_ps(v, _mm256_loadu_ps(w + 8), a[2 * u + 1]);
        }
    for (; j < n; j++) {
        const float *w = P + (size_t)idx[j] * LD;
        const __m256 v = _mm256_set1_ps(val[j]);
        a[0] = _mm256_fmadd_ps(v, _mm256_loadu_ps(w), a[0]);
        a[1] = _mm256_fmadd_ps(v, _mm256_loadu_ps(w + 8), a[1]);
    }
    _mm256_storeu_ps(z, _mm256_add_ps(_mm256_add_ps(a[0], a[2]), _mm256_add_ps(a[4], a[6])));
    _mm256_storeu_ps(z + 8, _mm256_add_ps(_mm256_add_ps(a[1], a[3]), _mm256_add_ps(a[5], a[7])));
#else
    float acc[4][LD] = {{0}};
    for (int j = 0; j < n; j++) {
        const float *w = P + (size_t)idx[j] * LD;
        const float v = val[j];
        for (int c = 0; c < LD; c++) acc[j & 3][c] += v * w[c];
    }
    for (int c = 0; c < LD; c++) z[c] = (acc[0][c] + acc[1][c]) + (acc[2][c] + acc[3][c]);
#endif
}

/* G rows += value x dz over the listed pixels. */
static void backward(float *G, const uint16_t *idx, const float *val, int n, const float *dz) {
#ifdef __AVX2__
    const __m256 d0 = _mm256_loadu_ps(dz), d1 = _mm256_loadu_ps(dz + 8);
    for (int j = 0; j < n; j++) {
        float *g = G + (size_t)idx[j] * LD;
        const __m256 v = _mm256_set1_ps(val[j]);
        _mm256_storeu_ps(g, _mm256_fmadd_ps(v, d0, _mm256_loadu_ps(g)));
        _mm256_storeu_ps(g + 8, _mm256_fmadd_ps(v, d1, _mm256_loadu_ps(g + 8)));
    }
#else
    for (int j = 0; j < n; j++) {
        float *g = G + (size_t)idx[j] * LD;
        const float v = val[j];
        for (int c = 0; c < LD; c++) g[c] += v * dz[c];
    }
#endif
}

static void prefetch_row(const void *x, int x_float, int64_t r) {
    const char *p = (const char *)x + r * NP * (x_float ? 4 : 1);
    for (int k = 0; k < NP * (x_float ? 4 : 1); k += 64) __builtin_prefetch(p + k);
}

static float sigmoidf(float z) { return 1.0f / (1.0f + expf(-z)); }

/* Loss of one digit; dz (unscaled by the batch size) if dz is not NULL. */
static double loss_and_dz(int kind, const float *z, int64_t y, float *dz) {
    float s[NC], e[NC];
    const float *a = z;
    if (kind == ONE_VS_REST) {
        double loss = 0;
        for (int c = 0; c < NC; c++) {
            float t = c == y ? 1.0f : 0.0f;
            loss += fmaxf(z[c], 0.0f) - z[c] * t + log1pf(expf(-fabsf(z[c])));
            if (dz) dz[c] = sigmoidf(z[c]) - t;
        }
        return loss;
    }
    if (kind == TUTORIAL_SIGMOID) {
        for (int c = 0; c < NC; c++) s[c] = sigmoidf(z[c]);
        a = s;
    }
    float m = a[0];
    for (int c = 1; c < NC; c++) m = fmaxf(m, a[c]);
    float sum = 0;
    for (int c = 0; c < NC; c++) sum += (e[c] = expf(a[c] - m));
    double loss = (double)m + log((double)sum) - a[y];
    if (dz) {
        for (int c = 0; c < NC; c++) dz[c] = e[c] / sum - (c == y ? 1.0f : 0.0f);
        if (kind == TUTORIAL_SIGMOID)
            for (int c = 0; c < NC; c++) dz[c] *= s[c] * (1.0f - s[c]);
    }
    return loss;
}

static void to_pixel_major(float *P, const float *W, const float *b) {
    memset(P, 0, NPAR * sizeof(float));
    if (!W) return;
    for (int c = 0; c < NC; c++) {
        for (int k = 0; k < NP; k++) P[k * LD + c] = W[c * NP + k];
        P[NP * LD + c] = b[c];
    }
}

static void to_class_major(const float *P, float *W, float *b) {
    if (!W) return;
    for (int c = 0; c < NC; c++) {
        for (int k = 0; k < NP; k++) W[c * NP + k] = P[k * LD + c];
        b[c] = P[NP * LD + c];
    }
}

static void make_lut(float *lut) {
    for (int i = 0; i < 256; i++) lut[i] = (float)i / 255.0f; /* exactly uint8 -> float / 255 */
}

/* Train on rows[0..n_rows) of x (uint8 or float32 images, 784 per row) in batches of bs.
 * W (10x784), b (10) are updated in place; m_*, v_* are the optimizer's state (NULL if unused),
 * in the same layout; t0 is the number of steps already taken; decay_steps > 0 decays lr linearly
 * to 0 over that many steps (step t uses lr (1 - (t-1)/decay_steps)). Each step's mean loss goes to
 * losses[]. Returns the number of steps applied: fewer than asked when a loss is not finite
 * (that loss is in losses[returned]; its step is not applied), -1 when out of memory. */
int64_t ds_train(const void *x, int x_float, const int64_t *y, const int64_t *rows, int64_t n_rows, int64_t bs,
                 int kind, int opt, double lr, double wd, double momentum, double beta1, double beta2, double eps,
                 int64_t t0, int64_t decay_steps, float *W, float *b, float *mW, float *mb, float *vW, float *vb, double *losses) {
    float *P = malloc(NPAR * sizeof(float)), *G = malloc(NPAR * sizeof(float));
    float *M = opt != SGD ? malloc(NPAR * sizeof(float)) : NULL;
    float *V = opt == ADAM ? malloc(NPAR * sizeof(float)) : NULL;
    uint16_t *idx = malloc((NP + 1) * sizeof(uint16_t));
    float *val = malloc((NP + 1) * sizeof(float));
    int64_t done = -1;
    if (!P || !G || (opt != SGD && !M) || (opt == ADAM && !V) || !idx || !val) goto out;
    float lut[256], z[LD], dz[LD];
    make_lut(lut);
    to_pixel_major(P, W, b);
    if (M) to_pixel_major(M, mW, mb);
    if (V) to_pixel_major(V, vW, vb);
    const float fwd = (float)wd, fmom = (float)momentum;
    int64_t steps = (n_rows + bs - 1) / bs;
    for (done = 0; done < steps; done++) {
        int64_t lo = done * bs, nb = n_rows - lo < bs ? n_rows - lo : bs;
        memset(G, 0, NPAR * sizeof(float));
        double loss = 0;
        for (int64_t i = lo; i < lo + nb; i++) {
            int64_t r = rows[i];
            if (i + 2 < n_rows) prefetch_row(x, x_float, rows[i + 2]); /* rows come in random order */
            int n = row_nonzeros(x, x_float, r, lut, idx, val);
            forward(P, idx, val, n, z);
            loss += loss_and_dz(kind, z, y[r], dz);
            for (int c = 0; c < NC; c++) dz[c] /= (float)nb; /* the mean over the batch, as (p - y) / N */
            for (int c = NC; c < LD; c++) dz[c] = 0.0f;
            backward(G, idx, val, n, dz);
        }
        loss /= (double)nb;
        losses[done] = loss;
        if (!isfinite(loss)) break;
        if (wd != 0.0)
            for (int i = 0; i < NPAR; i++) G[i] += fwd * P[i];
        int64_t t = t0 + done + 1;
        const double lr_t = decay_steps > 0 ? lr * (1.0 - (double)(t - 1) / (double)decay_steps) : lr;
        const float flr = (float)lr_t;
        if (opt == SGD) {
            for (int i = 0; i < NPAR; i++) P[i] -= flr * G[i];
        } else if (opt == SGD_MOMENTUM) {
            if (t == 1)
                memcpy(M, G, NPAR * sizeof(float));
            else
                for (int i = 0; i < NPAR; i++) M[i] = M[i] * fmom + G[i];
            for (int i = 0; i < NPAR; i++) P[i] -= flr * M[i];
        } else {
            const float a1 = (float)(1.0 - beta1), fb2 = (float)beta2, a2 = (float)(1.0 - beta2);
            const float step = (float)(lr_t / (1.0 - pow(beta1, (double)t)));
            const float bc2 = (float)sqrt(1.0 - pow(beta2, (double)t)), feps = (float)eps;
            for (int i = 0; i < NPAR; i++) {
                float g = G[i];
                M[i] += a1 * (g - M[i]);
                V[i] = V[i] * fb2 + a2 * g * g;
                P[i] -= step * (M[i] / (sqrtf(V[i]) / bc2 + feps));
            }
        }
    }
    to_class_major(P, W, b);
    if (M) to_class_major(M, mW, mb);
    if (V) to_class_major(V, vW, vb);
out:
    free(P), free(G), free(M), free(V), free(idx), free(val);
    return done;
}

/* Sum of losses and number of correct argmax predictions over n images (the test pass). */
int64_t ds_evaluate(const void *x, int x_float, const int64_t *y, int64_t n, int kind, const float *W, const float *b,
                    double *loss_sum) {
    float *P = malloc(NPAR * sizeof(float));
    uint16_t *idx = malloc((NP + 1) * sizeof(uint16_t));
    float *val = malloc((NP + 1) * sizeof(float));
    int64_t correct = -1;
    if (!P || !idx || !val) goto out;
    float lut[256], z[LD];
    make_lut(lut);
    to_pixel_major(P, W, b);
    double total = 0;
    correct = 0;
    for (int64_t r = 0; r < n; r++) {
        int m = row_nonzeros(x, x_float, r, lut, idx, val);
        forward(P, idx, val, m, z);
        total += loss_and_dz(kind, z, y[r], NULL);
        int best = 0;
        for (int c = 1; c < NC; c++)
            if (z[c] > z[best] || (z[c] != z[c] && z[best] == z[best])) best = c; /* first max; NaN wins, as torch */
        correct += best == y[r];
    }
    *loss_sum = total;
out:
    free(P), free(idx), free(val);
    return correct;
}
