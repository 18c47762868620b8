package template

import (
	"reflect"
	"testing"
)

// appTemplate is a function behind an API, with its role and table, and a
// conditional alarm: the shape of a SAM app after the transform.
const appTemplate = `
Parameters:
  Alarms: {Type: String, Default: "false"}
Conditions:
  WithAlarms: !Equals [!Ref Alarms, "true"]
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub "${AWS::StackName}-items"
  Role:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyDocument:
            Statement:
              - Resource: !GetAtt Table.Arn
                Condition: {Bool: {"aws:SecureTransport": "true"}}
  Function:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt [Role, Arn]
      Environment:
        Variables:
          TABLE: !Ref Table
          TOPIC: !If [WithAlarms, !Ref Topic, !Ref "AWS::NoValue"]
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Body:
        paths:
          /items:
            get:
              x-amazon-apigateway-integration:
                uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Function.Arn}/invocations"
  Permission:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref Function
      SourceArn: !Sub "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*"
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: [Permission]
    Properties:
      RestApiId: !Ref Api
  Topic:
    Type: AWS::SNS::Topic
    Condition: WithAlarms
Outputs:
  Url:
    Value: !Sub "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/prod"
  TopicArn:
    Condition: WithAlarms
    Value: !Ref Topic
`

func TestDepsAndOrder(t *testing.T) {
	tpl := mustParse(t, appTemplate)
	if err := tpl.Validate(); err != nil {
		t.Fatal(err)
	}
	s, err := tpl.Bind(nil, Pseudo{})
	if err != nil {
		t.Fatal(err)
	}
	deps := map[string][]string{
		"Table": nil, "Role": {"Table"}, "Function": {"Role", "Table"}, "Api": {"Function"},
		"Permission": {"Api", "Function"}, "Deployment": {"Api", "Permission"}, "Topic": nil,
	}
	for name, want := range deps {
		if got := s.Deps(name); !reflect.DeepEqual(got, want) {
			t.Errorf("Deps(%s) = %v, want %v", name, got, want)
		}
	}
	if s.Active("Topic") || !s.Active("Api") || s.Active("Nope") {
		t.Errorf("Active: Topic %v Api %v", s.Active("Topic"), s.Active("Api"))
	}
	waves, err := s.Order()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"Table"}, {"Role"}, {"Function"}, {"Api"}, {"Permission"}, {"Deployment"}}
	if !reflect.DeepEqual(waves, want) {
		t.Errorf("Order = %v", waves)
	}

	s, err = tpl.Bind(map[string]string{"Alarms": "true"}, Pseudo{})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Deps("Function"); !reflect.DeepEqual(got, []string{"Role", "Table", "Topic"}) {
		t.Errorf("Deps(Function) with alarms = %v", got)
	}
	waves, err = s.Order()
	if err != nil {
		t.Fatal(err)
	}
	want = [][]string{{"Table", "Topic"}, {"Role"}, {"Function"}, {"Api"}, {"Permission"}, {"Deployment"}}
	if !reflect.DeepEqual(waves, want) {
		t.Errorf("Order with alarms = %v", waves)
	}
}

func TestOrderErrors(t *testing.T) {
	tpl := mustParse(t, `
Parameters:
  On: {Type: String, Default: "no"}
Conditions:
  Enabled: !Equals [!Ref On, "yes"]
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Condition: Enabled
  Consumer:
    Type: T
    Properties: {Queue: !GetAtt Queue.Arn}
`)
	s, err := tpl.Bind(nil, Pseudo{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Order()
	wantValidation(t, err, "Template format error: Unresolved resource dependencies [Queue] in the Resources block of the template")

	tpl = mustParse(t, "Resources:\n  A: {Type: T, DependsOn: B}\n  B: {Type: T, Properties: {X: !Ref A}}\n")
	s, err = tpl.Bind(nil, Pseudo{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Order()
	wantValidation(t, err, "Circular dependency between resources: [A, B]")
}
