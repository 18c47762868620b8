package s3

import (
	"crypto/sha1" //nolint:gosec // SHA1 is one of S3's checksum algorithms, not a security measure
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"net/textproto"
	"strings"
)

// S3's flexible checksums ("Checking object integrity" in the S3 User Guide): an
// object carries one, named by its algorithm, base64 of the big-endian digest. The
// CRCs can be combined across parts into the checksum of the whole object
// (FULL_OBJECT); every algorithm can be composed as the checksum of the parts'
// checksums (COMPOSITE, written "base64-N").

// Checksum algorithms, as S3 spells them.
const (
	algoCRC32     = "CRC32"
	algoCRC32C    = "CRC32C"
	algoCRC64NVME = "CRC64NVME"
	algoSHA1      = "SHA1"
	algoSHA256    = "SHA256"
)

// Checksum types.
const (
	typeFullObject = "FULL_OBJECT"
	typeComposite  = "COMPOSITE"
)

// crc64NVMEPoly is the NVMe CRC-64 polynomial (0xad93d23594c93659) in the
// reflected form hash/crc64 takes, as aws-sdk-go-v2's internal/checksum has it.
const crc64NVMEPoly = 0x9a6c9329ac4bc9b5

var (
	castagnoli   = crc32.MakeTable(crc32.Castagnoli)
	crc64NVMETab = crc64.MakeTable(crc64NVMEPoly)
)

// algorithms lists what Stratus computes, in the order S3 lists them in errors.
var algorithms = []string{algoCRC32, algoCRC32C, algoCRC64NVME, algoSHA1, algoSHA256}

// errUnsupportedAlgorithm is S3's answer to an algorithm it does not know.
var errUnsupportedAlgorithm = invalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")

// parseAlgorithm returns the algorithm a header names (any case), or false.
func parseAlgorithm(s string) (string, bool) {
	u := strings.ToUpper(strings.TrimSpace(s))
	for _, a := range algorithms {
		if a == u {
			return a, true
		}
	}
	return "", false
}

// newChecksum returns a hash for algo, which must be one of algorithms.
func newChecksum(algo string) hash.Hash {
	switch algo {
	case algoCRC32:
		return crc32.NewIEEE()
	case algoCRC32C:
		return crc32.New(castagnoli)
	case algoCRC64NVME:
		return crc64.New(crc64NVMETab)
	case algoSHA1:
		return sha1.New() //nolint:gosec
	case algoSHA256:
		return sha256.New()
	}
	panic("s3: unknown checksum algorithm " + algo)
}

// checksumSize is the digest length of algo in bytes.
func checksumSize(algo string) int {
	switch algo {
	case algoCRC32, algoCRC32C:
		return 4
	case algoCRC64NVME:
		return 8
	case algoSHA1:
		return 20
	case algoSHA256:
		return 32
	}
	return 0
}

// isCRC reports whether algo's checksums combine into a full-object checksum.
func isCRC(algo string) bool {
	return algo == algoCRC32 || algo == algoCRC32C || algo == algoCRC64NVME
}

// checksumHeader is the header (and the trailer) that carries algo, in its
// canonical form so it can index an http.Header.
func checksumHeader(algo string) string {
	return textproto.CanonicalMIMEHeaderKey("X-Amz-Checksum-" + strings.ToLower(algo))
}

// checksumElement is the XML element and SDK member name for algo's value.
func checksumElement(algo string) string { return "Checksum" + algo }

// decodeChecksum decodes a base64 checksum of algo; ok=false when it is not
// base64 or not of algo's length.
func decodeChecksum(algo, value string) ([]byte, bool) {
	b, err := base64.StdEncoding.DecodeString(value)
	if err != nil || len(b) != checksumSize(algo) {
		return nil, false
	}
	return b, true
}

// compositeChecksum returns S3's checksum of checksums, "base64(H(c1..cn))-n",
// from the parts' base64 checksums.
func compositeChecksum(algo string, parts []string) string {
	h := newChecksum(algo)
	for _, p := range parts {
		b, _ := base64.StdEncoding.DecodeString(p)
		h.Write(b)
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-" + itoa(len(parts))
}

// fullObjectCRC combines the parts' base64 CRCs, with their sizes, into the
// base64 CRC of their concatenation.
func fullObjectCRC(algo string, parts []string, sizes []int64) string {
	var poly uint64
	bits := 32
	switch algo {
	case algoCRC32:
		poly = uint64(crc32.IEEE)
	case algoCRC32C:
		poly = uint64(crc32.Castagnoli)
	case algoCRC64NVME:
		poly, bits = crc64NVMEPoly, 64
	}
	var crc uint64
	for i, p := range parts {
		b, _ := base64.StdEncoding.DecodeString(p)
		var c uint64
		if bits == 32 && len(b) == 4 {
			c = uint64(binary.BigEndian.Uint32(b))
		} else if len(b) == 8 {
			c = binary.BigEndian.Uint64(b)
		}
		if i == 0 {
			crc = c
			continue
		}
		crc = crcCombine(poly, bits, crc, c, sizes[i])
	}
	var out []byte
	if bits == 32 {
		out = binary.BigEndian.AppendUint32(nil, uint32(crc))
	} else {
		out = binary.BigEndian.AppendUint64(nil, crc)
	}
	return base64.StdEncoding.EncodeToString(out)
}

// crcCombine returns the CRC of A||B from crc1 = CRC(A), crc2 = CRC(B) and
// len2 = len(B), for a reflected CRC of bits bits with poly (reflected) whose
// initial value and final xor are all ones, as zlib's crc32_combine does: crc1
// is carried through len2 zero bytes by repeated squaring of the operator
// matrix over GF(2).
func crcCombine(poly uint64, bits int, crc1, crc2 uint64, len2 int64) uint64 {
	if len2 <= 0 {
		return crc1
	}
	var even, odd [64]uint64
	odd[0] = poly // the operator for one zero bit
	row := uint64(1)
	for n := 1; n < bits; n++ {
		odd[n] = row
		row <<= 1
	}
	gf2Square(even[:bits], odd[:bits]) // two zero bits
	gf2Square(odd[:bits], even[:bits]) // four zero bits
	for {
		gf2Square(even[:bits], odd[:bits])
		if len2&1 != 0 {
			crc1 = gf2Times(even[:bits], crc1)
		}
		if len2 >>= 1; len2 == 0 {
			break
		}
		gf2Square(odd[:bits], even[:bits])
		if len2&1 != 0 {
			crc1 = gf2Times(odd[:bits], crc1)
		}
		if len2 >>= 1; len2 == 0 {
			break
		}
	}
	return crc1 ^ crc2
}

func gf2Times(mat []uint64, vec uint64) uint64 {
	var sum uint64
	for i := 0; vec != 0 && i < len(mat); i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func gf2Square(square, mat []uint64) {
	for n := range mat {
		square[n] = gf2Times(mat, mat[n])
	}
}
