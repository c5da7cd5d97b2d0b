package io.vq4j.ops.cpu;

/** CPU twin of cuda/optim.cu's optim_adam_f32: the same per-element arithmetic, in the same order. */
public final class AdamCpu {
    private AdamCpu() {}

    /** One Adam/AdamW step over all elements, in place on p, m and v (see cuda/optim.cu). */
    public static void step(float[] p, float[] g, float[] m, float[] v, float lr, float b1, float b2, float eps,
                            float wd, boolean decoupled, long t) {
        double bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
        float stepSize = (float) (lr / bc1), invSqrtBc2 = (float) (1 / Math.sqrt(bc2));
        Parallel.forRange(p.length, 1 << 15, (from, to) -> {
            for (int i = from; i < to; i++) {
                float pi = p[i], gi = g[i];
                // the same fused multiply-adds as the kernel, so both round alike
                if (decoupled) pi = pi * Math.fma(-lr, wd, 1f);
                else gi = Math.fma(wd, pi, gi);
                float mi = Math.fma(1f - b1, gi - m[i], m[i]);
                float vi = Math.fma(b2, v[i], (1f - b2) * gi * gi);
                float denom = Math.fma((float) Math.sqrt(vi), invSqrtBc2, eps);
                p[i] = Math.fma(-stepSize, mi / denom, pi);
                m[i] = mi;
                v[i] = vi;
            }
        });
    }
}
