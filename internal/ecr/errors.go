package ecr

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/stratus-run/stratus/internal/awsproto"
	"github.com/stratus-run/stratus/internal/registry"
)

// ECR's error catalogue (awsJson 1.1): every client error is HTTP 400 with
// the exception's shape name as its code, worded as ECR words it.

func ecrErr(code, format string, args ...any) *awsproto.Error {
	return awsproto.Errorf(http.StatusBadRequest, code, format, args...)
}

var errUnknownOperation = ecrErr("UnknownOperationException", "The requested operation is not available on this endpoint.")

func errRepositoryNotFound(name, account string) *awsproto.Error {
	return ecrErr("RepositoryNotFoundException", "The repository with name '%s' does not exist in the registry with id '%s'", name, account)
}

func errRepositoryExists(name, account string) *awsproto.Error {
	return ecrErr("RepositoryAlreadyExistsException", "The repository with name '%s' already exists in the registry with id '%s'", name, account)
}

func errRepositoryNotEmpty(name, account string) *awsproto.Error {
	return ecrErr("RepositoryNotEmptyException", "The repository with name '%s' in registry with id '%s' cannot be deleted because it still contains images", name, account)
}

func errImageNotFound(id imageID, name, account string) *awsproto.Error {
	return ecrErr("ImageNotFoundException", "The image with imageId {imageDigest:'%s', imageTag:'%s'} does not exist within the repository with name '%s' in the registry with id '%s'",
		orNull(id.ImageDigest), orNull(id.ImageTag), name, account)
}

func errImageExists(id imageID, name, account string) *awsproto.Error {
	return ecrErr("ImageAlreadyExistsException", "Image with digest '%s' and tag '%s' already exists in the repository with name '%s' in registry with id '%s'",
		id.ImageDigest, id.ImageTag, name, account)
}

func errImageTagExists(tag, name string) *awsproto.Error {
	return ecrErr("ImageTagAlreadyExistsException", "The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable.", tag, name)
}

func errLayersNotFound(name, account string) *awsproto.Error {
	return ecrErr("LayersNotFoundException", "Layers required for pushing image into repository with name '%s' in registry with id '%s' do not exist. Upload them first.", name, account)
}

func errLifecyclePolicyNotFound(name, account string) *awsproto.Error {
	return ecrErr("LifecyclePolicyNotFoundException", "Lifecycle policy does not exist for the repository with name '%s' in the registry with id '%s'", name, account)
}

func errPreviewNotFound(name, account string) *awsproto.Error {
	return ecrErr("LifecyclePolicyPreviewNotFoundException", "There is no dry run for the repository with name '%s' in the registry with id '%s'", name, account)
}

func errRepositoryPolicyNotFound(name, account string) *awsproto.Error {
	return ecrErr("RepositoryPolicyNotFoundException", "Repository policy does not exist for the repository with name '%s' in the registry with id '%s'", name, account)
}

func errInvalidParameter(format string, args ...any) *awsproto.Error {
	return ecrErr("InvalidParameterException", format, args...)
}

func errInvalidName() *awsproto.Error {
	return errInvalidParameter("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''")
}

func errInvalidToken() *awsproto.Error {
	return errInvalidParameter("Invalid parameter at 'nextToken' failed to satisfy constraint: 'must be a token from a previous response'")
}

func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

// repoErr maps the registry's errors about repository name onto ECR's;
// any other error is returned as it is (an *awsproto.Error, or an internal
// failure that renders as ServiceException).
func repoErr(err error, name, account string) error {
	switch {
	case errors.Is(err, registry.ErrRepositoryNotFound):
		return errRepositoryNotFound(name, account)
	case errors.Is(err, registry.ErrRepositoryExists):
		return errRepositoryExists(name, account)
	case errors.Is(err, registry.ErrRepositoryNotEmpty):
		return errRepositoryNotEmpty(name, account)
	case errors.Is(err, registry.ErrManifestBlobUnknown):
		return errLayersNotFound(name, account)
	case errors.Is(err, registry.ErrManifestInvalid), errors.Is(err, registry.ErrUnsupported):
		return errInvalidParameter("Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Invalid JSON syntax' (%s)", detail(err))
	case errors.Is(err, registry.ErrInvalidParameter):
		return errInvalidParameter("Invalid parameter: %s", strings.TrimPrefix(err.Error(), "registry: invalid parameter: "))
	}
	return err
}

func detail(err error) string {
	var e *registry.Error
	if errors.As(err, &e) && e.Detail != "" {
		return e.Detail
	}
	return fmt.Sprint(err)
}

func errValidation(value any, field, constraint string) *awsproto.Error {
	return awsproto.Validation(value, field, constraint)
}
