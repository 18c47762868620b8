package s3_test

import (
	"crypto/md5"
	"encoding/hex"

	"github.com/stratus-run/stratus/internal/s3/objstore"
)

// noCondition is the precondition that always holds.
var noCondition objstore.Condition

// putObject is an object as the object handlers would hand it to the store,
// its bytes inline.
func putObject(key, data string) objstore.Object {
	sum := md5.Sum([]byte(data))
	return objstore.Object{Key: key, Size: int64(len(data)), ETag: hex.EncodeToString(sum[:]),
		Data: objstore.Data{Inline: []byte(data), Size: int64(len(data))}}
}
