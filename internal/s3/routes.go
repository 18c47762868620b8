package s3

import "net/http"

// op is a route's operation: its name in S3's API model and its handler.
type op struct {
	name string
	h    func(c *call) error
}

// Route table. A request is routed by method, by whether it names a bucket and a
// key, and by the first subresource in its query, as S3 does:
//
//	GET    /                                  ListBuckets
//	PUT    /b                                 CreateBucket
//	HEAD   /b                                 HeadBucket
//	DELETE /b                                 DeleteBucket
//	GET    /b?list-type=2 | /b                ListObjectsV2 | ListObjects
//	GET    /b?versions                        ListObjectVersions
//	GET    /b?uploads                         ListMultipartUploads
//	GET    /b?location                        GetBucketLocation
//	GET|PUT        /b?versioning              Get/PutBucketVersioning
//	GET|PUT|DELETE /b?tagging                 Get/Put/DeleteBucketTagging
//	GET|PUT|DELETE /b?cors                    Get/Put/DeleteBucketCors
//	GET|PUT|DELETE /b?policy                  Get/Put/DeleteBucketPolicy
//	GET|PUT|DELETE /b?lifecycle               Get/Put/DeleteBucketLifecycle(Configuration)
//	GET|PUT        /b?notification            Get/PutBucketNotificationConfiguration
//	GET|PUT        /b?acl                     Get/PutBucketAcl
//	POST   /b?delete                          DeleteObjects
//	POST   /b                                 PostObject (browser form upload)
//	PUT    /b/k                               PutObject, or CopyObject with x-amz-copy-source
//	GET    /b/k                               GetObject
//	HEAD   /b/k                               HeadObject
//	DELETE /b/k                               DeleteObject
//	GET|PUT|DELETE /b/k?tagging               Get/Put/DeleteObjectTagging
//	GET|PUT        /b/k?acl                   Get/PutObjectAcl
//	GET    /b/k?attributes                    GetObjectAttributes
//	POST   /b/k?uploads                       CreateMultipartUpload
//	PUT    /b/k?partNumber=N&uploadId=U       UploadPart, or UploadPartCopy with x-amz-copy-source
//	POST   /b/k?uploadId=U                    CompleteMultipartUpload
//	DELETE /b/k?uploadId=U                    AbortMultipartUpload
//	GET    /b/k?uploadId=U                    ListParts
//	OPTIONS /b[/k]                            CORS preflight (served before routing)
func (s *Service) route(c *call) (op, error) {
	m := c.r.Method
	has := func(sub string) bool { _, ok := c.q[sub]; return ok }
	switch {
	case c.bucket == "":
		if m == http.MethodGet {
			return op{"ListBuckets", s.listBuckets}, nil
		}
		return op{}, errMethodNotAllowed
	case c.key == "":
		if err := checkBucketName(c.bucket); err != nil && m != http.MethodPut {
			// S3 answers NoSuchBucket for names it could never have made, except
			// when creating one, which says why the name is wrong.
			return op{}, noSuchBucket(c.bucket)
		}
		return s.bucketRoute(c, m, has)
	}
	if err := checkKey(c.key); err != nil {
		return op{}, err
	}
	return s.objectRoute(c, m, has)
}

func (s *Service) bucketRoute(c *call, m string, has func(string) bool) (op, error) {
	sub := func(get, put, del op) (op, error) {
		switch m {
		case http.MethodGet:
			return get, nil
		case http.MethodPut:
			if put.h != nil {
				return put, nil
			}
		case http.MethodDelete:
			if del.h != nil {
				return del, nil
			}
		}
		return op{}, errMethodNotAllowed
	}
	switch {
	case has("versioning"):
		return sub(op{"GetBucketVersioning", s.getBucketVersioning}, op{"PutBucketVersioning", s.putBucketVersioning}, op{})
	case has("tagging"):
		return sub(op{"GetBucketTagging", s.getBucketTagging}, op{"PutBucketTagging", s.putBucketTagging}, op{"DeleteBucketTagging", s.deleteBucketTagging})
	case has("cors"):
		return sub(op{"GetBucketCors", s.getBucketCors}, op{"PutBucketCors", s.putBucketCors}, op{"DeleteBucketCors", s.deleteBucketCors})
	case has("policy"):
		return sub(op{"GetBucketPolicy", s.getBucketPolicy}, op{"PutBucketPolicy", s.putBucketPolicy}, op{"DeleteBucketPolicy", s.deleteBucketPolicy})
	case has("lifecycle"):
		return sub(op{"GetBucketLifecycleConfiguration", s.getBucketLifecycle}, op{"PutBucketLifecycleConfiguration", s.putBucketLifecycle}, op{"DeleteBucketLifecycle", s.deleteBucketLifecycle})
	case has("notification"):
		return sub(op{"GetBucketNotificationConfiguration", s.getBucketNotification}, op{"PutBucketNotificationConfiguration", s.putBucketNotification}, op{})
	case has("acl"):
		return sub(op{"GetBucketAcl", s.getBucketACL}, op{"PutBucketAcl", s.putBucketACL}, op{})
	case has("location"):
		return sub(op{"GetBucketLocation", s.getBucketLocation}, op{}, op{})
	case has("versions"):
		return sub(op{"ListObjectVersions", s.listObjectVersions}, op{}, op{})
	case has("uploads"):
		return sub(op{"ListMultipartUploads", s.listMultipartUploads}, op{}, op{})
	case has("delete"):
		if m == http.MethodPost {
			return op{"DeleteObjects", s.deleteObjects}, nil
		}
		return op{}, errMethodNotAllowed
	}
	switch m {
	case http.MethodGet:
		if c.q.Get("list-type") == "2" {
			return op{"ListObjectsV2", s.listObjectsV2}, nil
		}
		return op{"ListObjects", s.listObjects}, nil
	case http.MethodPut:
		return op{"CreateBucket", s.createBucket}, nil
	case http.MethodHead:
		return op{"HeadBucket", s.headBucket}, nil
	case http.MethodDelete:
		return op{"DeleteBucket", s.deleteBucket}, nil
	case http.MethodPost:
		return op{"PostObject", s.postObject}, nil
	}
	return op{}, errMethodNotAllowed
}

func (s *Service) objectRoute(c *call, m string, has func(string) bool) (op, error) {
	copySource := c.r.Header.Get("X-Amz-Copy-Source") != ""
	switch {
	case has("tagging"):
		switch m {
		case http.MethodGet:
			return op{"GetObjectTagging", s.getObjectTagging}, nil
		case http.MethodPut:
			return op{"PutObjectTagging", s.putObjectTagging}, nil
		case http.MethodDelete:
			return op{"DeleteObjectTagging", s.deleteObjectTagging}, nil
		}
	case has("acl"):
		switch m {
		case http.MethodGet:
			return op{"GetObjectAcl", s.getObjectACL}, nil
		case http.MethodPut:
			return op{"PutObjectAcl", s.putObjectACL}, nil
		}
	case has("attributes"):
		if m == http.MethodGet {
			return op{"GetObjectAttributes", s.getObjectAttributes}, nil
		}
	case has("uploads"):
		if m == http.MethodPost {
			return op{"CreateMultipartUpload", s.createMultipartUpload}, nil
		}
	case has("uploadId"):
		switch m {
		case http.MethodPut:
			if copySource {
				return op{"UploadPartCopy", s.uploadPartCopy}, nil
			}
			return op{"UploadPart", s.uploadPart}, nil
		case http.MethodPost:
			return op{"CompleteMultipartUpload", s.completeMultipartUpload}, nil
		case http.MethodDelete:
			return op{"AbortMultipartUpload", s.abortMultipartUpload}, nil
		case http.MethodGet:
			return op{"ListParts", s.listParts}, nil
		}
	default:
		switch m {
		case http.MethodPut:
			if copySource {
				return op{"CopyObject", s.copyObject}, nil
			}
			return op{"PutObject", s.putObject}, nil
		case http.MethodGet:
			return op{"GetObject", s.getObject}, nil
		case http.MethodHead:
			return op{"HeadObject", s.headObject}, nil
		case http.MethodDelete:
			return op{"DeleteObject", s.deleteObject}, nil
		}
	}
	return op{}, errMethodNotAllowed
}
