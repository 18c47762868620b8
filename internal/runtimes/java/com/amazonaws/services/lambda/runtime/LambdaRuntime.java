package com.amazonaws.services.lambda.runtime;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Gives code without a Context the function's logger. As in
 * aws-lambda-java-core, the runtime client sets the static field logger at
 * start; until then lines go to standard output.
 */
public final class LambdaRuntime {
    private LambdaRuntime() {
    }

    private static volatile LambdaLogger logger = new LambdaLogger() {
        public void log(String message) {
            PrintStream out = System.out;
            out.print(message);
            out.flush();
        }

        public void log(byte[] message) {
            log(new String(message, StandardCharsets.UTF_8));
        }
    };

    public static LambdaLogger getLogger() {
        return logger;
    }
}
