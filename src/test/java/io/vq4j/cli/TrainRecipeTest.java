package io.vq4j.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class TrainRecipeTest {
    @Test
    void helpTextsSayTheDefaultsInUse() {
        TrainRecipe s = TrainRecipe.forData("synthetic"), r = TrainRecipe.forData("fashion-mnist");
        assertEquals("default: " + s.epochs() + " on synthetic, " + r.epochs() + " otherwise", TrainRecipe.HELP_EPOCHS);
        assertEquals("default: " + s.batch() + " on synthetic, " + r.batch() + " otherwise", TrainRecipe.HELP_BATCH);
        assertTrue(TrainRecipe.HELP_LR.contains("3e-3 on synthetic, 1e-3 otherwise"));
        assertEquals(3e-3f, s.lr());
        assertEquals(1e-3f, r.lr());
        assertSame(TrainRecipe.REFERENCE, TrainRecipe.forData("synthetic-shapes"));
        assertSame(TrainRecipe.REFERENCE, TrainRecipe.forData("/some/images"));
    }
}
