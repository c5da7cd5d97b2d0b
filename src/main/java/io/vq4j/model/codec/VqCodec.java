package io.vq4j.model.codec;

import io.vq4j.cuda.MemoryPool;
import io.vq4j.model.Autoencoder;
import io.vq4j.model.Checkpoint;
import io.vq4j.model.ModelSpec;
import io.vq4j.model.VqAutoencoder;
import io.vq4j.nn.Backend;
import io.vq4j.ops.CudaOps;
import io.vq4j.ops.DType;
import io.vq4j.ops.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * Images to VQ code indices and back, for a service: thread-safe, with concurrent requests
 * batched onto one model call.
 *
 * <pre>{@code
 * try (VqCodec codec = VqCodec.open(Path.of("vqvae.safetensors"), CodecOptions.defaults())) {
 *     float[] image = ...;                       // CHW in [0, 1], codec.imageShape() = [C, H, W]
 *     int[] codes = codec.encode(image);         // codec.codeGridShape() = [h, w], values in [0, numCodes())
 *     float[] back = codec.decode(codes);        // CHW in [0, 1]
 *     CompletableFuture<int[]> f = codec.encodeAsync(image);  // or without blocking
 * }
 * }</pre>
 *
 * <h2>How it runs</h2>
 * Calls validate and copy their input in the caller's thread (bad input throws there and never
 * reaches a batch), then queue a request. One worker thread per codec takes up to
 * {@link CodecOptions#maxBatch} requests of one kind (a batch is all encode or all decode),
 * waiting at most {@link CodecOptions#maxDelay} after the oldest one arrived for more, stacks them,
 * runs one model call in eval mode, and completes each request with its slice. The models are in
 * eval mode (batch norm uses its running statistics), so an image's codes do not depend on what
 * else shares its batch. A model call that throws (e.g. a CUDA error) fails exactly the requests of
 * its batch, with that exception; later batches run as usual.
 *
 * <h2>Ranges</h2>
 * Images are CHW floats in [0, 1]. The conv VQ-VAE works in [-1, 1]: encode feeds it
 * {@code 2 * x - 1} and decode returns {@code clamp((y + 1) / 2, 0, 1)}; the MLP VQ-VAE works in
 * [0, 1] and decode clamps its output. Values outside [0, 1] are passed on as they are;
 * NaN or infinite values are refused.
 *
 * <h2>Memory</h2>
 * On CUDA every batch allocates its tensors from the stream-ordered pool and frees them before
 * the next; with {@link CodecOptions#keepPoolMemory} (default) the pool keeps freed memory, so
 * after warm-up (the first batch of each size) calls take no memory from the device.
 *
 * <h2>Threads</h2>
 * Any number of threads may call any method. The futures are completed on the worker thread, so
 * stages attached with non-async methods ({@code thenApply}, ...) run there and hold up later
 * batches; a blocking codec call from such a stage would wait on itself and throws
 * IllegalStateException instead. The worker is a daemon thread named {@code vq4j-codec-N}.
 */
public final class VqCodec implements AutoCloseable {
    private static final AtomicInteger SEQ = new AtomicInteger();

    private final ModelSpec spec;
    private final CodecOptions options;
    private final String backendName;
    private final int[] grid;
    private final int numCodes;
    private final int imageSize;
    private final int codesPerImage;
    private final RequestQueue queue;
    private final BatchWorker worker;
    private final Thread thread;
    private final AtomicBoolean closing = new AtomicBoolean();

    private VqCodec(ModelSpec spec, CodecOptions options, String backendName, int[] grid, int numCodes,
                    BatchModel model, Runnable release) {
        this.spec = spec;
        this.options = options;
        this.backendName = backendName;
        this.grid = grid;
        this.numCodes = numCodes;
        this.imageSize = spec.channels() * spec.height() * spec.width();
        this.codesPerImage = (int) Tensor.numel(grid);
        this.queue = new RequestQueue(options.queueCapacity());
        this.worker = new BatchWorker(queue, model, options.maxBatch(), options.maxDelay().toNanos(), release);
        this.thread = Thread.ofPlatform().name("vq4j-codec-" + SEQ.incrementAndGet()).daemon(true).unstarted(worker);
    }

    /** {@link #open(Path, CodecOptions)} with {@link CodecOptions#defaults()}. */
    public static VqCodec open(Path checkpoint) throws IOException { return open(checkpoint, CodecOptions.defaults()); }

    /**
     * Loads a VQ checkpoint (vqvae or mlp-vqvae) onto {@code options.backend()}, runs one warm-up
     * encode and decode, and starts the worker. A checkpoint of another kind is an
     * IllegalArgumentException; nothing stays allocated when open fails.
     */
    public static VqCodec open(Path checkpoint, CodecOptions options) throws IOException {
        return open(checkpoint, options, UnaryOperator.identity());
    }

    /** The same, with the batch model wrapped (tests inject failures through {@code wrap}). */
    static VqCodec open(Path checkpoint, CodecOptions options, UnaryOperator<BatchModel> wrap) throws IOException {
        if (checkpoint == null) throw new IllegalArgumentException("checkpoint must not be null");
        if (options == null) throw new IllegalArgumentException("options must not be null");
        Backend backend = Backend.create(options.backend());
        Autoencoder model = null;
        try {
            if (options.keepPoolMemory() && backend.ops() instanceof CudaOps cuda) {
                MemoryPool.keepMemory(cuda.runtime().context());
            }
            Checkpoint.Loaded loaded = Checkpoint.load(checkpoint, backend);
            model = loaded.model();
            ModelSpec spec = loaded.spec();
            if (!spec.kind().quantized() || !(model instanceof VqAutoencoder vq)) {
                throw new IllegalArgumentException("checkpoint " + checkpoint.getFileName() + " holds a " + spec.kind()
                        + " model; VqCodec needs a VQ model (vqvae or mlp-vqvae)");
            }
            long imageSize = (long) spec.channels() * spec.height() * spec.width();
            if (imageSize * options.maxBatch() > Tensor.MAX_HOST_ELEMENTS) {
                throw new IllegalArgumentException("maxBatch " + options.maxBatch() + " x image " + imageSize
                        + " values exceeds a Java array (" + Tensor.MAX_HOST_ELEMENTS + "): lower maxBatch");
            }
            int[] grid = warmUp(vq, spec, backend);
            int k = vq.quantizer().config().numEmbeddings();
            Autoencoder m = model;
            Runnable release = () -> {
                try {
                    m.close();
                } finally {
                    backend.close();
                }
            };
            VqCodec codec = new VqCodec(spec, options, backend.name(), grid, k,
                    wrap.apply(new ModelBatches(vq, spec, backend, grid)), release);
            codec.thread.start(); // from here the worker owns the model and frees it on exit
            return codec;
        } catch (IOException | RuntimeException | Error e) {
            try {
                if (model != null) model.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            } finally {
                backend.close();
            }
            throw e;
        }
    }

    /**
     * One encode and decode of a blank image: loads the kernels and fills the pool for batch size
     * 1 before the first request, and reads the code grid off the model instead of assuming its
     * downsampling factor. Returns the code grid of one image.
     */
    private static int[] warmUp(VqAutoencoder model, ModelSpec spec, Backend backend) {
        int[] shape;
        long values;
        try (Tensor x = backend.ops().zeros(DType.F32, spec.batchShape(1));
             Tensor idx = model.encode(x);
             Tensor y = model.decode(idx)) {
            shape = idx.shape();
            values = y.numel();
        }
        int[] grid = shape.length == 3 ? new int[] {shape[1], shape[2]} : new int[] {1};
        long want = (long) spec.channels() * spec.height() * spec.width();
        if ((shape.length != 3 && shape.length != 1) || shape[0] != 1 || values != want) {
            throw new IllegalStateException("model gave codes " + Arrays.toString(shape) + " and " + values
                    + " values for one image of " + want);
        }
        return grid;
    }

    // ---- encode ---------------------------------------------------------------------------

    /** The flattened code grid (row-major, {@link #codeGridShape()}) of one CHW image in [0, 1]. */
    public int[] encode(float[] image) {
        requireNotWorker();
        return await(encodeAsync(image));
    }

    /** {@link #encode(float[])} of each image, in order; all are validated before any is queued. */
    public List<int[]> encode(List<float[]> images) {
        requireNotWorker();
        if (images == null) throw new IllegalArgumentException("images must not be null");
        List<float[]> xs = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) xs.add(checkImage(images.get(i), "images[" + i + "]"));
        List<CompletableFuture<int[]>> fs = new ArrayList<>(xs.size());
        for (float[] x : xs) fs.add(submit(Request.encode(x)).encoded);
        List<int[]> out = new ArrayList<>(fs.size());
        for (CompletableFuture<int[]> f : fs) out.add(await(f));
        return out;
    }

    /** {@link #encode(float[])} without waiting: validation errors still throw here. */
    public CompletableFuture<int[]> encodeAsync(float[] image) {
        return submit(Request.encode(checkImage(image, "image"))).encoded;
    }

    // ---- decode ---------------------------------------------------------------------------

    /** The CHW image in [0, 1] for a flattened code grid as {@link #encode(float[])} returns it. */
    public float[] decode(int[] codes) {
        requireNotWorker();
        return await(decodeAsync(codes));
    }

    /** {@link #decode(int[])} of each code grid, in order; all are validated before any is queued. */
    public List<float[]> decode(List<int[]> codes) {
        requireNotWorker();
        if (codes == null) throw new IllegalArgumentException("codes must not be null");
        List<int[]> cs = new ArrayList<>(codes.size());
        for (int i = 0; i < codes.size(); i++) cs.add(checkCodes(codes.get(i), "codes[" + i + "]"));
        List<CompletableFuture<float[]>> fs = new ArrayList<>(cs.size());
        for (int[] c : cs) fs.add(submit(Request.decode(c)).decoded);
        List<float[]> out = new ArrayList<>(fs.size());
        for (CompletableFuture<float[]> f : fs) out.add(await(f));
        return out;
    }

    /** {@link #decode(int[])} without waiting: validation errors still throw here. */
    public CompletableFuture<float[]> decodeAsync(int[] codes) {
        return submit(Request.decode(checkCodes(codes, "codes"))).decoded;
    }

    // ---- shape and state ------------------------------------------------------------------

    /** [C, H, W] of the images encode takes and decode returns. */
    public int[] imageShape() { return new int[] {spec.channels(), spec.height(), spec.width()}; }

    /** [h, w] of one image's codes for the conv model (H/8 x W/8), [1] for the MLP. */
    public int[] codeGridShape() { return grid.clone(); }

    /** K: codes are in [0, K). */
    public int numCodes() { return numCodes; }

    /** The checkpoint's model spec. */
    public ModelSpec spec() { return spec; }

    public CodecOptions options() { return options; }

    /** "cpu" or "cuda": where the model runs. */
    public String backendName() { return backendName; }

    /** Batches and requests served so far. */
    public CodecStats stats() { return worker.stats(); }

    public boolean isClosed() { return closing.get(); }

    /** The worker thread's name (tests check it is gone after close). */
    String workerName() { return thread.getName(); }

    /**
     * Stops accepting requests, fails every queued one with IllegalStateException("codec closed"),
     * lets a batch already running finish, waits for the worker to exit and frees the model and
     * the backend. Idempotent. Called from the worker thread itself (a future's callback), it
     * returns without waiting and the worker frees everything once the callback returns.
     */
    @Override
    public void close() {
        if (closing.compareAndSet(false, true)) {
            for (Request r : queue.close()) r.fail(closedError());
        }
        if (Thread.currentThread() == thread) return;
        boolean interrupted = false;
        while (true) {
            try {
                thread.join(); // the model must not be freed under a running batch
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    static IllegalStateException closedError() { return new IllegalStateException("codec closed"); }

    // ---- helpers --------------------------------------------------------------------------

    private Request submit(Request r) {
        queue.put(r, options.whenFull() == CodecOptions.WhenFull.BLOCK);
        return r;
    }

    /** A validated copy of {@code image} in the model's range. */
    private float[] checkImage(float[] image, String name) {
        if (image == null) throw new IllegalArgumentException(name + " must not be null");
        if (image.length != imageSize) {
            throw new IllegalArgumentException(name + " has " + image.length + " values, expected C*H*W = "
                    + spec.channels() + "*" + spec.height() + "*" + spec.width() + " = " + imageSize);
        }
        // x * 0 is NaN exactly for NaN and +-Inf: one branch-free pass C2 can vectorise
        float poison = 0f;
        for (float v : image) poison += v * 0f;
        if (poison != 0f) {
            for (int j = 0; j < image.length; j++) {
                if (!Float.isFinite(image[j])) {
                    throw new IllegalArgumentException(name + "[" + j + "] = " + image[j] + " is not finite");
                }
            }
        }
        float[] x = new float[imageSize];
        if (spec.kind().signedInputs()) Pixels.toSigned(image, x);
        else System.arraycopy(image, 0, x, 0, imageSize);
        return x;
    }

    /** A validated copy of {@code codes}. */
    private int[] checkCodes(int[] codes, String name) {
        if (codes == null) throw new IllegalArgumentException(name + " must not be null");
        if (codes.length != codesPerImage) {
            throw new IllegalArgumentException(name + " has " + codes.length + " codes, expected " + codesPerImage
                    + " (code grid " + Arrays.toString(grid) + ")");
        }
        for (int j = 0; j < codes.length; j++) {
            if (codes[j] < 0 || codes[j] >= numCodes) {
                throw new IllegalArgumentException(name + "[" + j + "] = " + codes[j] + " is outside [0, " + numCodes + ")");
            }
        }
        return codes.clone();
    }

    private void requireNotWorker() {
        if (Thread.currentThread() == thread) {
            throw new IllegalStateException("a blocking VqCodec call on its own worker thread (a callback on one of its"
                    + " futures) would wait for itself: use encodeAsync / decodeAsync there");
        }
    }

    /** The result, or the exception that failed the request rethrown as it is. */
    private static <T> T await(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            if (e.getCause() instanceof Error er) throw er;
            throw e;
        }
    }
}
