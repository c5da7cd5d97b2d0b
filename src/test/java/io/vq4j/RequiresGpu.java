package io.vq4j;

import io.vq4j.cuda.Cuda;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Disables a GPU test class, and each of its tests, where CUDA is unavailable, with the reason.
 * A condition (unlike an assumption) is evaluated before any @BeforeAll, so test classes may set
 * up device state there.
 */
public final class RequiresGpu implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        return Cuda.isAvailable() ? ConditionEvaluationResult.enabled("CUDA is available")
                : ConditionEvaluationResult.disabled("no usable GPU: " + Cuda.unavailableReason());
    }
}
