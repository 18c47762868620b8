package cloudformation

import (
	"sort"
	"time"
)

// The XML shapes of CloudFormation's answers (the <ActionResult> children).
// Lists are <Name><member>...</member></Name>; an empty list is left out, as
// CloudFormation does.

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

type xmlParam struct {
	ParameterKey   string
	ParameterValue string
}

type xmlTag struct{ Key, Value string }

type xmlOutput struct {
	OutputKey   string
	OutputValue string
	Description string `xml:",omitempty"`
	ExportName  string `xml:",omitempty"`
}

type xmlStackDrift struct{ StackDriftStatus string }

type xmlStack struct {
	StackId                     string
	StackName                   string
	ChangeSetId                 string     `xml:",omitempty"`
	Description                 string     `xml:",omitempty"`
	Parameters                  []xmlParam `xml:"Parameters>member"`
	CreationTime                string
	LastUpdatedTime             string `xml:",omitempty"`
	DeletionTime                string `xml:",omitempty"`
	StackStatus                 string
	StackStatusReason           string      `xml:",omitempty"`
	DisableRollback             bool        `xml:"DisableRollback"`
	NotificationARNs            []string    `xml:"NotificationARNs>member"`
	TimeoutInMinutes            int         `xml:",omitempty"`
	Capabilities                []string    `xml:"Capabilities>member"`
	Outputs                     []xmlOutput `xml:"Outputs>member"`
	RoleARN                     string      `xml:",omitempty"`
	Tags                        []xmlTag    `xml:"Tags>member"`
	EnableTerminationProtection bool
	DriftInformation            xmlStackDrift
}

func xmlTags(m map[string]string) []xmlTag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]xmlTag, 0, len(keys))
	for _, k := range keys {
		out = append(out, xmlTag{Key: k, Value: m[k]})
	}
	return out
}

// xmlParams lists a configuration's parameter values, NoEcho ones masked.
func xmlParams(c stackConfig) []xmlParam {
	keys := make([]string, 0, len(c.Params))
	for k := range c.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	masked := map[string]bool{}
	for _, k := range c.NoEcho {
		masked[k] = true
	}
	out := make([]xmlParam, 0, len(keys))
	for _, k := range keys {
		v := c.Params[k]
		if masked[k] {
			v = "****"
		}
		out = append(out, xmlParam{ParameterKey: k, ParameterValue: v})
	}
	return out
}

func (st *stack) xml() xmlStack {
	x := xmlStack{
		StackId: st.ID, StackName: st.Name, ChangeSetId: st.ChangeSetID, Description: st.Config.Description,
		Parameters: xmlParams(st.Config), CreationTime: ts(st.Created), LastUpdatedTime: ts(st.Updated),
		DeletionTime: ts(st.Deleted), StackStatus: st.Status, StackStatusReason: st.Reason,
		DisableRollback: st.NoRollback, NotificationARNs: st.NotifyARNs, TimeoutInMinutes: st.Timeout,
		Capabilities: st.Config.Capabilities, RoleARN: st.RoleARN, Tags: xmlTags(st.Tags),
		EnableTerminationProtection: st.Protected, DriftInformation: xmlStackDrift{StackDriftStatus: "NOT_CHECKED"},
	}
	for _, o := range st.Outputs {
		x.Outputs = append(x.Outputs, xmlOutput{OutputKey: o.Key, OutputValue: o.Value, Description: o.Description, ExportName: o.ExportName})
	}
	return x
}

type xmlStackID struct{ StackId string }

type describeStacksResult struct {
	Stacks    []xmlStack `xml:"Stacks>member"`
	NextToken string     `xml:",omitempty"`
}

type xmlStackSummary struct {
	StackId             string
	StackName           string
	TemplateDescription string `xml:",omitempty"`
	CreationTime        string
	LastUpdatedTime     string `xml:",omitempty"`
	DeletionTime        string `xml:",omitempty"`
	StackStatus         string
	StackStatusReason   string `xml:",omitempty"`
	DriftInformation    xmlStackDrift
}

type listStacksResult struct {
	StackSummaries []xmlStackSummary `xml:"StackSummaries>member"`
	NextToken      string            `xml:",omitempty"`
}

type xmlEvent struct {
	StackId              string
	EventId              string
	StackName            string
	LogicalResourceId    string
	PhysicalResourceId   string `xml:",omitempty"`
	ResourceType         string
	Timestamp            string
	ResourceStatus       string
	ResourceStatusReason string `xml:",omitempty"`
}

type describeStackEventsResult struct {
	StackEvents []xmlEvent `xml:"StackEvents>member"`
	NextToken   string     `xml:",omitempty"`
}

type xmlResourceDrift struct{ StackResourceDriftStatus string }

type xmlStackResource struct {
	StackName            string
	StackId              string
	LogicalResourceId    string
	PhysicalResourceId   string `xml:",omitempty"`
	ResourceType         string
	Timestamp            string
	ResourceStatus       string
	ResourceStatusReason string `xml:",omitempty"`
	DriftInformation     xmlResourceDrift
}

type describeStackResourcesResult struct {
	StackResources []xmlStackResource `xml:"StackResources>member"`
}

type xmlStackResourceDetail struct {
	StackName            string
	StackId              string
	LogicalResourceId    string
	PhysicalResourceId   string `xml:",omitempty"`
	ResourceType         string
	LastUpdatedTimestamp string
	ResourceStatus       string
	ResourceStatusReason string `xml:",omitempty"`
	Metadata             string `xml:",omitempty"`
	DriftInformation     xmlResourceDrift
}

type describeStackResourceResult struct {
	StackResourceDetail xmlStackResourceDetail
}

type xmlResourceSummary struct {
	LogicalResourceId    string
	PhysicalResourceId   string `xml:",omitempty"`
	ResourceType         string
	LastUpdatedTimestamp string
	ResourceStatus       string
	ResourceStatusReason string `xml:",omitempty"`
	DriftInformation     xmlResourceDrift
}

type listStackResourcesResult struct {
	StackResourceSummaries []xmlResourceSummary `xml:"StackResourceSummaries>member"`
	NextToken              string               `xml:",omitempty"`
}

type getTemplateResult struct {
	TemplateBody    string
	StagesAvailable []string `xml:"StagesAvailable>member"`
}

type xmlConstraints struct {
	AllowedValues []string `xml:"AllowedValues>member"`
}

type xmlParamDeclaration struct {
	ParameterKey         string
	DefaultValue         string `xml:",omitempty"`
	ParameterType        string
	NoEcho               bool
	Description          string `xml:",omitempty"`
	ParameterConstraints xmlConstraints
}

type getTemplateSummaryResult struct {
	Parameters         []xmlParamDeclaration `xml:"Parameters>member"`
	Description        string                `xml:",omitempty"`
	Capabilities       []string              `xml:"Capabilities>member"`
	CapabilitiesReason string                `xml:",omitempty"`
	ResourceTypes      []string              `xml:"ResourceTypes>member"`
	Version            string                `xml:",omitempty"`
	Metadata           string                `xml:",omitempty"`
	DeclaredTransforms []string              `xml:"DeclaredTransforms>member"`
}

type xmlTemplateParam struct {
	ParameterKey string
	DefaultValue string `xml:",omitempty"`
	NoEcho       bool
	Description  string `xml:",omitempty"`
}

type validateTemplateResult struct {
	Parameters         []xmlTemplateParam `xml:"Parameters>member"`
	Description        string             `xml:",omitempty"`
	Capabilities       []string           `xml:"Capabilities>member"`
	CapabilitiesReason string             `xml:",omitempty"`
	DeclaredTransforms []string           `xml:"DeclaredTransforms>member"`
}

type createChangeSetResult struct {
	Id      string
	StackId string
}

type xmlResourceChange struct {
	Action             string
	LogicalResourceId  string
	PhysicalResourceId string `xml:",omitempty"`
	ResourceType       string
	Replacement        string   `xml:",omitempty"`
	Scope              []string `xml:"Scope>member"`
}

type xmlChange struct {
	Type           string
	ResourceChange xmlResourceChange
}

type describeChangeSetResult struct {
	ChangeSetName    string
	ChangeSetId      string
	StackId          string
	StackName        string
	Description      string     `xml:",omitempty"`
	Parameters       []xmlParam `xml:"Parameters>member"`
	CreationTime     string
	ExecutionStatus  string
	Status           string
	StatusReason     string      `xml:",omitempty"`
	Capabilities     []string    `xml:"Capabilities>member"`
	Tags             []xmlTag    `xml:"Tags>member"`
	Changes          []xmlChange `xml:"Changes>member"`
	OnStackFailure   string      `xml:",omitempty"`
	IncludeNestedSet bool        `xml:"IncludeNestedStacks"`
}

type xmlChangeSetSummary struct {
	StackId         string
	StackName       string
	ChangeSetId     string
	ChangeSetName   string
	ExecutionStatus string
	Status          string
	StatusReason    string `xml:",omitempty"`
	CreationTime    string
	Description     string `xml:",omitempty"`
}

type listChangeSetsResult struct {
	Summaries []xmlChangeSetSummary `xml:"Summaries>member"`
	NextToken string                `xml:",omitempty"`
}

type xmlExport struct {
	ExportingStackId string
	Name             string
	Value            string
}

type listExportsResult struct {
	Exports   []xmlExport `xml:"Exports>member"`
	NextToken string      `xml:",omitempty"`
}

type listImportsResult struct {
	Imports   []string `xml:"Imports>member"`
	NextToken string   `xml:",omitempty"`
}
