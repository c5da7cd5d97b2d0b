package io.vq4j.nn;

import io.vq4j.ops.AdamConfig;

import java.util.List;

/**
 * Adam / AdamW (PyTorch's arithmetic, via {@code layers.adamStep}, one call per parameter) over a
 * fixed parameter list, with an {@link LrSchedule} (which may also cycle beta1). Parameters whose
 * {@link Parameter#requiresGrad()} is false (an EMA codebook) or that have no gradient yet are
 * skipped. No zeroGrad is needed: backward overwrites gradients. Moments are made lazily, in the
 * parameter (so the parameter's close frees them).
 */
public final class Adam {
    private final Backend backend;
    private final List<Parameter> params;
    private final AdamConfig base;
    private final LrSchedule schedule;
    private long steps;

    public Adam(Backend backend, List<Parameter> params, AdamConfig base, LrSchedule schedule) {
        if (backend == null || params == null || base == null || schedule == null) {
            throw new IllegalArgumentException("backend, params, config and schedule must not be null");
        }
        this.backend = backend;
        this.params = List.copyOf(params);
        this.base = base;
        this.schedule = schedule;
    }

    /** torch.optim.Adam (betas 0.9, 0.999, eps 1e-8, no weight decay). */
    public static Adam adam(Backend backend, List<Parameter> params, LrSchedule schedule) {
        return new Adam(backend, params, AdamConfig.adam(1e-3f), schedule);
    }

    /** torch.optim.AdamW (decoupled weight decay {@code weightDecay}, 0.01 by default). */
    public static Adam adamW(Backend backend, List<Parameter> params, float weightDecay, LrSchedule schedule) {
        AdamConfig c = AdamConfig.adamW(1e-3f);
        return new Adam(backend, params, new AdamConfig(c.lr(), c.beta1(), c.beta2(), c.eps(), weightDecay, true), schedule);
    }

    /** Steps taken (the next step is 1-based step {@code steps() + 1} for bias correction). */
    public long steps() { return steps; }

    /** For resuming: the number of steps already taken. */
    public void setSteps(long s) {
        if (s < 0) throw new IllegalArgumentException("steps must be >= 0, got " + s);
        steps = s;
    }

    /** The settings the next step will use (schedule applied). */
    public AdamConfig nextConfig() {
        return new AdamConfig((float) schedule.lr(steps), (float) schedule.beta1(steps, base.beta1()), base.beta2(),
                base.eps(), base.weightDecay(), base.decoupled());
    }

    /** One update of every trainable parameter from its current gradient. */
    public void step() {
        AdamConfig c = nextConfig();
        long t = steps + 1;
        for (Parameter p : params) {
            if (!p.requiresGrad() || p.grad() == null) continue;
            p.ensureMoments(backend.ops());
            backend.layers().adamStep(p.value(), p.grad(), p.adamM(), p.adamV(), c, t);
        }
        steps = t;
    }

    public List<Parameter> parameters() { return params; }
}
