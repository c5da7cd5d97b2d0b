package io.vq4j.io;

import io.vq4j.ops.Tensor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;

/**
 * What {@link SafeTensors#read} returns: host tensors by name, in name order (the order Python's
 * {@code safe_open(...).keys()} lists them), and the {@code __metadata__} strings (empty when the
 * file has none). Both maps are unmodifiable; the tensors wrap arrays the caller now owns.
 */
public record SafeTensorsFile(SequencedMap<String, Tensor> tensors, Map<String, String> metadata) {
    public SafeTensorsFile {
        tensors = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(tensors));
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** The tensor called {@code name}; an IllegalArgumentException listing the names there are if absent. */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor '" + name + "' (the file has " + tensors.sequencedKeySet() + ")");
        }
        return t;
    }
}
