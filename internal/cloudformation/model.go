package cloudformation

import (
	"fmt"
	"strings"
	"time"

	"github.com/stratus-run/stratus/internal/cloudformation/resources"
)

// Stack statuses, as CloudFormation names them.
const (
	statusReview                   = "REVIEW_IN_PROGRESS"
	statusCreateInProgress         = "CREATE_IN_PROGRESS"
	statusCreateComplete           = "CREATE_COMPLETE"
	statusCreateFailed             = "CREATE_FAILED"
	statusRollbackInProgress       = "ROLLBACK_IN_PROGRESS"
	statusRollbackComplete         = "ROLLBACK_COMPLETE"
	statusRollbackFailed           = "ROLLBACK_FAILED"
	statusUpdateInProgress         = "UPDATE_IN_PROGRESS"
	statusUpdateCleanup            = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
	statusUpdateComplete           = "UPDATE_COMPLETE"
	statusUpdateRollbackInProgress = "UPDATE_ROLLBACK_IN_PROGRESS"
	statusUpdateRollbackCleanup    = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
	statusUpdateRollbackComplete   = "UPDATE_ROLLBACK_COMPLETE"
	statusUpdateRollbackFailed     = "UPDATE_ROLLBACK_FAILED"
	statusDeleteInProgress         = "DELETE_IN_PROGRESS"
	statusDeleteComplete           = "DELETE_COMPLETE"
	statusDeleteFailed             = "DELETE_FAILED"

	// statusUpdateFailed is a resource's status only.
	statusUpdateFailed = "UPDATE_FAILED"
)

// transitions is the stack lifecycle: every status change the engine makes
// must be listed here, so an operation started from a state it cannot run
// from is a bug caught at once instead of a stack in a state AWS never shows.
var transitions = map[string][]string{
	"":                             {statusReview, statusCreateInProgress},
	statusReview:                   {statusCreateInProgress, statusDeleteComplete},
	statusCreateInProgress:         {statusCreateComplete, statusCreateFailed, statusRollbackInProgress},
	statusCreateFailed:             {statusDeleteInProgress},
	statusRollbackInProgress:       {statusRollbackComplete, statusRollbackFailed},
	statusRollbackComplete:         {statusDeleteInProgress},
	statusRollbackFailed:           {statusDeleteInProgress},
	statusCreateComplete:           {statusUpdateInProgress, statusDeleteInProgress},
	statusUpdateInProgress:         {statusUpdateCleanup, statusUpdateRollbackInProgress},
	statusUpdateCleanup:            {statusUpdateComplete},
	statusUpdateComplete:           {statusUpdateInProgress, statusDeleteInProgress},
	statusUpdateRollbackInProgress: {statusUpdateRollbackCleanup, statusUpdateRollbackFailed},
	statusUpdateRollbackCleanup:    {statusUpdateRollbackComplete},
	statusUpdateRollbackComplete:   {statusUpdateInProgress, statusDeleteInProgress},
	statusUpdateRollbackFailed:     {statusDeleteInProgress, statusUpdateRollbackInProgress},
	statusDeleteInProgress:         {statusDeleteComplete, statusDeleteFailed},
	statusDeleteFailed:             {statusDeleteInProgress},
}

func canTransition(from, to string) bool {
	for _, t := range transitions[from] {
		if t == to {
			return true
		}
	}
	return false
}

// inProgress reports whether a stack in status has an operation running (or,
// after a crash, one to finish).
func inProgress(status string) bool {
	return strings.HasSuffix(status, "_IN_PROGRESS") && status != statusReview
}

// updatable reports whether UpdateStack (or an UPDATE change set) may start
// from status, as CloudFormation allows.
func updatable(status string) bool {
	return status == statusCreateComplete || status == statusUpdateComplete || status == statusUpdateRollbackComplete
}

// stack is one stack as stored: what it was made from, what it made, and the
// operation it is in, which is enough to finish that operation after a crash.
type stack struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Account     string            `json:"account"`
	Region      string            `json:"region"`
	Status      string            `json:"status"`
	Reason      string            `json:"reason,omitempty"`
	Created     time.Time         `json:"created"`
	Updated     time.Time         `json:"updated,omitzero"`
	Deleted     time.Time         `json:"deleted,omitzero"`
	Config      stackConfig       `json:"config"`
	Resources   map[string]*res   `json:"resources,omitempty"`
	Outputs     []output          `json:"outputs,omitempty"`
	Imports     []string          `json:"imports,omitempty"`
	Protected   bool              `json:"protected,omitempty"`
	ChangeSetID string            `json:"changeSetId,omitempty"`
	Op          *operation        `json:"op,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	NotifyARNs  []string          `json:"notificationArns,omitempty"`
	RoleARN     string            `json:"roleArn,omitempty"`
	Timeout     int               `json:"timeout,omitempty"`
	NoRollback  bool              `json:"disableRollback,omitempty"`
	// DeleteOnFailure is OnFailure DELETE: a rolled back create goes on to
	// delete the stack.
	DeleteOnFailure bool `json:"deleteOnFailure,omitempty"`
}

// stackConfig is what one stack operation applies: the template as given and
// as processed (after transforms), and the parameter values.
type stackConfig struct {
	Body        string         `json:"body"`
	Processed   map[string]any `json:"processed"`
	Transformed bool           `json:"transformed,omitempty"`
	// Params are every parameter's value, defaults included.
	Params       map[string]string `json:"params,omitempty"`
	NoEcho       []string          `json:"noEcho,omitempty"`
	Capabilities []string          `json:"capabilities,omitempty"`
	Description  string            `json:"description,omitempty"`
}

// res is one resource of a stack.
type res struct {
	Logical string           `json:"logical"`
	Type    string           `json:"type"`
	Status  string           `json:"status"`
	Reason  string           `json:"reason,omitempty"`
	Result  resources.Result `json:"result"`
	Props   map[string]any   `json:"props,omitempty"`
	// Deps are the resources it depended on when it was made, so that a
	// delete runs in reverse order even when the template is gone or broken.
	Deps                []string  `json:"deps,omitempty"`
	DeletionPolicy      string    `json:"deletionPolicy,omitempty"`
	UpdateReplacePolicy string    `json:"updateReplacePolicy,omitempty"`
	Updated             time.Time `json:"updated"`
	// Pending are the properties an update is applying, and Replacing
	// whether it makes a new physical resource for them: after a crash the
	// rollback knows what the resource may be half-way to.
	Pending   map[string]any `json:"pending,omitempty"`
	Replacing bool           `json:"replacing,omitempty"`
	// Interrupted marks a create a crash stopped after its provider may
	// have been called: the resource may exist without a recorded id.
	Interrupted bool `json:"interrupted,omitempty"`
	// Retain keeps a resource waiting in an operation's cleanup instead of
	// deleting it (DeletionPolicy or UpdateReplacePolicy Retain).
	Retain bool `json:"retain,omitempty"`
	// Deployment is the CodeDeploy deployment an update of an alias with a
	// CodeDeployLambdaAliasUpdate policy runs (see deploy.go), kept until
	// the update ends so that a rollback after a crash can stop it.
	Deployment *aliasDeployment `json:"deployment,omitempty"`
}

func (r *res) clone() *res {
	c := *r
	return &c
}

// operation is the part of an update (or a rollback) that must survive a
// crash to be finished: the stack as it was, and the physical resources to
// delete once the stack no longer uses them.
type operation struct {
	Prev    *snapshot `json:"prev,omitempty"`
	Cleanup []*res    `json:"cleanup,omitempty"`
	// Failed names the resources whose failure started a rollback.
	Failed []string `json:"failed,omitempty"`
	// Cancelled marks an update CancelUpdateStack stopped: it starts no
	// more resources and rolls back once those under way have ended.
	Cancelled bool `json:"cancelled,omitempty"`
}

// snapshot is a stack's state before an update.
type snapshot struct {
	Config    stackConfig     `json:"config"`
	Resources map[string]*res `json:"resources,omitempty"`
	Outputs   []output        `json:"outputs,omitempty"`
	Imports   []string        `json:"imports,omitempty"`
}

type output struct {
	Key         string `json:"key"`
	Value       string `json:"value"`
	Description string `json:"description,omitempty"`
	ExportName  string `json:"exportName,omitempty"`
}

// event is one stack event.
type event struct {
	ID         string    `json:"id"`
	Logical    string    `json:"logical"`
	Physical   string    `json:"physical,omitempty"`
	Type       string    `json:"type"`
	Status     string    `json:"status"`
	Reason     string    `json:"reason,omitempty"`
	Properties string    `json:"properties,omitempty"`
	Time       time.Time `json:"time"`
}

// changeSet is one change set, with the configuration it would apply.
type changeSet struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	StackID     string            `json:"stackId"`
	StackName   string            `json:"stackName"`
	Type        string            `json:"type"` // CREATE or UPDATE
	Status      string            `json:"status"`
	Reason      string            `json:"reason,omitempty"`
	Execution   string            `json:"execution"`
	Description string            `json:"description,omitempty"`
	Created     time.Time         `json:"created"`
	Config      stackConfig       `json:"config"`
	Changes     []change          `json:"changes,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	NoRollback  bool              `json:"disableRollback,omitempty"`
}

type change struct {
	Action      string   `json:"action"` // Add, Modify, Remove
	Logical     string   `json:"logical"`
	Physical    string   `json:"physical,omitempty"`
	Type        string   `json:"type"`
	Replacement string   `json:"replacement,omitempty"` // True, False, Conditional
	Scope       []string `json:"scope,omitempty"`
}

// stackKey is the KV key of a stack: the unique part of its id.
func stackKey(id string) string {
	return id[strings.LastIndexByte(id, '/')+1:]
}

func stackARN(region, account, name, uuid string) string {
	return fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/%s", region, account, name, uuid)
}

func changeSetARN(region, account, name, uuid string) string {
	return fmt.Sprintf("arn:aws:cloudformation:%s:%s:changeSet/%s/%s", region, account, name, uuid)
}
