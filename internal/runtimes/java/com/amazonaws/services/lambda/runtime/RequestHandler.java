package com.amazonaws.services.lambda.runtime;

/**
 * A handler whose event is deserialised to I and whose result is serialised
 * from O. As in aws-lambda-java-core.
 */
public interface RequestHandler<I, O> {
    O handleRequest(I input, Context context);
}
