package io.vq4j.data;

/**
 * The default training data, made from nothing: small colour "tile maps". Each image is a grid of
 * 8x8 tiles on one or two background colours; a tile is either plain background or one motif
 * (a disc, a square, a diamond, a ring, stripes either way, a checkerboard or a gradient) in one
 * colour of a fixed palette.
 *
 * <p>Why tiles: the conv models downsample by 8, so each code of the latent grid sees one tile
 * (and its neighbour) and decodes mostly onto it. A tile here is one of
 * {@code palette x (1 + motifs x (palette - 1))} kinds, fewer than the 512 codes of the default
 * codebook, so a VQ-VAE can learn the whole vocabulary and reconstruct images sharply within a
 * couple of minutes on 2 CPU cores, and its perplexity and active-code counts say how much of the
 * vocabulary it has found. Free-form shapes at arbitrary positions ({@link SyntheticImages},
 * {@code --data synthetic-shapes}) need far more than 16 codes of 9 bits per 32x32 image: a model
 * trained on them for minutes reconstructs only blurred colour blocks.
 *
 * <p>Image i depends on (seed, i) only, through a {@link CounterRng} stream, and is drawn on the fly
 * in {@link #read}: nothing is stored. Edges are anti-aliased analytically (coverage
 * clamp(0.5 - d, 0, 1) of a signed distance d in pixels), with float arithmetic and sqrt only, so
 * the images are bit-identical on every JVM.
 */
public final class SyntheticTiles implements Dataset {
    /** Side of a tile in pixels: the conv models' downsampling factor. */
    public static final int TILE = 8;
    /** Smallest height or width: one tile. */
    public static final int MIN_SIDE = TILE;

    /** Well-separated colours (linear RGB in [0, 1]); an image uses the first {@link #paletteSize}. */
    private static final float[][] PALETTE = {
        {0.10f, 0.10f, 0.14f}, // ink
        {0.94f, 0.92f, 0.85f}, // paper
        {0.86f, 0.18f, 0.16f}, // red
        {0.20f, 0.36f, 0.86f}, // blue
        {0.96f, 0.78f, 0.16f}, // yellow
        {0.18f, 0.66f, 0.30f}, // green
        {0.62f, 0.26f, 0.70f}, // purple
        {0.20f, 0.76f, 0.80f}, // teal
    };

    private static final int DISC = 0, SQUARE = 1, DIAMOND = 2, RING = 3, HSTRIPES = 4, VSTRIPES = 5,
            CHECKER = 6, GRADIENT = 7;
    /** Number of motif kinds. */
    public static final int MOTIFS = 8;
    /** Share of tiles that are plain background. */
    private static final float EMPTY = 0.4f;

    private final int count, channels, height, width, paletteSize, motifs;
    private final long seed;

    /**
     * The default vocabulary: a palette of 6 colours and all {@link #MOTIFS} motifs
     * (6 x (1 + 8 x 5) = 246 tile kinds).
     *
     * @param count    number of images (>= 1)
     * @param channels 3 (RGB) or 1 (the luminance of the same RGB image)
     * @param height   >= {@link #MIN_SIDE}; a side that is not a multiple of 8 ends in a partial tile
     * @param width    >= {@link #MIN_SIDE}
     * @param seed     selects the whole set; image i depends on (seed, i) only
     */
    public SyntheticTiles(int count, int channels, int height, int width, long seed) {
        this(count, channels, height, width, seed, 6, MOTIFS);
    }

    /**
     * @param paletteSize colours in use, 2 to 8
     * @param motifs      motif kinds in use, 1 to {@link #MOTIFS}
     */
    public SyntheticTiles(int count, int channels, int height, int width, long seed, int paletteSize, int motifs) {
        GeneratedRgb.checkShape(count, channels, height, width, MIN_SIDE);
        if (paletteSize < 2 || paletteSize > PALETTE.length) {
            throw new IllegalArgumentException("paletteSize must be in [2, " + PALETTE.length + "], got " + paletteSize);
        }
        if (motifs < 1 || motifs > MOTIFS) {
            throw new IllegalArgumentException("motifs must be in [1, " + MOTIFS + "], got " + motifs);
        }
        this.count = count;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.seed = seed;
        this.paletteSize = paletteSize;
        this.motifs = motifs;
    }

    @Override public int size() { return count; }
    @Override public int channels() { return channels; }
    @Override public int height() { return height; }
    @Override public int width() { return width; }
    public long seed() { return seed; }

    /** Distinct tiles this set can draw: backgrounds x (plain + motifs x other colours). */
    public int tileKinds() {
        return paletteSize * (1 + motifs * (paletteSize - 1));
    }

    @Override
    public String name() {
        return "synthetic-tiles-" + channels + "x" + height + "x" + width + "-seed" + seed;
    }

    @Override
    public void read(int index, float[] dst, int offset) {
        GeneratedRgb.read(this, index, dst, offset, this::render);
    }

    /** Draws image {@code index} as RGB planes at dst[off], dst[off + hw], dst[off + 2 hw]. */
    private void render(int index, float[] dst, int off, int hw) {
        CounterRng r = new CounterRng(seed, index, 0, CounterRng.TAG_SYNTHETIC);
        int rows = (height + TILE - 1) / TILE, cols = (width + TILE - 1) / TILE;
        // a second background fills a tile-aligned rectangle (half the time), like a field or a sky
        int bgA = r.nextInt(paletteSize), bgB = otherColour(r, bgA);
        int r0 = rows, r1 = rows, c0 = cols, c1 = cols;
        if (r.chance(0.5f)) {
            r0 = r.nextInt(rows);
            r1 = r0 + 1 + r.nextInt(rows - r0);
            c0 = r.nextInt(cols);
            c1 = c0 + 1 + r.nextInt(cols - c0);
        }
        for (int ty = 0; ty < rows; ty++) {
            for (int tx = 0; tx < cols; tx++) {
                int bg = ty >= r0 && ty < r1 && tx >= c0 && tx < c1 ? bgB : bgA;
                int motif = r.chance(EMPTY) ? -1 : r.nextInt(motifs);
                int fg = otherColour(r, bg);
                drawTile(dst, off, hw, ty * TILE, tx * TILE, motif, PALETTE[bg], PALETTE[fg]);
            }
        }
    }

    private int otherColour(CounterRng r, int colour) {
        int c = r.nextInt(paletteSize - 1);
        return c >= colour ? c + 1 : c;
    }

    /** Paints one tile with its top-left pixel at (y0, x0), clipped to the image. */
    private void drawTile(float[] dst, int off, int hw, int y0, int x0, int motif, float[] bg, float[] fg) {
        int y1 = Math.min(height, y0 + TILE), x1 = Math.min(width, x0 + TILE);
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                float a = motif < 0 ? 0f : cover(motif, y - y0, x - x0);
                int i = off + y * width + x;
                dst[i] = bg[0] + (fg[0] - bg[0]) * a;
                dst[i + hw] = bg[1] + (fg[1] - bg[1]) * a;
                dst[i + 2 * hw] = bg[2] + (fg[2] - bg[2]) * a;
            }
        }
    }

    /** Share in [0, 1] of the foreground colour at pixel (ly, lx) of a tile, both in [0, TILE). */
    static float cover(int motif, int ly, int lx) {
        float py = ly + 0.5f - TILE / 2f, px = lx + 0.5f - TILE / 2f; // from the tile centre
        return switch (motif) {
            case DISC -> edge((float) Math.sqrt(px * px + py * py) - 2.8f);
            case SQUARE -> edge(Math.max(Math.abs(px), Math.abs(py)) - 2.5f);
            case DIAMOND -> edge((Math.abs(px) + Math.abs(py) - 3.3f) * 0.70710677f);
            case RING -> edge(Math.abs((float) Math.sqrt(px * px + py * py) - 2.6f) - 0.9f);
            // stripes: 2-pixel bands; checker: the tile's quadrants
            case HSTRIPES -> (ly >> 1 & 1) == 0 ? 1f : 0f;
            case VSTRIPES -> (lx >> 1 & 1) == 0 ? 1f : 0f;
            case CHECKER -> (lx < TILE / 2) == (ly < TILE / 2) ? 1f : 0f;
            case GRADIENT -> (ly + 0.5f) / TILE; // background at the top, foreground at the bottom
            default -> throw new IllegalStateException("motif " + motif);
        };
    }

    /** Anti-aliased coverage of a pixel whose centre is d pixels outside an edge (negative: inside). */
    private static float edge(float d) {
        return Math.min(1f, Math.max(0f, 0.5f - d));
    }
}
