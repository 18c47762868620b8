package proxyevent

import "encoding/json"

// The payload 2.0 event as Go types: the shape the hand-written encoder of
// encode.go must produce, field for field.

type httpDescription struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

type iamAuthorizer struct {
	IAM *iamDescription `json:"iam"`
}

type iamDescription struct {
	AccessKey       string  `json:"accessKey"`
	AccountID       string  `json:"accountId"`
	CallerID        string  `json:"callerId"`
	CognitoIdentity *string `json:"cognitoIdentity"`
	PrincipalOrgID  *string `json:"principalOrgId"`
	UserARN         string  `json:"userArn"`
	UserID          string  `json:"userId"`
}

type v2Context struct {
	AccountID      string          `json:"accountId"`
	APIID          string          `json:"apiId"`
	Authentication *struct{}       `json:"authentication"`
	Authorizer     *iamAuthorizer  `json:"authorizer,omitempty"`
	DomainName     string          `json:"domainName"`
	DomainPrefix   string          `json:"domainPrefix"`
	HTTP           httpDescription `json:"http"`
	RequestID      string          `json:"requestId"`
	RouteKey       string          `json:"routeKey"`
	Stage          string          `json:"stage"`
	Time           string          `json:"time"`
	TimeEpoch      int64           `json:"timeEpoch"`
}

type v2Event struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	PathParameters        map[string]string `json:"pathParameters,omitempty"`
	RequestContext        v2Context         `json:"requestContext"`
	StageVariables        map[string]string `json:"stageVariables,omitempty"`
	Body                  string            `json:"body,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
}

// furlEvent is payload 2.0 as function URLs send it: the same fields, with
// pathParameters and stageVariables present as null.
type furlEvent struct {
	v2Event
	PathParameters map[string]string `json:"pathParameters"`
	StageVariables map[string]string `json:"stageVariables"`
}

// referenceV2 is V2 through encoding/json, the reference the hand-written
// encoder is checked against.
func (q *Request) referenceV2() ([]byte, error) { return json.Marshal(q.v2()) }

// referenceFunctionURL is FunctionURL through encoding/json.
func (q *Request) referenceFunctionURL() ([]byte, error) {
	q.RouteKey, q.Stage = "$default", "$default"
	ev := furlEvent{v2Event: q.v2()}
	if q.IAM != nil {
		ev.RequestContext.Authorizer = &iamAuthorizer{IAM: &iamDescription{AccessKey: q.IAM.AccessKey,
			AccountID: q.IAM.AccountID, CallerID: q.IAM.CallerID, UserARN: q.IAM.UserARN, UserID: q.IAM.UserID}}
	}
	return json.Marshal(ev)
}

func (q *Request) v2() v2Event {
	r := q.HTTP
	body, b64 := q.body()
	return v2Event{
		Version:               "2.0",
		RouteKey:              q.RouteKey,
		RawPath:               q.Path,
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies(r),
		Headers:               joined(lowerHeaders(r, true)),
		QueryStringParameters: joined(query(r.URL.RawQuery)),
		PathParameters:        nonEmpty(q.PathParameters),
		StageVariables:        nonEmpty(q.StageVariables),
		Body:                  body,
		IsBase64Encoded:       b64,
		RequestContext: v2Context{
			AccountID:    q.Account,
			APIID:        q.APIID,
			DomainName:   q.DomainName,
			DomainPrefix: q.DomainPrefix,
			HTTP: httpDescription{Method: r.Method, Path: q.Path, Protocol: r.Proto,
				SourceIP: SourceIP(r), UserAgent: r.UserAgent()},
			RequestID: q.RequestID,
			RouteKey:  q.RouteKey,
			Stage:     q.Stage,
			Time:      RequestTime(q.Time),
			TimeEpoch: q.Time.UnixMilli(),
		},
	}
}
