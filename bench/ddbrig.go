package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/stratus-run/stratus/internal/testfn"
)

// The DynamoDB benchmarks drive `stratus server` and dynalite (npm's
// LevelDB-backed DynamoDB, the peer a Node.js user picks) with the
// aws-sdk-go-v2 DynamoDB client (static credentials, no retries), against a
// raw loopback HTTP round trip carrying the same bytes as the baseline.

// DynamoDBTable is the table every DynamoDB benchmark creates on each server:
// hash key pk (S), range key sk (S), on demand.
const DynamoDBTable = "bench"

// DynamoDB operations, as DynamoDBRig.Parties takes them.
const (
	DDBGet   = "GetItem"
	DDBPut   = "PutItem"
	DDBQuery = "Query"
)

// DynaliteVersion is the npm version range the benchmarks install.
const DynaliteVersion = "dynalite@3"

// DynamoDBOptions configure OpenDynamoDB. The zero value builds Stratus and
// runs no dynalite.
type DynamoDBOptions struct {
	Root         string   // module root; empty means testfn.ModuleRoot()
	Stratus      string   // prebuilt stratus binary; empty means go build ./cmd/stratus
	StratusFlags []string // added to stratus server's flags, e.g. --cpu-profile FILE
	Dynalite     bool     // install (once, with npm) and run dynalite
	// ItemSize is the size of a GetItem's and PutItem's item (default 1 KiB);
	// Keys how many items a GetItem cycles through (default 1000); QueryItems
	// how many items of 100 bytes a Query returns (default 100).
	ItemSize, Keys, QueryItems int
}

// DynamoDBServer is one DynamoDB endpoint under test.
type DynamoDBServer struct {
	Name    string
	Process *Process
}

// Client is the benchmarks' DynamoDB client for s.
func (s *DynamoDBServer) Client(hc *http.Client) *dynamodb.Client {
	return NewDynamoDBClient(s.Process.URL, hc)
}

// NewDynamoDBClient is an aws-sdk-go-v2 DynamoDB client for endpoint over hc,
// with static credentials, retrying only what the SDK must: net/http's
// transport can close a kept-alive connection under a response still being
// read when the answer comes back before it has finished with the request
// (aws/aws-sdk-go-v2#2737, which made the SDK retry net.ErrClosed by default).
// Fast servers on loopback meet it every few dozen Query calls; any other
// failure counts as one.
func NewDynamoDBClient(endpoint string, hc *http.Client) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		BaseEndpoint: aws.String(endpoint),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("bench", "bench", ""),
		Retryer:      closedConnRetryer{aws.NopRetryer{}},
		HTTPClient:   hc,
	})
}

// closedConnRetryer retries a request, up to twice and after a millisecond,
// when its connection was closed under it, and nothing else. (The race is
// the client's own; an immediate retry tends to meet it again.)
type closedConnRetryer struct{ aws.NopRetryer }

func (closedConnRetryer) IsErrorRetryable(err error) bool { return errors.Is(err, net.ErrClosed) }
func (closedConnRetryer) MaxAttempts() int                { return 3 }
func (closedConnRetryer) RetryDelay(int, error) (time.Duration, error) {
	return time.Millisecond, nil
}

// DynamoDBRig is one DynamoDB comparison's fixtures: Stratus, dynalite and
// rawecho as child processes, with the benchmark table on each server. A
// server that could not start is nil and its error says why.
type DynamoDBRig struct {
	Stratus     *DynamoDBServer
	StratusErr  error
	Dynalite    *DynamoDBServer
	DynaliteErr error
	// DynaliteInfo is the installed dynalite's version and node's.
	DynaliteInfo string
	Raw          *Process

	o         DynamoDBOptions
	dir       string
	populated map[string]bool
}

// OpenDynamoDB builds and starts everything and creates the tables. Only a
// failure of the baseline is an error.
func OpenDynamoDB(ctx context.Context, o DynamoDBOptions) (_ *DynamoDBRig, err error) {
	if o.ItemSize <= 0 {
		o.ItemSize = 1 << 10
	}
	if o.Keys <= 0 {
		o.Keys = 1000
	}
	if o.QueryItems <= 0 {
		o.QueryItems = 100
	}
	if o.Root == "" {
		if o.Root, err = testfn.ModuleRoot(); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "stratus-ddbbench")
	if err != nil {
		return nil, err
	}
	r := &DynamoDBRig{o: o, dir: dir, populated: map[string]bool{}}
	defer func() {
		if err != nil {
			r.Close(context.Background()) //nolint:errcheck // reporting err
		}
	}()
	if r.Raw, err = startRawecho(ctx, o.Root, dir); err != nil {
		return nil, err
	}
	r.Stratus, r.StratusErr = r.startStratus(ctx)
	if o.Dynalite {
		r.Dynalite, r.DynaliteErr = r.startDynalite(ctx)
	} else {
		r.DynaliteErr = errors.New("not asked for")
	}
	return r, ctx.Err()
}

func (r *DynamoDBRig) startStratus(ctx context.Context) (*DynamoDBServer, error) {
	p, err := startStratusProcess(ctx, r.o.Root, r.o.Stratus, r.dir, filepath.Join(r.dir, "stratus-data"), r.o.StratusFlags)
	if err != nil {
		return nil, err
	}
	return r.withTable(ctx, &DynamoDBServer{Name: "stratus", Process: p})
}

func (r *DynamoDBRig) startDynalite(ctx context.Context) (*DynamoDBServer, error) {
	pkg, info, err := InstallDynalite(ctx)
	if err != nil {
		return nil, err
	}
	r.DynaliteInfo = info
	p, err := StartDynalite(ctx, time.Minute, pkg, filepath.Join(r.dir, "dynalite-data"))
	if err != nil {
		return nil, err
	}
	return r.withTable(ctx, &DynamoDBServer{Name: "dynalite", Process: p})
}

// withTable creates DynamoDBTable on s and waits until it is ACTIVE, or stops
// s and returns why it could not.
func (r *DynamoDBRig) withTable(ctx context.Context, s *DynamoDBServer) (*DynamoDBServer, error) {
	c := s.Client(NewHTTPClient(1))
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(DynamoDBTable),
		BillingMode: types.BillingModePayPerRequest,
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS},
		},
	})
	if err == nil {
		err = dynamodb.NewTableExistsWaiter(c, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 50 * time.Millisecond }).
			Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(DynamoDBTable)}, time.Minute)
	}
	if err != nil {
		s.Process.Close(context.Background()) //nolint:errcheck // reporting err
		return nil, fmt.Errorf("create table: %w", err)
	}
	return s, nil
}

// Close stops every server and removes the run's files.
func (r *DynamoDBRig) Close(ctx context.Context) error {
	var procs []*Process
	for _, s := range r.Servers() {
		procs = append(procs, s.Process)
	}
	return closeRig(ctx, r.dir, append(procs, r.Raw)...)
}

// Servers returns the servers that are up: Stratus, then dynalite.
func (r *DynamoDBRig) Servers() []*DynamoDBServer { return upServers(r.Stratus, r.Dynalite) }

// Parties returns the parties of one row: op at the given concurrency on
// each server that is up, and the raw round trip carrying a request's and an
// answer's bytes. A GetItem or Query row first writes what it reads, untimed.
func (r *DynamoDBRig) Parties(ctx context.Context, op string, clients int) ([]Party, error) {
	var ps []Party
	var rawBody []byte
	for _, s := range r.Servers() {
		c := s.Client(NewHTTPClient(clients))
		var call Caller
		var err error
		switch op {
		case DDBPut:
			call = DDBPutCaller(c, DynamoDBTable, fmt.Sprintf("put-c%d", clients), r.o.ItemSize)
		case DDBGet:
			if err = r.populate(ctx, s, c, "get", r.o.Keys, r.o.ItemSize); err == nil {
				call = DDBGetCaller(c, DynamoDBTable, "get", r.o.Keys, r.o.ItemSize)
			}
		case DDBQuery:
			if err = r.populate(ctx, s, c, "query", r.o.QueryItems, 100); err == nil {
				call = DDBQueryCaller(c, DynamoDBTable, "query", r.o.QueryItems)
			}
		default:
			return nil, fmt.Errorf("bench: DynamoDB operation %q", op)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: populate: %w", s.Name, err)
		}
		ps = append(ps, Party{Name: s.Name, Server: s.Process, Call: call})
	}
	switch op {
	case DDBQuery:
		rawBody = make([]byte, r.o.QueryItems*130)
	default:
		rawBody = make([]byte, r.o.ItemSize+100)
	}
	ps = append(ps, Party{Name: PartyRaw, Server: r.Raw, Call: RawPostCaller(NewHTTPClient(clients), r.Raw.URL+"/echo", rawBody)})
	return ps, nil
}

// populate writes n items under hash key pk (once per server), untimed.
func (r *DynamoDBRig) populate(ctx context.Context, s *DynamoDBServer, c *dynamodb.Client, pk string, n, size int) error {
	key := s.Name + "/" + pk
	if r.populated[key] {
		return nil
	}
	put := DDBPutCaller(c, DynamoDBTable, pk, size)
	for range n {
		if err := put(ctx); err != nil {
			return err
		}
	}
	r.populated[key] = true
	return nil
}

// InstallDynalite returns the directory of the dynalite package, installing
// DynaliteVersion with npm into the user's cache directory
// (stratus-bench/dynalite) the first time, and a line naming the installed
// version and node's. Its error says what npm said.
func InstallDynalite(ctx context.Context) (pkg, info string, err error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", "", err
	}
	dir := filepath.Join(base, "stratus-bench", "dynalite")
	pkg = filepath.Join(dir, "node_modules", "dynalite")
	if _, err := os.Stat(filepath.Join(pkg, "index.js")); err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", "", err
		}
		cmd := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--prefix", dir, DynaliteVersion)
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("bench: npm install %s: %w\n%s", DynaliteVersion, err, lastLines(string(out), 20))
		}
	}
	version := "?"
	if b, err := os.ReadFile(filepath.Join(pkg, "package.json")); err == nil {
		if i := strings.Index(string(b), `"version": "`); i >= 0 {
			rest := string(b)[i+len(`"version": "`):]
			version = rest[:strings.IndexByte(rest, '"')]
		}
	}
	node, _ := exec.CommandContext(ctx, "node", "--version").Output()
	return pkg, fmt.Sprintf("dynalite %s (npm, LevelDB on disk), node %s", version, strings.TrimSpace(string(node))), nil
}

// StartDynalite runs the dynalite package pkg on a free loopback port (its
// command line listens on every interface, so node runs it with a host),
// with its LevelDB in dataDir and tables ACTIVE at once, and waits until it
// answers.
func StartDynalite(ctx context.Context, timeout time.Duration, pkg, dataDir string) (*Process, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := strings.Cut(addr, ":")
	script := fmt.Sprintf(`require(%q)({path: %q, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0}).listen(%s, "127.0.0.1")`, pkg, dataDir, port)
	cmd := exec.Command("node", "-e", script)
	p, err := startPolled(ctx, timeout, cmd, "http://"+addr, "/")
	if err != nil {
		return nil, fmt.Errorf("bench: dynalite: %w", err)
	}
	return p, nil
}
