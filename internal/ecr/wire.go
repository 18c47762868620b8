package ecr

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"time"
)

// The wire shapes of ECR's model (awsJson 1.1, camelCase members, Tag's Key
// and Value capitalized), as aws-sdk-go-v2/service/ecr serializes them.

// input is the union of the operations' request members.
type input struct {
	RegistryID                 string                      `json:"registryId"`
	RepositoryName             string                      `json:"repositoryName"`
	RepositoryNames            []string                    `json:"repositoryNames"`
	ImageTagMutability         string                      `json:"imageTagMutability"`
	Tags                       []tag                       `json:"tags"`
	EncryptionConfiguration    *encryptionConfig           `json:"encryptionConfiguration"`
	ImageScanningConfiguration *scanningConfig             `json:"imageScanningConfiguration"`
	Force                      bool                        `json:"force"`
	MaxResults                 *int                        `json:"maxResults"`
	NextToken                  string                      `json:"nextToken"`
	Filter                     *struct{ TagStatus string } `json:"filter"`
	ImageIDs                   []imageID                   `json:"imageIds"`
	AcceptedMediaTypes         []string                    `json:"acceptedMediaTypes"`
	ImageManifest              string                      `json:"imageManifest"`
	ImageManifestMediaType     string                      `json:"imageManifestMediaType"`
	ImageTag                   string                      `json:"imageTag"`
	ImageDigest                string                      `json:"imageDigest"`
	LifecyclePolicyText        string                      `json:"lifecyclePolicyText"`
	PolicyText                 string                      `json:"policyText"`
	ResourceArn                string                      `json:"resourceArn"`
	TagKeys                    []string                    `json:"tagKeys"`
}

type tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type encryptionConfig struct {
	EncryptionType string `json:"encryptionType"`
	KmsKey         string `json:"kmsKey,omitempty"`
}

type scanningConfig struct {
	ScanOnPush bool `json:"scanOnPush"`
}

type imageID struct {
	ImageDigest string `json:"imageDigest,omitempty"`
	ImageTag    string `json:"imageTag,omitempty"`
}

type repositoryOut struct {
	RepositoryArn              string           `json:"repositoryArn"`
	RegistryID                 string           `json:"registryId"`
	RepositoryName             string           `json:"repositoryName"`
	RepositoryURI              string           `json:"repositoryUri"`
	CreatedAt                  epoch            `json:"createdAt"`
	ImageTagMutability         string           `json:"imageTagMutability"`
	ImageScanningConfiguration scanningConfig   `json:"imageScanningConfiguration"`
	EncryptionConfiguration    encryptionConfig `json:"encryptionConfiguration"`
}

type imageDetail struct {
	RegistryID             string   `json:"registryId"`
	RepositoryName         string   `json:"repositoryName"`
	ImageDigest            string   `json:"imageDigest"`
	ImageTags              []string `json:"imageTags,omitempty"`
	ImageSizeInBytes       int64    `json:"imageSizeInBytes"`
	ImagePushedAt          epoch    `json:"imagePushedAt"`
	ImageManifestMediaType string   `json:"imageManifestMediaType,omitempty"`
	ArtifactMediaType      string   `json:"artifactMediaType,omitempty"`
}

type image struct {
	RegistryID             string  `json:"registryId"`
	RepositoryName         string  `json:"repositoryName"`
	ImageID                imageID `json:"imageId"`
	ImageManifest          string  `json:"imageManifest"`
	ImageManifestMediaType string  `json:"imageManifestMediaType,omitempty"`
}

type imageFailure struct {
	ImageID       imageID `json:"imageId"`
	FailureCode   string  `json:"failureCode"`
	FailureReason string  `json:"failureReason"`
}

// epoch is a timestamp as awsJson writes it: seconds since the epoch, with
// milliseconds as the fraction.
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	return json.Marshal(math.Round(float64(time.Time(e).UnixMilli())) / 1000)
}

// pageToken and readPageToken make the opaque nextToken of a listing: the
// offset of the next item. Listings are sorted, so an offset names the same
// place unless the list changed in between, as ECR's tokens do not promise
// either.
func pageToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o" + strconv.Itoa(offset)))
}

func readPageToken(tok string) (int, bool) {
	if tok == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) < 2 || b[0] != 'o' {
		return 0, false
	}
	n, err := strconv.Atoi(string(b[1:]))
	return n, err == nil && n >= 0
}

// page cuts one page of n items from the offset tok names, with maxResults
// bounded to [1, limit] (default def). It returns the range and the next
// token ("" on the last page).
func page(n int, tok string, maxResults *int, def, limit int) (lo, hi int, next string, err error) {
	off, ok := readPageToken(tok)
	if !ok {
		return 0, 0, "", errInvalidToken()
	}
	size := def
	if maxResults != nil {
		if *maxResults < 1 || *maxResults > limit {
			return 0, 0, "", errValidation(*maxResults, "maxResults", "Member must have value between 1 and "+strconv.Itoa(limit))
		}
		size = *maxResults
	}
	lo = min(off, n)
	hi = min(lo+size, n)
	if hi < n {
		next = pageToken(hi)
	}
	return lo, hi, next, nil
}
