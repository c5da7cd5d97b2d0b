package io.vq4j.data;

/**
 * The default training data, made from nothing: small colour images of a background (flat, linear
 * or radial gradient) and 1-3 shapes (filled circles, rectangles, triangles, rings) in random
 * colours, positions, sizes and rotations, some filled with stripes or a checkerboard.
 *
 * <p>Image i depends on (seed, i) only, through a {@link CounterRng} stream, so it is the same in
 * every run and on every machine (float arithmetic, sqrt and floor are exact in Java; sin and cos
 * come from StrictMath, whose results are fixed, where Math's may differ by an ulp between JVMs),
 * and it is drawn on the fly in {@link #read}: nothing is stored.
 * Shapes are sharp-edged, flat-coloured and few, which a small VQ-VAE learns visibly within minutes,
 * while colours, layouts and textures vary enough that reconstructions are not trivial.
 *
 * <p>Edges are anti-aliased analytically: each shape is a signed distance d (in pixels) and a pixel
 * is covered by clamp(0.5 - d, 0, 1) of it, the coverage of a box filter across a straight edge.
 * That is as smooth as heavy supersampling at the cost of one sample per pixel, and only pixels in
 * a shape's bounding box are visited, so 10k images of 3x32x32 take tens of milliseconds.
 */
public final class SyntheticImages implements Dataset {
    /** Smallest height or width: below it the shapes are a few pixels and mostly edge. */
    public static final int MIN_SIDE = 8;

    private static final int CIRCLE = 0, RECT = 1, TRIANGLE = 2, RING = 3;
    private static final int PLAIN = 0, STRIPES = 1, CHECKER = 2;

    private final int count, channels, height, width;
    private final long seed;

    /**
     * @param count    number of images (>= 1)
     * @param channels 3 (RGB) or 1 (the luminance of the same RGB image)
     * @param height   >= {@link #MIN_SIDE}
     * @param width    >= {@link #MIN_SIDE}
     * @param seed     selects the whole set; image i depends on (seed, i) only
     */
    public SyntheticImages(int count, int channels, int height, int width, long seed) {
        GeneratedRgb.checkShape(count, channels, height, width, MIN_SIDE);
        this.count = count;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.seed = seed;
    }

    /** {@code count} images of 3x32x32 from seed 0: the reference default. */
    public static SyntheticImages of(int count) {
        return new SyntheticImages(count, 3, 32, 32, 0);
    }

    @Override public int size() { return count; }
    @Override public int channels() { return channels; }
    @Override public int height() { return height; }
    @Override public int width() { return width; }
    public long seed() { return seed; }

    @Override
    public String name() {
        return "synthetic-" + channels + "x" + height + "x" + width + "-seed" + seed;
    }

    @Override
    public void read(int index, float[] dst, int offset) {
        GeneratedRgb.read(this, index, dst, offset, this::render);
    }

    /** Draws image {@code index} as RGB planes at dst[off], dst[off + hw], dst[off + 2 hw]. */
    private void render(int index, float[] dst, int off, int hw) {
        CounterRng r = new CounterRng(seed, index, 0, CounterRng.TAG_SYNTHETIC);
        float[] bg = background(r, dst, off, hw);
        int shapes = 1 + r.nextInt(3);
        float side = Math.min(height, width);
        for (int s = 0; s < shapes; s++) drawShape(r, side, bg, dst, off, hw);
        for (int i = off; i < off + 3 * hw; i++) dst[i] = Math.min(1f, Math.max(0f, dst[i]));
    }

    /** Paints the background; returns its mean colour, which shape colours are kept away from. */
    private float[] background(CounterRng r, float[] dst, int off, int hw) {
        int kind = r.nextInt(3);
        float[] c0 = hsv(r.nextFloat(), r.uniform(0.05f, 0.6f), r.uniform(0.15f, 0.9f));
        float[] c1 = hsv(r.nextFloat(), r.uniform(0.05f, 0.6f), r.uniform(0.15f, 0.9f));
        float ax = 0, ay = 0, cx = 0, cy = 0, radius = 1;
        if (kind == 1) {
            double theta = 2 * Math.PI * r.nextFloat();
            // |x cos + y sin| <= sqrt(2)/2 on the centred unit square: scale t onto [0, 1]
            ax = (float) (StrictMath.cos(theta) / Math.sqrt(2));
            ay = (float) (StrictMath.sin(theta) / Math.sqrt(2));
        } else if (kind == 2) {
            cx = r.uniform(0.2f, 0.8f);
            cy = r.uniform(0.2f, 0.8f);
            radius = r.uniform(0.5f, 1.0f);
        }
        for (int y = 0; y < height; y++) {
            float v = (y + 0.5f) / height;
            int row = off + y * width;
            for (int x = 0; x < width; x++) {
                float u = (x + 0.5f) / width;
                float t = switch (kind) {
                    case 0 -> 0f;
                    case 1 -> (u - 0.5f) * ax + (v - 0.5f) * ay + 0.5f;
                    default -> Math.min(1f, (float) Math.sqrt((u - cx) * (u - cx) + (v - cy) * (v - cy)) / radius);
                };
                dst[row + x] = c0[0] + (c1[0] - c0[0]) * t;
                dst[row + hw + x] = c0[1] + (c1[1] - c0[1]) * t;
                dst[row + 2 * hw + x] = c0[2] + (c1[2] - c0[2]) * t;
            }
        }
        float avg = kind == 0 ? 0f : 0.5f;
        return new float[] {c0[0] + (c1[0] - c0[0]) * avg, c0[1] + (c1[1] - c0[1]) * avg, c0[2] + (c1[2] - c0[2]) * avg};
    }

    /** One random shape, composited over dst with its anti-aliased coverage. */
    private void drawShape(CounterRng r, float side, float[] bg, float[] dst, int off, int hw) {
        int kind = r.nextInt(4);
        float cx = width * r.uniform(0.2f, 0.8f), cy = height * r.uniform(0.2f, 0.8f);
        float radius = side * r.uniform(0.12f, 0.3f);
        float angle = (float) (2 * Math.PI * r.nextFloat());
        float cos = (float) StrictMath.cos(angle), sin = (float) StrictMath.sin(angle);
        // shape parameters in pixels; reach bounds the shape for the bounding box
        float hx = radius, hy = radius, inner = 0, reach = radius;
        float[] tri = null;
        switch (kind) {
            case RECT -> {
                hx = radius * r.uniform(0.6f, 1.0f);
                hy = radius * r.uniform(0.4f, 1.0f);
                reach = (float) StrictMath.hypot(hx, hy);
            }
            case TRIANGLE -> {
                tri = new float[6];
                reach = 0;
                for (int k = 0; k < 3; k++) {
                    double a = angle + 2 * Math.PI * k / 3 + r.uniform(-0.4f, 0.4f);
                    float rr = radius * r.uniform(0.8f, 1.2f);
                    tri[2 * k] = cx + (float) (rr * StrictMath.cos(a));
                    tri[2 * k + 1] = cy + (float) (rr * StrictMath.sin(a));
                    reach = Math.max(reach, rr);
                }
            }
            case RING -> {
                inner = radius * r.uniform(0.12f, 0.25f); // half the ring's width
                hx = radius - inner;                       // radius of the ring's centre line
            }
            default -> { }
        }
        float[] col = shapeColour(r, bg);
        int texture = PLAIN;
        float[] col2 = null;
        float tcos = 0, tsin = 0, period = 1;
        if (kind != RING && r.chance(0.3f)) {
            texture = r.chance(0.5f) ? STRIPES : CHECKER;
            col2 = shapeColour(r, col);
            period = side * r.uniform(0.14f, 0.25f);
            double ta = Math.PI * r.nextFloat();
            tcos = (float) StrictMath.cos(ta);
            tsin = (float) StrictMath.sin(ta);
        }
        int x0 = Math.max(0, (int) Math.floor(cx - reach - 1)), x1 = Math.min(width, (int) Math.ceil(cx + reach + 1));
        int y0 = Math.max(0, (int) Math.floor(cy - reach - 1)), y1 = Math.min(height, (int) Math.ceil(cy + reach + 1));
        for (int y = y0; y < y1; y++) {
            float py = y + 0.5f;
            int row = off + y * width;
            for (int x = x0; x < x1; x++) {
                float px = x + 0.5f;
                float d = switch (kind) {
                    case CIRCLE -> (float) Math.sqrt((px - cx) * (px - cx) + (py - cy) * (py - cy)) - radius;
                    case RECT -> boxDistance(px - cx, py - cy, cos, sin, hx, hy);
                    case TRIANGLE -> triangleDistance(px, py, tri);
                    default -> Math.abs((float) Math.sqrt((px - cx) * (px - cx) + (py - cy) * (py - cy)) - hx) - inner;
                };
                float cover = 0.5f - d;
                if (cover <= 0f) continue;
                if (cover > 1f) cover = 1f;
                float cr = col[0], cg = col[1], cb = col[2];
                if (texture != PLAIN) {
                    float a = stripeCover(px * tcos + py * tsin, period);
                    if (texture == CHECKER) {
                        float b = stripeCover(py * tcos - px * tsin, period);
                        a = a + b - 2 * a * b; // soft xor of the two stripe sets
                    }
                    cr += (col2[0] - cr) * a;
                    cg += (col2[1] - cg) * a;
                    cb += (col2[2] - cb) * a;
                }
                int i = row + x;
                dst[i] += (cr - dst[i]) * cover;
                dst[i + hw] += (cg - dst[i + hw]) * cover;
                dst[i + 2 * hw] += (cb - dst[i + 2 * hw]) * cover;
            }
        }
    }

    /** Coverage in [0, 1] of the stripes {frac(t / period) in [0.25, 0.75)}, anti-aliased like the edges. */
    private static float stripeCover(float t, float period) {
        float f = t / period;
        f -= (float) Math.floor(f);
        float sd = (Math.abs(f - 0.5f) - 0.25f) * period;
        return Math.min(1f, Math.max(0f, 0.5f - sd));
    }

    /** Signed distance from (dx, dy) (relative to the centre) to a box of half-sizes hx, hy rotated by (cos, sin). */
    private static float boxDistance(float dx, float dy, float cos, float sin, float hx, float hy) {
        float qx = Math.abs(dx * cos + dy * sin) - hx;
        float qy = Math.abs(-dx * sin + dy * cos) - hy;
        float ox = Math.max(qx, 0f), oy = Math.max(qy, 0f);
        return (float) Math.sqrt(ox * ox + oy * oy) + Math.min(Math.max(qx, qy), 0f);
    }

    /** Signed distance from (px, py) to the triangle t = {x0, y0, x1, y1, x2, y2} (either winding). */
    private static float triangleDistance(float px, float py, float[] t) {
        float best = Float.MAX_VALUE;
        float orient = Math.signum((t[2] - t[0]) * (t[5] - t[1]) - (t[3] - t[1]) * (t[4] - t[0]));
        boolean inside = true;
        for (int k = 0; k < 3; k++) {
            float ax = t[2 * k], ay = t[2 * k + 1];
            int n = (k + 1) % 3;
            float ex = t[2 * n] - ax, ey = t[2 * n + 1] - ay;
            float vx = px - ax, vy = py - ay;
            float h = Math.min(1f, Math.max(0f, (vx * ex + vy * ey) / (ex * ex + ey * ey)));
            float qx = vx - ex * h, qy = vy - ey * h;
            best = Math.min(best, qx * qx + qy * qy);
            // inside iff p is on the interior side of every edge
            if (orient * (ex * vy - ey * vx) < 0f) inside = false;
        }
        float dist = (float) Math.sqrt(best);
        return inside ? -dist : dist;
    }

    /** A saturated colour, redrawn (a bounded number of times) while it is too close to {@code avoid}. */
    private static float[] shapeColour(CounterRng r, float[] avoid) {
        float[] c = null;
        for (int attempt = 0; attempt < 4; attempt++) {
            c = hsv(r.nextFloat(), r.uniform(0.35f, 1f), r.uniform(0.25f, 1f));
            float dr = c[0] - avoid[0], dg = c[1] - avoid[1], db = c[2] - avoid[2];
            if (dr * dr + dg * dg + db * db > 0.35f * 0.35f) break;
        }
        return c;
    }

    /** HSV (all in [0, 1]) to RGB. */
    static float[] hsv(float h, float s, float v) {
        float h6 = (h - (float) Math.floor(h)) * 6f;
        int sector = Math.min(5, (int) h6);
        float f = h6 - sector;
        float p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
        return switch (sector) {
            case 0 -> new float[] {v, t, p};
            case 1 -> new float[] {q, v, p};
            case 2 -> new float[] {p, v, t};
            case 3 -> new float[] {p, q, v};
            case 4 -> new float[] {t, p, v};
            default -> new float[] {v, p, q};
        };
    }
}
