package com.amazonaws.services.lambda.runtime;

/** The Amazon Cognito identity of the caller, if any. As in aws-lambda-java-core. */
public interface CognitoIdentity {
    String getIdentityId();

    String getIdentityPoolId();
}
