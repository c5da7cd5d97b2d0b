package io.vq4j.ops;

/**
 * Hyper-parameters of one Adam / AdamW step (PyTorch's names and defaults):
 * {@code decoupled} = AdamW (weight decay applied to the parameter, {@code p *= 1 - lr*wd}),
 * otherwise Adam's L2 penalty added to the gradient ({@code g += wd*p}).
 */
public record AdamConfig(float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled) {
    public AdamConfig {
        if (!(lr >= 0) || Float.isInfinite(lr)) throw new IllegalArgumentException("lr must be finite and >= 0, got " + lr);
        if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
        if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
        if (!(eps > 0)) throw new IllegalArgumentException("eps must be > 0, got " + eps);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("weightDecay must be >= 0, got " + weightDecay);
    }

    /** torch.optim.Adam's defaults (betas 0.9, 0.999, eps 1e-8, no weight decay). */
    public static AdamConfig adam(float lr) { return new AdamConfig(lr, 0.9f, 0.999f, 1e-8f, 0f, false); }

    /** torch.optim.AdamW's defaults (weight decay 0.01). */
    public static AdamConfig adamW(float lr) { return new AdamConfig(lr, 0.9f, 0.999f, 1e-8f, 0.01f, true); }

    /** The same settings at another learning rate (for schedules). */
    public AdamConfig withLr(float newLr) { return new AdamConfig(newLr, beta1, beta2, eps, weightDecay, decoupled); }
}
