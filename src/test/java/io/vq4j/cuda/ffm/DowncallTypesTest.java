package io.vq4j.cuda.ffm;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code invokeExact} fails at run time (WrongMethodTypeException) when the call site's types
 * differ from the handle's by so much as int/long, and this machine cannot call cuBLAS or cuDNN.
 * So this reads the compiled call sites of io.vq4j.cuda.ffm and checks each one against the
 * type of the handle it invokes (the handles exist, with their real types, even without the
 * libraries). It also checks that every bound function is called somewhere: nothing unused.
 */
class DowncallTypesTest {

    private static final List<Class<?>> FUNCTION_CLASSES = List.of(CublasFunctions.class, CudnnFunctions.class);

    /** "CublasFunctions.cublasSgemm_v2" -> its handle's type. */
    private static Map<String, MethodType> handleTypes() throws IllegalAccessException {
        Map<String, MethodType> types = new LinkedHashMap<>();
        for (Class<?> c : FUNCTION_CLASSES) {
            for (Field f : c.getDeclaredFields()) {
                if (f.getType() != MethodHandle.class) continue;
                assertTrue(Modifier.isStatic(f.getModifiers()) && Modifier.isFinal(f.getModifiers()), f.toString());
                types.put(c.getSimpleName() + "." + f.getName(), ((MethodHandle) f.get(null)).type());
            }
        }
        return types;
    }

    private static List<Path> packageClassFiles() throws URISyntaxException, IOException {
        URL url = CublasFunctions.class.getResource("CublasFunctions.class");
        assumeTrue(url != null && url.getProtocol().equals("file"), "classes are not in a folder: " + url);
        try (Stream<Path> s = Files.list(Path.of(url.toURI()).getParent())) {
            return s.filter(p -> p.toString().endsWith(".class")).sorted().toList();
        }
    }

    @Test
    void everyInvokeExactMatchesItsHandlesType_andEveryHandleIsUsed() throws Exception {
        Map<String, MethodType> types = handleTypes();
        assertEquals(8, types.keySet().stream().filter(k -> k.startsWith("Cublas")).count(), types.keySet().toString());
        List<String> mismatches = new ArrayList<>();
        Set<String> used = new HashSet<>();
        int checked = 0;
        for (Path file : packageClassFiles()) {
            ClassModel cm = ClassFile.of().parse(Files.readAllBytes(file));
            String owner = cm.thisClass().asInternalName();
            boolean isFunctions = owner.endsWith("/CublasFunctions") || owner.endsWith("/CudnnFunctions");
            for (MethodModel mm : cm.methods()) {
                CodeModel code = mm.code().orElse(null);
                if (code == null) continue;
                String last = null; // the handle most recently loaded: the receiver of the next invokeExact
                for (CodeElement e : code) {
                    if (e instanceof FieldInstruction fi && fi.opcode() == Opcode.GETSTATIC
                            && fi.typeSymbol().descriptorString().equals("Ljava/lang/invoke/MethodHandle;")) {
                        String cls = fi.owner().asInternalName();
                        String key = cls.substring(cls.lastIndexOf('/') + 1) + "." + fi.name().stringValue();
                        if (types.containsKey(key)) {
                            last = key;
                            if (!isFunctions) used.add(key);
                        }
                    } else if (e instanceof InvokeInstruction ii && ii.name().equalsString("invokeExact")
                            && ii.owner().asInternalName().equals("java/lang/invoke/MethodHandle")) {
                        if (last != null) {
                            checked++;
                            String site = ii.typeSymbol().descriptorString();
                            String expected = types.get(last).toMethodDescriptorString();
                            if (!site.equals(expected)) {
                                mismatches.add(owner + "." + mm.methodName().stringValue() + " calls " + last
                                        + " as " + site + " but it is " + expected);
                            }
                        }
                        last = null;
                    }
                }
            }
        }
        assertTrue(mismatches.isEmpty(), String.join("\n", mismatches));
        assertTrue(checked >= 30, "only " + checked + " call sites found");
        // descriptor create/destroy handles are passed to Descriptors, which calls them as (MemorySegment)int
        MethodType createDestroy = MethodType.methodType(int.class, MemorySegment.class);
        for (String k : types.keySet()) {
            if (k.matches("CudnnFunctions\\.cudnn(Create|Destroy)\\w+Descriptor")) {
                assertEquals(createDestroy, types.get(k), k);
            }
        }
        Set<String> unused = new TreeSet<>(types.keySet());
        unused.removeAll(used);
        assertTrue(unused.isEmpty(), "bound but never called: " + unused);
        System.out.println("[cpu] downcall call sites checked: " + checked + ", handles: " + types.size());
    }
}
