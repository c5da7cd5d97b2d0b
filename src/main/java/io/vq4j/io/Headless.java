package io.vq4j.io;

/**
 * Images and charts are drawn off-screen; training runs on servers without a display. AWT must
 * be told so before it starts (java.awt.headless), unless the application already chose.
 */
final class Headless {
    private Headless() {}

    static void ensure() {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }
}
