package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// boto3Transfers is run by Debian's python3 with its python3-boto3: upload_file and
// download_file above the 8 MB multipart threshold, with several threads each way,
// then a plain put_object/get_object, and the error a missing key gives.
const boto3Transfers = `
import hashlib, os, sys
import boto3, botocore
from boto3.s3.transfer import TransferConfig

endpoint, workdir = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
s3.create_bucket(Bucket="boto")
src = os.path.join(workdir, "big.bin")
with open(src, "wb") as f:
    f.write(os.urandom(24 * 1024 * 1024))
cfg = TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024, max_concurrency=4)
s3.upload_file(src, "boto", "dir/big.bin", Config=cfg)
head = s3.head_object(Bucket="boto", Key="dir/big.bin")
assert head["ContentLength"] == 24 * 1024 * 1024, head
assert head["ETag"].endswith('-3"'), head["ETag"]
dst = os.path.join(workdir, "big.copy")
s3.download_file("boto", "dir/big.bin", dst, Config=cfg)
digest = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
assert digest(src) == digest(dst), "downloaded bytes differ"

s3.put_object(Bucket="boto", Key="hello.txt", Body=b"hello", ContentType="text/plain", Metadata={"color": "blue"})
got = s3.get_object(Bucket="boto", Key="hello.txt")
assert got["Body"].read() == b"hello"
assert got["ContentType"] == "text/plain", got["ContentType"]
assert got["Metadata"] == {"color": "blue"}, got["Metadata"]
keys = [o["Key"] for o in s3.list_objects_v2(Bucket="boto")["Contents"]]
assert keys == ["dir/big.bin", "hello.txt"], keys
try:
    s3.get_object(Bucket="boto", Key="missing")
    raise SystemExit("get_object of a missing key succeeded")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "NoSuchKey", e.response
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 404
print("ok")
`

// TestS3Boto3Transfers checks S3 through boto3's managed transfers, as Python
// users move files.
func TestS3Boto3Transfers(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import boto3").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("Debian's python3-boto3 is not installed")
		}
		t.Skip("Debian's python3-boto3 is not installed")
	}
	ts := startServer(t, "")
	dir := t.TempDir()
	script := filepath.Join(dir, "transfers.py")
	if err := os.WriteFile(script, []byte(boto3Transfers), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/python3", script, ts.URL, dir)
	cmd.Env = append(os.Environ(), "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasSuffix(strings.TrimSpace(string(out)), "ok") {
		t.Fatalf("boto3 transfers: %v\n%s", err, out)
	}
}
