package codedeploy

import (
	"fmt"
	"net/http"

	"github.com/stratus-run/stratus/internal/awsproto"
)

// CodeDeploy's error catalogue (awsJson 1.1): every client error is HTTP 400
// with the exception's shape name as its code. Messages follow what
// CodeDeploy answers where it is known, and its API reference's wording
// elsewhere.

func cdErr(code, format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, code, format, args...)
}

var (
	errUnknownOperation = cdErr("UnknownOperationException", "The requested operation is not available on this endpoint.")

	errApplicationNameRequired     = cdErr("ApplicationNameRequiredException", "The minimum number of required application names was not specified.")
	errDeploymentGroupNameRequired = cdErr("DeploymentGroupNameRequiredException", "The deployment group name was not specified.")
	errDeploymentConfigNameReq     = cdErr("DeploymentConfigNameRequiredException", "The deployment configuration name was not specified.")
	errDeploymentIDRequired        = cdErr("DeploymentIdRequiredException", "At least one deployment ID must be specified.")
	errRoleRequired                = cdErr("RoleRequiredException", "The role ID was not specified.")
	errRevisionRequired            = cdErr("RevisionRequiredException", "The revision ID was not specified.")
	errTargetIDRequired            = cdErr("DeploymentTargetIdRequiredException", "A deployment target ID was not provided.")
	errHookIDInvalid               = cdErr("InvalidLifecycleEventHookExecutionIdException", "A lifecycle event hook is invalid. Review the hooks section in your AppSpec file to ensure the lifecycle events and hooks functions are valid.")
	errHookStatusInvalid           = cdErr("InvalidLifecycleEventHookExecutionStatusException", "The result of a Lambda validation function that verifies a lifecycle event is invalid. It should return Succeeded or Failed.")
	errHookCompleted               = cdErr("LifecycleEventAlreadyCompletedException", "An attempt to return the status of an already completed lifecycle event occurred.")
	errBatchLimit                  = cdErr("BatchLimitExceededException", "The maximum number of names or IDs allowed for this request (100) was exceeded.")
	errInvalidNextToken            = cdErr("InvalidNextTokenException", "The next token was specified in an invalid format.")
	errInvalidTimeRange            = cdErr("InvalidTimeRangeException", "The specified time range was specified in an invalid format.")
	errPredefinedConfig            = cdErr("InvalidOperationException", "The predefined deployment configurations cannot be deleted.")
)

func errApplicationNotFound(name string) *awsproto.Error {
	return cdErr("ApplicationDoesNotExistException", "No application found for name: %s", name)
}

func errApplicationExists(name string) *awsproto.Error {
	return cdErr("ApplicationAlreadyExistsException", "The application %s already exists with the applicable IAM user or AWS account.", name)
}

func errInvalidApplicationName(name string) *awsproto.Error {
	return cdErr("InvalidApplicationNameException", "The application name %q was specified in an invalid format.", name)
}

func errComputePlatform(p string) *awsproto.Error {
	return cdErr("InvalidComputePlatformException", "The computePlatform %q is not supported: Stratus serves the Lambda compute platform only.", p)
}

func errGroupNotFound(name string) *awsproto.Error {
	return cdErr("DeploymentGroupDoesNotExistException", "No Deployment Group found for name: %s", name)
}

func errGroupExists(name string) *awsproto.Error {
	return cdErr("DeploymentGroupAlreadyExistsException", "A deployment group with the name %s already exists with the applicable IAM user or AWS account.", name)
}

func errInvalidGroupName(name string) *awsproto.Error {
	return cdErr("InvalidDeploymentGroupNameException", "The deployment group name %q was specified in an invalid format.", name)
}

func errInvalidConfigName(format string, args ...any) *awsproto.Error {
	return cdErr("InvalidDeploymentConfigNameException", format, args...)
}

func errConfigNotFound(name string) *awsproto.Error {
	return cdErr("DeploymentConfigDoesNotExistException", "No deployment configuration found for name: %s", name)
}

func errConfigExists(name string) *awsproto.Error {
	return cdErr("DeploymentConfigAlreadyExistsException", "A deployment configuration with the name %s already exists with the applicable IAM user or AWS account.", name)
}

func errConfigInUse(name string) *awsproto.Error {
	return cdErr("DeploymentConfigInUseException", "The deployment configuration %s is still in use.", name)
}

func errTrafficRouting(format string, args ...any) *awsproto.Error {
	return cdErr("InvalidTrafficRoutingConfigurationException", format, args...)
}

func errDeploymentStyle(format string, args ...any) *awsproto.Error {
	return cdErr("InvalidDeploymentStyleException", format, args...)
}

func errAlarmConfig(format string, args ...any) *awsproto.Error {
	return cdErr("InvalidAlarmConfigException", format, args...)
}

func errAutoRollbackConfig(format string, args ...any) *awsproto.Error {
	return cdErr("InvalidAutoRollbackConfigException", format, args...)
}

func errInvalidRole(arn string) *awsproto.Error {
	return cdErr("InvalidRoleException", "The service role ARN %s was specified in an invalid format.", arn)
}

func errInvalidRevision(format string, args ...any) *awsproto.Error {
	return cdErr("InvalidRevisionException", format, args...)
}

func errDeploymentNotFound(id string) *awsproto.Error {
	return cdErr("DeploymentDoesNotExistException", "The deployment %s could not be found", id)
}

func errInvalidDeploymentID(id string) *awsproto.Error {
	return cdErr("InvalidDeploymentIdException", "The deployment ID %q was specified in an invalid format.", id)
}

func errDeploymentCompleted(id string) *awsproto.Error {
	return cdErr("DeploymentAlreadyCompletedException", "The deployment %s is already completed.", id)
}

func errDeploymentActive(group, id string) *awsproto.Error {
	return cdErr("DeploymentLimitExceededException", "The Deployment Group '%s' already has an active Deployment '%s'", group, id)
}

func errInvalidStatus(s string) *awsproto.Error {
	return cdErr("InvalidDeploymentStatusException", "The deployment status %q is invalid.", s)
}

func errTargetNotFound(id string) *awsproto.Error {
	return cdErr("DeploymentTargetDoesNotExistException", "The deployment target %s does not exist.", id)
}

func errInvalidInput(format string, args ...any) *awsproto.Error {
	return cdErr("InvalidInputException", "%s", fmt.Sprintf(format, args...))
}
