package sam

// simpleTable translates AWS::Serverless::SimpleTable into AWS::DynamoDB::Table with a
// single hash key, id of type String unless PrimaryKey says otherwise.
func (t *translator) simpleTable(id string, r map[string]any) *invalidError {
	p := r["Properties"].(map[string]any)
	name, typ := any("id"), any("String")
	if pk, ok := p["PrimaryKey"]; ok {
		m, ok := pk.(map[string]any)
		if !ok {
			return resourceErr(id, "'PrimaryKey' must be an object.")
		}
		n, hasName := m["Name"]
		ty, hasType := m["Type"]
		if !hasName || !hasType {
			return resourceErr(id, "'PrimaryKey' is missing required Property 'Name' or 'Type'.")
		}
		name, typ = n, ty
	}
	attrType, ok := map[any]string{"String": "S", "Number": "N", "Binary": "B"}[typ]
	if !ok {
		if s, isStr := typ.(string); isStr {
			return resourceErr(id, "Invalid 'Type' \"%s\".", s)
		}
		return resourceErr(id, "Invalid 'Type'.")
	}
	props := map[string]any{
		"AttributeDefinitions": []any{map[string]any{"AttributeName": name, "AttributeType": attrType}},
		"KeySchema":            []any{map[string]any{"AttributeName": name, "KeyType": "HASH"}},
	}
	copyProps(props, p, "ProvisionedThroughput", "TableName", "SSESpecification", "PointInTimeRecoverySpecification")
	if _, ok := p["ProvisionedThroughput"]; !ok {
		props["BillingMode"] = "PAY_PER_REQUEST"
	}
	if tags, ok := p["Tags"].(map[string]any); ok {
		var list []any
		for _, k := range sortedKeys(tags) {
			list = append(list, map[string]any{"Key": k, "Value": tags[k]})
		}
		props["Tags"] = list
	}
	out := newResource("AWS::DynamoDB::Table", props, passthrough(r))
	copyProps(out, r, "DependsOn", "Metadata")
	t.add(id, out)
	return nil
}

// layerVersion translates AWS::Serverless::LayerVersion into AWS::Lambda::LayerVersion under a
// logical id hashed from the SAM resource, so that new content publishes a new version; Refs
// to the old id are rewritten.
func (t *translator) layerVersion(id string, r map[string]any) *invalidError {
	p := r["Properties"].(map[string]any)
	uri, ok := p["ContentUri"]
	if !ok {
		return resourceErr(id, "Missing required property 'ContentUri'.")
	}
	content, err := s3Location(id, t.resolveParam(uri), "ContentUri", "S3Bucket", "S3Key", "S3ObjectVersion")
	if err != nil {
		return err
	}
	// SAM resolves these parameters itself, then hashes the whole SAM resource, attributes
	// included.
	for _, k := range []string{"LayerName", "LicenseInfo", "Description", "RetentionPolicy"} {
		if v, ok := p[k]; ok {
			p[k] = t.resolveParam(v)
		}
	}
	attrs := passthrough(r)
	if _, ok := attrs["DeletionPolicy"]; !ok {
		attrs["DeletionPolicy"] = "Retain"
	}
	if rp, ok := p["RetentionPolicy"].(string); ok {
		switch rp {
		case "Retain", "retain":
			attrs["DeletionPolicy"] = "Retain"
		case "Delete", "delete":
			attrs["DeletionPolicy"] = "Delete"
		default:
			return resourceErr(id, "'RetentionPolicy' must be one of the following options: ['Retain', 'Delete'].")
		}
	}
	newID := logicalID(id, map[string]any{id: r})

	props := map[string]any{"Content": content, "LayerName": id}
	copyProps(props, p, "LayerName", "Description", "CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo")
	out := newResource("AWS::Lambda::LayerVersion", props, attrs)
	copyProps(out, r, "DependsOn")
	t.add(newID, out)
	t.refs[id] = newID
	return nil
}
