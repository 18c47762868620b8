package ecr

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/stratus-run/stratus/internal/registry"
)

func toRegistryIDs(ids []imageID) []registry.ImageID {
	out := make([]registry.ImageID, len(ids))
	for i, id := range ids {
		out[i] = registry.ImageID{Digest: id.ImageDigest, Tag: id.ImageTag}
	}
	return out
}

func fromRegistryID(id registry.ImageID) imageID {
	return imageID{ImageDigest: id.Digest, ImageTag: id.Tag}
}

// failure renders one id a batch could not serve, with ECR's failure codes.
func failure(f registry.ImageFailure) imageFailure {
	out := imageFailure{ImageID: fromRegistryID(f.ID), FailureCode: "ImageNotFound", FailureReason: "Requested image not found"}
	if errors.Is(f.Err, registry.ErrInvalidParameter) {
		out.FailureCode, out.FailureReason = "MissingDigestAndTag", "Invalid request parameters: both tag and digest cannot be null"
	}
	return out
}

func checkTagStatus(in *input) (string, error) {
	if in.Filter == nil || in.Filter.TagStatus == "" {
		return "ANY", nil
	}
	switch in.Filter.TagStatus {
	case "TAGGED", "UNTAGGED", "ANY":
		return in.Filter.TagStatus, nil
	}
	return "", errValidation(in.Filter.TagStatus, "filter.tagStatus", "Member must satisfy enum value set: [TAGGED, UNTAGGED, ANY]")
}

func (s *Service) listImages(ctx context.Context, r *http.Request, in *input) (any, error) {
	if err := checkName(in.RepositoryName); err != nil {
		return nil, err
	}
	status, err := checkTagStatus(in)
	if err != nil {
		return nil, err
	}
	ids, err := s.Registry.ListImages(ctx, in.RepositoryName)
	if err != nil {
		return nil, repoErr(err, in.RepositoryName, s.Account)
	}
	ids = slices.DeleteFunc(ids, func(id registry.ImageID) bool {
		return (status == "TAGGED" && id.Tag == "") || (status == "UNTAGGED" && id.Tag != "")
	})
	lo, hi, next, err := page(len(ids), in.NextToken, in.MaxResults, 100, 1000)
	if err != nil {
		return nil, err
	}
	out := []imageID{}
	for _, id := range ids[lo:hi] {
		out = append(out, fromRegistryID(id))
	}
	return map[string]any{"imageIds": out, "nextToken": omitEmpty(next)}, nil
}

func (s *Service) detail(repo string, im registry.Image) imageDetail {
	return imageDetail{RegistryID: s.Account, RepositoryName: repo, ImageDigest: im.Digest, ImageTags: im.Tags,
		ImageSizeInBytes: im.Size, ImagePushedAt: epoch(im.PushedAt), ImageManifestMediaType: im.MediaType, ArtifactMediaType: im.ArtifactType}
}

func (s *Service) describeImages(ctx context.Context, r *http.Request, in *input) (any, error) {
	if err := checkName(in.RepositoryName); err != nil {
		return nil, err
	}
	status, err := checkTagStatus(in)
	if err != nil {
		return nil, err
	}
	if len(in.ImageIDs) > 0 && (in.NextToken != "" || in.MaxResults != nil) {
		return nil, errInvalidParameter("Invalid parameter: maxResults and nextToken cannot be specified with imageIds")
	}
	images, fails, err := s.Registry.DescribeImages(ctx, in.RepositoryName, toRegistryIDs(in.ImageIDs))
	if err != nil {
		return nil, repoErr(err, in.RepositoryName, s.Account)
	}
	// DescribeImages, unlike the batch operations, fails on the first id
	// that names nothing.
	if len(fails) > 0 {
		if errors.Is(fails[0].Err, registry.ErrInvalidParameter) {
			return nil, errInvalidParameter("Invalid parameter at 'imageIds' failed to satisfy constraint: 'image identifier must contain either a digest or a tag'")
		}
		return nil, errImageNotFound(fromRegistryID(fails[0].ID), in.RepositoryName, s.Account)
	}
	images = slices.DeleteFunc(images, func(im registry.Image) bool {
		return (status == "TAGGED" && len(im.Tags) == 0) || (status == "UNTAGGED" && len(im.Tags) > 0)
	})
	lo, hi, next, err := page(len(images), in.NextToken, in.MaxResults, 100, 1000)
	if err != nil {
		return nil, err
	}
	out := []imageDetail{}
	for _, im := range images[lo:hi] {
		out = append(out, s.detail(in.RepositoryName, im))
	}
	return map[string]any{"imageDetails": out, "nextToken": omitEmpty(next)}, nil
}

func checkImageIDs(ids []imageID) error {
	if len(ids) == 0 || len(ids) > 100 {
		return errValidation(len(ids), "imageIds", "Member must have length less than or equal to 100 and greater than or equal to 1")
	}
	return nil
}

func (s *Service) batchGetImage(ctx context.Context, r *http.Request, in *input) (any, error) {
	if err := checkName(in.RepositoryName); err != nil {
		return nil, err
	}
	if err := checkImageIDs(in.ImageIDs); err != nil {
		return nil, err
	}
	got, fails, err := s.Registry.BatchGetImage(ctx, in.RepositoryName, toRegistryIDs(in.ImageIDs))
	if err != nil {
		return nil, repoErr(err, in.RepositoryName, s.Account)
	}
	images, failures := []image{}, []imageFailure{}
	for _, m := range got {
		// Stratus stores manifests as pushed and converts none, so a
		// manifest of a type the client does not accept is a failure.
		if len(in.AcceptedMediaTypes) > 0 && !slices.Contains(in.AcceptedMediaTypes, m.MediaType) {
			failures = append(failures, imageFailure{ImageID: fromRegistryID(m.ID), FailureCode: "UnsupportedImageType",
				FailureReason: "The image's manifest media type " + m.MediaType + " is not among the accepted media types"})
			continue
		}
		images = append(images, image{RegistryID: s.Account, RepositoryName: in.RepositoryName, ImageID: fromRegistryID(m.ID),
			ImageManifest: string(m.Manifest), ImageManifestMediaType: m.MediaType})
	}
	for _, f := range fails {
		failures = append(failures, failure(f))
	}
	return map[string]any{"images": images, "failures": failures}, nil
}

func (s *Service) batchDeleteImage(ctx context.Context, r *http.Request, in *input) (any, error) {
	if err := checkName(in.RepositoryName); err != nil {
		return nil, err
	}
	if err := checkImageIDs(in.ImageIDs); err != nil {
		return nil, err
	}
	deleted, fails, err := s.Registry.BatchDeleteImage(ctx, in.RepositoryName, toRegistryIDs(in.ImageIDs))
	if err != nil {
		return nil, repoErr(err, in.RepositoryName, s.Account)
	}
	ids, failures := []imageID{}, []imageFailure{}
	for _, id := range deleted {
		ids = append(ids, fromRegistryID(id))
	}
	for _, f := range fails {
		failures = append(failures, failure(f))
	}
	return map[string]any{"imageIds": ids, "failures": failures}, nil
}

func (s *Service) putImage(ctx context.Context, r *http.Request, in *input) (any, error) {
	if err := checkName(in.RepositoryName); err != nil {
		return nil, err
	}
	if in.ImageManifest == "" {
		return nil, errValidation("null", "imageManifest", "Member must not be null")
	}
	id, err := s.Registry.PutImage(ctx, in.RepositoryName, in.ImageManifestMediaType, []byte(in.ImageManifest), in.ImageTag, in.ImageDigest)
	switch {
	case errors.Is(err, registry.ErrImageAlreadyExists):
		dg := in.ImageDigest
		if dg == "" {
			dg = digestOf(in.ImageManifest)
		}
		return nil, errImageExists(imageID{ImageDigest: dg, ImageTag: in.ImageTag}, in.RepositoryName, s.Account)
	case errors.Is(err, registry.ErrImageTagAlreadyExists):
		return nil, errImageTagExists(in.ImageTag, in.RepositoryName)
	case err != nil:
		return nil, repoErr(err, in.RepositoryName, s.Account)
	}
	mt := in.ImageManifestMediaType
	if mt == "" {
		if ims, _, err := s.Registry.DescribeImages(ctx, in.RepositoryName, []registry.ImageID{{Digest: id.Digest}}); err == nil && len(ims) == 1 {
			mt = ims[0].MediaType
		}
	}
	return map[string]any{"image": image{RegistryID: s.Account, RepositoryName: in.RepositoryName, ImageID: fromRegistryID(id),
		ImageManifest: in.ImageManifest, ImageManifestMediaType: mt}}, nil
}
