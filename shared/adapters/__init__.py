"""Where the domain meets AWS: the DynamoDB and in-memory fleet stores, the
SNS publisher, the transports to the fleet, boto3 clients and the
CloudFormation custom resource. Each translates AWS errors and types into
the domain's own."""
