"""The deploy's CloudFormation additions and IAM policies, generated from
Python so they cannot drift from the code that uses them.

- Names come from the project model (`project.model`); the fleet table from
  `shared.adapters.fleet_schema.table_definition`, the same definition the tests,
  the local stack and `chalice deploy`'s provisioning create it from.
- Each function's IAM policy is written once here, as statements whose
  resources are small typed values and which say which functions, route
  and transport need them. Each renders itself two ways:
  * `Style.FILE`: `policy-<stage>-<function>.json` for plain `chalice
    deploy` (region and account are `*` in the ARNs; names are exact),
  * `Style.TEMPLATE`: the merge template's `Policies` for `chalice package`,
    where every resource is the stack's own (`Fn::Sub` with region,
    account, `Ref`).
  Chalice gives each function its own role with its own policy file in it
  (`lambda_functions.<name>.iam_policy_file`); the merge template replaces
  that policy in each role.
- Observability (log groups, access logs, alarms) comes from
  `deploy/observability.py`; checkov's explained skips from `deploy/scan.py`.

`python -m deploy.templates --check` fails when a committed policy file
differs from what this module generates; `--write` rewrites them.
"""
from __future__ import annotations

import argparse
import enum
import hashlib
import json
import pathlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from deploy import observability, riders, scan, web_acl
from deploy.provision import DLQ_RETENTION_SECONDS
from project.model import (
    API_HANDLER,
    APP_ENTRIES,
    CATALOG_PATH,
    FLEET,
    FLEET_FUNCTION,
    HISTORY_FUNCTION,
    LOADER_FUNCTION,
    RECORD,
    RECORDER_FUNCTION,
    RIDERS_AUTHORIZER,
    RIDES,
    ROOT,
    STAGES,
    TRANSPORTS,
    AppEntry,
    Project,
)
from shared.adapters import fleet_schema, record_schema

APPS = APP_ENTRIES
# Logical ids of what the merge templates add.
TABLE = 'UnicornsTable'
TOPIC = 'RidesTopic'
ARN_PARAMETER = f'{FLEET_FUNCTION}ArnParameter'
LOADER = 'FleetCatalog'
CATALOG = CATALOG_PATH
USER_POOL = 'RidersUserPool'
USER_POOL_CLIENT = 'RidersPageClient'
USER_POOL_ID_PARAMETER = 'RidersUserPoolIdParameter'
USER_POOL_CLIENT_ID_PARAMETER = 'RidersPageClientIdParameter'
TOPIC_ARN_PARAMETER = 'RidesTopicArnParameter'
FLEET_URL_PARAMETER = 'RequestUnicornUrlParameter'
FLEET_API_ID_PARAMETER = 'RestApiIdParameter'
WEB_ACL = 'RidersWebAcl'
WEB_ACL_ASSOCIATION = 'RidersWebAclAssociation'
RECORD_TABLE = 'RideRecordTable'
# Each table's name in a policy file (a template refers to it by logical id).
TABLE_NAMES: dict[str, Callable[[Project], str]] = {
    TABLE: lambda project: project.table_name,
    RECORD_TABLE: lambda project: project.record_table_name,
}
RECORD_DLQ = 'RideRecordDlq'
RECORD_ASYNC_CONFIG = f'{RECORDER_FUNCTION}AsyncRetries'
RECORD_URL_PARAMETER = 'RideRecordUrlParameter'
HISTORY_ARN_PARAMETER = f'{HISTORY_FUNCTION}InvokeArnParameter'
# Lambda's asynchronous retries of a failed ride event before it goes to
# the DLQ (Lambda's default and maximum, written out so it is seen).
RECORD_RETRIES = 2
# What Chalice's package calls the REST API (an AWS::Serverless::Api).
REST_API = 'RestAPI'

__all__ = ['APPS', 'ARN_PARAMETER', 'CATALOG', 'FLEET', 'HISTORY_ARN_PARAMETER', 'LOADER',
           'RECORD', 'RECORD_DLQ', 'RECORD_ASYNC_CONFIG', 'RECORD_TABLE', 'RECORD_URL_PARAMETER',
           'RIDES', 'ROOT', 'STAGES',
           'TABLE', 'TOPIC', 'USER_POOL', 'USER_POOL_CLIENT', 'WEB_ACL', 'WEB_ACL_ASSOCIATION',
           'Style', 'function_name', 'merge_template', 'policy_document',
           'policy_file_path', 'policy_file_text', 'write_merge_template']

Rendered = Any  # a string, or a CloudFormation intrinsic function (a dict)


class Style(enum.StrEnum):
    """Where a policy goes."""

    FILE = 'file'      # .chalice/policy-<stage>.json, for `chalice deploy`
    TEMPLATE = 'cfn'   # the packaged template's role policies


def _arn(service: str, rest: str, style: Style) -> Rendered:
    """An ARN in this account and region: `*` for the policy file (any
    account), `Fn::Sub` of the stack's own for the template."""
    if style is Style.FILE:
        return f'arn:aws:{service}:*:*:{rest}'
    return {'Fn::Sub': 'arn:${AWS::Partition}:%s:${AWS::Region}:${AWS::AccountId}:%s'
            % (service, rest)}


def ssm_reference(project: Project) -> str:
    """CloudFormation's dynamic reference to the fleet's published ARN."""
    return '{{resolve:ssm:%s}}' % project.fleet_arn_parameter


def topic_reference(project: Project) -> str:
    """CloudFormation's dynamic reference to the rides topic's ARN, which
    rides' stack (deployed before ride-record's) publishes in SSM."""
    return '{{resolve:ssm:%s}}' % project.topic_arn_parameter


# -- policy resources --------------------------------------------------------

class PolicyResource(Protocol):
    def render(self, project: Project, style: Style) -> Rendered: ...


@dataclass(frozen=True)
class LogGroup:
    """One function's CloudWatch Logs group `/aws/lambda/<deployed name>`,
    plus `suffix` (`:*` for its streams)."""

    app: AppEntry
    function: str
    suffix: str = ''

    def render(self, project: Project, style: Style) -> Rendered:
        name = project.app(self.app).deployed_name(self.function)
        return _arn('logs', f'log-group:/aws/lambda/{name}{self.suffix}', style)


@dataclass(frozen=True)
class Table:
    """A DynamoDB table of the project, or one of its indexes: in a
    template by its logical id, in a policy file by its name."""

    logical_id: str
    index: str | None = None

    def render(self, project: Project, style: Style) -> Rendered:
        suffix = f'/index/{self.index}' if self.index else ''
        name = ('${%s}' % self.logical_id if style is Style.TEMPLATE
                else TABLE_NAMES[self.logical_id](project))
        return _arn('dynamodb', f'table/{name}{suffix}', style)


@dataclass(frozen=True)
class RecordDlq:
    """The SQS queue where ride events land after Lambda's async retries."""

    def render(self, project: Project, style: Style) -> Rendered:
        if style is Style.TEMPLATE:
            return {'Fn::GetAtt': [RECORD_DLQ, 'Arn']}
        return _arn('sqs', project.record_dlq_name, style)


@dataclass(frozen=True)
class HistoryFunction:
    """ride-record's ListRideRecords, by the name `chalice deploy` gives it:
    rides' stack is deployed before ride-record's, so the ARN is built, not
    read (the function's own stack publishes it in SSM for run time)."""

    def render(self, project: Project, style: Style) -> Rendered:
        return _arn('lambda', 'function:' + project.history_function.deployed_name, style)


@dataclass(frozen=True)
class RidesTopic:
    def render(self, project: Project, style: Style) -> Rendered:
        if style is Style.TEMPLATE:
            return {'Ref': TOPIC}
        return _arn('sns', project.topic_name, style)


@dataclass(frozen=True)
class FleetFunction:
    """The fleet's direct-invoke function; in a template, the ARN the fleet's
    stack published in SSM."""

    def render(self, project: Project, style: Style) -> Rendered:
        if style is Style.TEMPLATE:
            return ssm_reference(project)
        return _arn('lambda', 'function:' + project.fleet_function.deployed_name, style)


@dataclass(frozen=True)
class Parameter:
    """An SSM parameter of the project, named by the model."""

    name_of: Callable[[Project], str]

    def render(self, project: Project, style: Style) -> Rendered:
        # The name starts with '/', which the ARN does not repeat.
        return _arn('ssm', 'parameter' + self.name_of(project), style)


ANY = None  # a Statement's functions / styles / transports: all of them


@dataclass(frozen=True)
class Statement:
    """One Allow statement, and where it applies: which of the app's
    functions (Chalice names) call it, in which route (Style) and with which
    transport from rides to the fleet."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[PolicyResource, ...]
    functions: tuple[str, ...] | None = ANY
    styles: tuple[Style, ...] | None = ANY
    transports: tuple[str, ...] | None = ANY

    def applies(self, function: str, style: Style, transport: str) -> bool:
        return all(allowed is ANY or value in allowed for allowed, value in (
            (self.functions, function), (self.styles, style), (self.transports, transport)))

    def render(self, project: Project, style: Style) -> dict[str, Any]:
        rendered = [resource.render(project, style) for resource in self.resources]
        return {'Sid': self.sid, 'Effect': 'Allow', 'Action': list(self.actions),
                'Resource': rendered if len(rendered) > 1 else rendered[0]}


@dataclass(frozen=True)
class FunctionLogs:
    """The statements writing one function's own logs (the Lambda runtime's)."""

    app: AppEntry

    def statements(self, function: str) -> tuple[Statement, ...]:
        return (
            Statement('Logs', ('logs:CreateLogGroup',), (LogGroup(self.app, function),)),
            Statement('LogStreams', ('logs:CreateLogStream', 'logs:PutLogEvents'),
                      (LogGroup(self.app, function, ':*'),)),
        )


@dataclass(frozen=True)
class FleetApi:
    """rides' grant on exactly the fleet routes its http transport calls:
    GET /unicorn and POST /unicorn/{ride_id}/release of the fleet's REST API
    (its id published in SSM by the fleet's stack)."""

    route: str

    def render(self, project: Project, style: Style) -> Rendered:
        stage = project.fleet.api_gateway_stage
        if style is Style.FILE:
            return _arn('execute-api', f'*/{stage}/{self.route}', style)
        return {'Fn::Join': ['', [
            {'Fn::Sub': 'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:'},
            '{{resolve:ssm:%s}}' % project.fleet_api_id_parameter, f'/{stage}/{self.route}']]}


# X-Ray's write actions have no resource types (AWS Service Authorization
# Reference), so their only Resource is "*". Every role, packaged or
# `chalice deploy`'s, gets exactly these two in one statement, `Tracing`:
# not AWS's managed AWSXRayDaemonWriteAccess, which also grants the
# sampling-rule reads (GetSamplingRules, GetSamplingTargets,
# GetSamplingStatisticSummaries) the SDK never makes on Lambda, where
# Lambda takes the sampling decision.
XRAY_ACTIONS = ('xray:PutTraceSegments', 'xray:PutTelemetryRecords')


@dataclass(frozen=True)
class Everything:
    def render(self, project: Project, style: Style) -> Rendered:
        return '*'


DISPATCH = (FLEET_FUNCTION, API_HANDLER)  # the fleet's functions that dispatch and release
# What ride-record's writers (POST /record, PutRideRecordSns) call on its
# table: each event is one conditional UpdateItem (the fold, race-free).
RECORD_WRITE_ACTIONS = ('dynamodb:UpdateItem',)

# Everything each function does at run time, by app.
POLICIES: dict[AppEntry, tuple[Statement, ...]] = {
    FLEET: (
        Statement('DispatchItems', ('dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'),
                  (Table(TABLE),), functions=DISPATCH),
        Statement('DispatchIndexes', ('dynamodb:Query',),
                  (Table(TABLE, fleet_schema.SLOT_INDEX),
                   Table(TABLE, fleet_schema.AVAILABILITY_INDEX)), functions=DISPATCH),
        Statement('LoadItems', ('dynamodb:DeleteItem', 'dynamodb:PutItem',
                                'dynamodb:Scan', 'dynamodb:UpdateItem'),
                  (Table(TABLE),), functions=(LOADER_FUNCTION,)),
    ),
    RIDES: (
        Statement('PublishRides', ('sns:Publish',), (RidesTopic(),)),
        Statement('InvokeFleet', ('lambda:InvokeFunction',), (FleetFunction(),),
                  transports=('invoke',)),
        Statement('CallFleetApi', ('execute-api:Invoke',),
                  (FleetApi('GET/unicorn'), FleetApi('POST/unicorn/*/release')),
                  transports=('http',)),
        # Only in the `chalice deploy` route, where REQUEST_UNICORN_ARN is
        # empty and rides reads the ARN at run time; the package sets it.
        Statement('FindFleet', ('ssm:GetParameter',),
                  (Parameter(lambda project: project.fleet_arn_parameter),),
                  styles=(Style.FILE,), transports=('invoke',)),
        # Only when USER_POOL_ID / USER_POOL_CLIENT_ID are empty (GET /config
        # after plain `chalice deploy`; the package sets them by Ref).
        Statement('FindRidersPool', ('ssm:GetParameter',),
                  (Parameter(lambda project: project.user_pool_id_parameter),
                   Parameter(lambda project: project.user_pool_client_id_parameter)),
                  functions=(API_HANDLER,), styles=(Style.FILE,)),
        # GET /rides: ride-record's ListRideRecords and nothing else of it.
        # Its ARN is read at run time in both routes: ride-record is
        # deployed after rides, so CloudFormation cannot resolve it for rides.
        Statement('ListRideHistory', ('lambda:InvokeFunction',), (HistoryFunction(),),
                  functions=(API_HANDLER,)),
        Statement('FindRideHistory', ('ssm:GetParameter',),
                  (Parameter(lambda project: project.history_arn_parameter),),
                  functions=(API_HANDLER,)),
    ),
    RECORD: (
        Statement('KeepRides', RECORD_WRITE_ACTIONS, (Table(RECORD_TABLE),),
                  functions=(API_HANDLER, RECORDER_FUNCTION)),
        Statement('ListRides', ('dynamodb:Query',),
                  (Table(RECORD_TABLE, record_schema.RIDER_INDEX),), functions=(HISTORY_FUNCTION,)),
        # Used by the Lambda service, not the code: a ride event that failed
        # every async attempt goes to the DLQ (DeadLetterConfig) with the
        # function's role.
        Statement('FailedRideEvents', ('sqs:SendMessage',), (RecordDlq(),),
                  functions=(RECORDER_FUNCTION,)),
    ),
}
XRAY = Statement('Tracing', XRAY_ACTIONS, (Everything(),))


def function_names(app: AppEntry) -> tuple[str, ...]:
    """The app's functions, by their names in config.json."""
    return (((API_HANDLER,) if app.rest_api else ()) + app.lambda_functions
            + app.event_functions)


def policy_document(app: AppEntry, stage: str, style: Style | str = Style.FILE,
                    function: str = API_HANDLER, transport: str | None = None) -> dict[str, Any]:
    """One function's policy: its logs, what it calls, its traces."""
    project, style = Project(stage), Style(style)
    transport = transport or project.unicorn_transport
    statements = FunctionLogs(app).statements(function) + tuple(
        statement for statement in POLICIES[app] + (XRAY,)
        if statement.applies(function, style, transport))
    return {'Version': '2012-10-17',
            'Statement': [statement.render(project, style) for statement in statements]}


def policy_file_name(stage: str, function: str) -> str:
    return f'policy-{stage}-{function}.json'


def policy_file_path(app: AppEntry, stage: str, function: str = API_HANDLER) -> pathlib.Path:
    return app.directory / '.chalice' / policy_file_name(stage, function)


def policy_file_text(app: AppEntry, stage: str, function: str = API_HANDLER) -> str:
    return json.dumps(policy_document(app, stage, Style.FILE, function), indent=2) + '\n'


def policy_files() -> Iterator[tuple[AppEntry, str, str]]:
    """(app, stage, function) of every committed policy file."""
    for app in APPS:
        for stage in STAGES:
            for function in function_names(app):
                yield app, stage, function


# -- merge templates -------------------------------------------------------

def function_name(app: AppEntry, stage: str, logical_id: str) -> str:
    """What `chalice deploy` calls a function; the package uses the same."""
    [function] = [f for f in Project(stage).functions(app) if f.logical_id == logical_id]
    return function.deployed_name


def table_resource(project: Project) -> dict[str, Any]:
    """`AWS::DynamoDB::Table` from the create_table kwargs the tests use:
    the property names are the same."""
    properties = dict(fleet_schema.table_definition(project.table_name))
    properties['TimeToLiveSpecification'] = fleet_schema.ttl_specification()
    return _kept_in_prod(project, properties, scan.TABLE_NO_CMK, scan.DEV_NO_PITR)


def record_table_resource(project: Project) -> dict[str, Any]:
    """ride-record's table, from the definition its store and the local
    stack create it from."""
    properties = dict(record_schema.table_definition(project.record_table_name))
    return _kept_in_prod(project, properties, scan.RECORD_TABLE_NO_CMK, scan.DEV_RECORD_NO_PITR)


def _kept_in_prod(project: Project, properties: dict[str, Any], no_cmk: tuple[str, str],
                  dev_no_pitr: tuple[str, str]) -> dict[str, Any]:
    """A table that prod keeps (point-in-time recovery, Retain) and dev may lose."""
    findings = [no_cmk]
    if project.keeps_data:
        properties['PointInTimeRecoverySpecification'] = {'PointInTimeRecoveryEnabled': True}
    else:
        findings.append(dev_no_pitr)
    policy = 'Retain' if project.keeps_data else 'Delete'
    return {'Type': 'AWS::DynamoDB::Table',
            'DeletionPolicy': policy, 'UpdateReplacePolicy': policy,
            'Properties': properties, **scan.skips(*findings)}


def catalog_digest() -> str:
    """Part of the custom resource's properties: a new catalog is an Update,
    so CloudFormation runs LoadTable again."""
    return hashlib.sha256(CATALOG.read_bytes()).hexdigest()


def _functions_and_roles(app: AppEntry, project: Project, environment: dict[str, Any],
                         transport: str | None = None) -> dict[str, Any]:
    """Each function with its name, environment and checkov skips; each
    role with that function's own policy (X-Ray's two write actions in it)."""
    resources: dict[str, Any] = {}
    for function in project.functions(app):
        policy = [{'PolicyName': function.deployed_name,
                   'PolicyDocument': policy_document(app, project.stage, Style.TEMPLATE,
                                                     function.name, transport)}]
        resources[function.logical_id] = {
            'Properties': {
                'FunctionName': function.deployed_name,
                'Environment': {'Variables': dict(environment)},
            },
            **scan.function_skips(
                project, function.logical_id, reserved=function.reserved_concurrency is not None,
                loader=function.name == project.loader_function.name,
                dead_letters=function.deployed_name in project.dead_letter_queues),
        }
        resources[function.role_logical_id] = {'Properties': {'Policies': policy}}
    for name, log_group in observability.function_log_groups(app, project).items():
        resources[name] = dict(log_group, **scan.skips(scan.LOGS_NO_KMS))
    return resources


def _observability(app: AppEntry, project: Project) -> dict[str, Any]:
    """The API's access logs and the app's alarms (deploy/observability.py)."""
    return dict(observability.access_log_group(app, project), **observability.ALARMS[app](project))


def _fleet_additions(project: Project) -> dict[str, Any]:
    fleet_function = project.fleet_function.logical_id
    resources = _functions_and_roles(FLEET, project, {'DYNAMODB_TABLE': {'Ref': TABLE}})
    resources[TABLE] = table_resource(project)
    resources[ARN_PARAMETER] = {
        'Type': 'AWS::SSM::Parameter',
        'Properties': {
            'Name': project.fleet_arn_parameter,
            'Type': 'String',
            'Value': {'Fn::GetAtt': [fleet_function, 'Arn']},
            'Description': f'The fleet direct-invoke function, for {project.rides.app_name} '
                           'to call',
        },
    }
    resources[LOADER] = {
        'Type': 'AWS::CloudFormation::CustomResource',
        'DependsOn': [TABLE],
        'Properties': {
            'ServiceToken': {'Fn::GetAtt': [project.loader_function.logical_id, 'Arn']},
            'CatalogSha256': catalog_digest(),
        },
    }
    resources.update(_observability(FLEET, project))
    resources[FLEET_URL_PARAMETER] = _parameter(
        project.fleet_url_parameter,
        {'Fn::Sub': 'https://${%s}.execute-api.${AWS::Region}.${AWS::URLSuffix}/%s/unicorn'
                    % (REST_API, project.fleet.api_gateway_stage)},
        f"The fleet API's GET /unicorn, for {project.rides.app_name}'s http transport")
    resources[FLEET_API_ID_PARAMETER] = _parameter(
        project.fleet_api_id_parameter, {'Ref': REST_API},
        f"The fleet's REST API, for {project.rides.app_name}'s execute-api:Invoke grant")
    resources[REST_API] = {'Properties': dict(observability.rest_api_stage(),
                                              MethodSettings=_method_settings(project)),
                           **scan.skips(scan.NO_API_CACHE)}
    topic = observability.alarm_topic(project)
    resources.update(topic['Resources'])
    outputs = {
        'UnicornsTableName': {'Value': {'Ref': TABLE}},
        'RequestUnicornUrl': {'Value': resources[FLEET_URL_PARAMETER]['Properties']['Value']},
        'AlarmTopicArn': {'Value': {'Ref': observability.ALARM_TOPIC}},
        f'{fleet_function}Arn': {'Value': {'Fn::GetAtt': [fleet_function, 'Arn']}},
        ARN_PARAMETER: {'Value': {'Ref': ARN_PARAMETER}},
    }
    return {'Parameters': topic['Parameters'], 'Conditions': topic['Conditions'],
            'Resources': resources, 'Outputs': outputs}


def _parameter(name: str, value: Rendered, description: str) -> dict[str, Any]:
    return {'Type': 'AWS::SSM::Parameter',
            'Properties': {'Name': name, 'Type': 'String', 'Value': value,
                           'Description': description}}


def _riders_pool(project: Project) -> dict[str, Any]:
    """The pool, its page client and the two SSM parameters naming them."""
    return {
        USER_POOL: riders.user_pool_resource(project),
        USER_POOL_CLIENT: riders.client_resource(project, USER_POOL),
        USER_POOL_ID_PARAMETER: _parameter(
            project.user_pool_id_parameter, {'Ref': USER_POOL},
            "The riders' Cognito user pool, for the page's configuration"),
        USER_POOL_CLIENT_ID_PARAMETER: _parameter(
            project.user_pool_client_id_parameter, {'Ref': USER_POOL_CLIENT},
            "The page's Cognito app client, for the page's configuration"),
    }


def _rest_api(project: Project) -> dict[str, Any]:
    """What the merge adds to Chalice's RestAPI: the `Riders` authorizer's
    pool (Chalice writes the ARNs the app gave it, none at package time;
    the merge replaces that list) and the stage's throttling, which API
    Gateway applies to each method."""
    authorizer = {'x-amazon-apigateway-authorizer': {
        'providerARNs': [{'Fn::GetAtt': [USER_POOL, 'Arn']}]}}
    return {'Properties': dict(
        observability.rest_api_stage(),
        DefinitionBody={'securityDefinitions': {RIDERS_AUTHORIZER: authorizer}},
        MethodSettings=_method_settings(project, project.rides_throttle)),
        **scan.skips(scan.NO_API_CACHE)}


def _method_settings(project: Project, throttle: Any = None) -> list[dict[str, Any]]:
    """Every method of the stage: detailed CloudWatch metrics (per method,
    so the p99 alarm can watch POST /ride) and, for rides, the throttling
    API Gateway applies to each method."""
    settings: dict[str, Any] = {'ResourcePath': '/*', 'HttpMethod': '*', 'MetricsEnabled': True}
    if throttle is not None:
        settings.update(ThrottlingRateLimit=throttle.rate_per_second,
                        ThrottlingBurstLimit=throttle.burst)
    return [settings]


def _web_acl(project: Project) -> dict[str, Any]:
    """The web ACL of `deploy.web_acl`, associated with the rides API's
    stage. `${RestAPI.Stage}` is SAM's reference to the stage it makes for
    RestAPI, so the association waits for it."""
    return {
        WEB_ACL: {'Type': 'AWS::WAFv2::WebACL',
                  'Properties': web_acl.web_acl_settings(project),
                  **scan.skips(scan.WAF_NO_LOG4J)},
        WEB_ACL_ASSOCIATION: {'Type': 'AWS::WAFv2::WebACLAssociation', 'Properties': {
            'ResourceArn': {'Fn::Sub': 'arn:${AWS::Partition}:apigateway:${AWS::Region}::'
                                       '/restapis/${RestAPI}/stages/${RestAPI.Stage}'},
            'WebACLArn': {'Fn::GetAtt': [WEB_ACL, 'Arn']},
        }},
    }


def _transport_environment(project: Project, transport: str) -> dict[str, Any]:
    """How the packaged rides finds the fleet: its function's ARN (invoke,
    the default) or its API's GET /unicorn URL (http), both resolved by
    CloudFormation from what the fleet's stack published in SSM. (The URL
    in config.json is the local stack's.)"""
    if transport not in TRANSPORTS:
        raise ValueError(f'unknown transport {transport!r}; one of {", ".join(TRANSPORTS)}')
    if transport == 'http':
        return {'UNICORN_TRANSPORT': 'http', 'REQUEST_UNICORN_ARN': '',
                'REQUEST_UNICORN_URL': '{{resolve:ssm:%s}}' % project.fleet_url_parameter}
    return {'UNICORN_TRANSPORT': 'invoke', 'REQUEST_UNICORN_ARN': ssm_reference(project),
            'REQUEST_UNICORN_URL': ''}


def _rides_additions(project: Project, transport: str | None = None) -> dict[str, Any]:
    transport = transport or project.unicorn_transport
    resources = _functions_and_roles(RIDES, project, {
        'RIDES_SNS_TOPIC_ARN': {'Ref': TOPIC},
        **_transport_environment(project, transport),
        'USER_POOL_ID': {'Ref': USER_POOL},
        'USER_POOL_CLIENT_ID': {'Ref': USER_POOL_CLIENT},
        # Empty on AWS: the page calls the regional cognito-idp endpoint.
        'COGNITO_ENDPOINT_URL': '',
        # ride-record is deployed after rides: its ARN is read from SSM at
        # run time (the stack cannot resolve it), then kept for the sandbox.
        'LIST_RIDE_RECORDS_ARN': '',
        'LIST_RIDE_RECORDS_ARN_PARAMETER': project.history_arn_parameter,
    }, transport)
    resources[TOPIC] = {'Type': 'AWS::SNS::Topic',
                        'Properties': {'TopicName': project.topic_name,
                                       'KmsMasterKeyId': 'alias/aws/sns'}}
    resources[TOPIC_ARN_PARAMETER] = _parameter(
        project.topic_arn_parameter, {'Ref': TOPIC},
        'The rides topic, for downstream subscribers')
    resources.update(_riders_pool(project))
    resources.update(_observability(RIDES, project))
    resources[REST_API] = _rest_api(project)
    resources.update(_web_acl(project))
    outputs = {
        'RidesTopicArn': {'Value': {'Ref': TOPIC}},
        TOPIC_ARN_PARAMETER: {'Value': {'Ref': TOPIC_ARN_PARAMETER}},
        'UserPoolId': {'Value': {'Ref': USER_POOL}},
        'UserPoolClientId': {'Value': {'Ref': USER_POOL_CLIENT}},
        'UserPoolArn': {'Value': {'Fn::GetAtt': [USER_POOL, 'Arn']}},
        'WebAclArn': {'Value': {'Fn::GetAtt': [WEB_ACL, 'Arn']}},
    }
    return {'Resources': resources, 'Outputs': outputs}


def sns_subscription_name(function: str) -> str:
    """The logical id of the SAM `SNS` event Chalice packages for an
    `@app.on_sns_message(name=function)` (`<name>-sns-subscription`)."""
    from chalice.utils import to_cfn_resource_name

    return to_cfn_resource_name(f'{function}-sns-subscription')


def _record_dlq(project: Project) -> dict[str, Any]:
    """The recorder's dead-letter queue and its asynchronous retries. SNS
    invokes the function asynchronously; Lambda retries a failed event
    twice, then sends it to the queue as its `DeadLetterConfig` says (the
    event unchanged, with RequestID, ErrorCode and ErrorMessage attributes:
    what the local runtime sends too), with the function's role
    (sqs:SendMessage on exactly this queue)."""
    recorder = project.recorder_function
    return {
        RECORD_DLQ: {'Type': 'AWS::SQS::Queue', 'Properties': {
            'QueueName': project.record_dlq_name,
            'SqsManagedSseEnabled': True,
            'MessageRetentionPeriod': DLQ_RETENTION_SECONDS,
        }, **scan.skips(scan.DLQ_SQS_MANAGED_SSE)},
        RECORD_ASYNC_CONFIG: {'Type': 'AWS::Lambda::EventInvokeConfig', 'Properties': {
            'FunctionName': {'Ref': recorder.logical_id},
            'Qualifier': '$LATEST',
            'MaximumRetryAttempts': RECORD_RETRIES,
        }},
    }


def _record_additions(project: Project) -> dict[str, Any]:
    recorder, history = project.recorder_function, project.history_function
    resources = _functions_and_roles(RECORD, project, {
        'RIDE_RECORD_TABLE': {'Ref': RECORD_TABLE},
        'RIDES_SNS_TOPIC_ARN': topic_reference(project),
    })
    # The subscription Chalice packages names a topic of this account by
    # the name app.py gave it; the topic is rides', found in SSM (a string
    # replaces Chalice's value in the merge).
    resources[recorder.logical_id]['Properties']['Events'] = {
        sns_subscription_name(recorder.name): {
            'Type': 'SNS', 'Properties': {'Topic': topic_reference(project)}}}
    # SAM's name for the function's DeadLetterConfig.
    resources[recorder.logical_id]['Properties']['DeadLetterQueue'] = {
        'Type': 'SQS', 'TargetArn': {'Fn::GetAtt': [RECORD_DLQ, 'Arn']}}
    resources[RECORD_TABLE] = record_table_resource(project)
    resources.update(_record_dlq(project))
    resources[HISTORY_ARN_PARAMETER] = _parameter(
        project.history_arn_parameter, {'Fn::GetAtt': [history.logical_id, 'Arn']},
        f'The ride history function, for {project.rides.app_name} to invoke')
    resources[RECORD_URL_PARAMETER] = _parameter(
        project.record_url_parameter,
        {'Fn::Sub': 'https://${%s}.execute-api.${AWS::Region}.${AWS::URLSuffix}/%s/'
                    % (REST_API, project.record.api_gateway_stage)},
        "ride-record's API (POST /record, AWS_IAM)")
    resources.update(_observability(RECORD, project))
    resources[REST_API] = {'Properties': dict(observability.rest_api_stage(),
                                              MethodSettings=_method_settings(project)),
                           **scan.skips(scan.NO_API_CACHE)}
    outputs = {
        'RideRecordTableName': {'Value': {'Ref': RECORD_TABLE}},
        'RideRecordDlqUrl': {'Value': {'Ref': RECORD_DLQ}},
        f'{history.logical_id}Arn': {'Value': {'Fn::GetAtt': [history.logical_id, 'Arn']}},
        HISTORY_ARN_PARAMETER: {'Value': {'Ref': HISTORY_ARN_PARAMETER}},
        RECORD_URL_PARAMETER: {'Value': {'Ref': RECORD_URL_PARAMETER}},
    }
    return {'Resources': resources, 'Outputs': outputs}


def merge_template(app: AppEntry, stage: str, transport: str | None = None) -> dict[str, Any]:
    """What the app's merge template adds to Chalice's package; `transport`
    (rides only) overrides the stage's `UNICORN_TRANSPORT` setting."""
    project = Project(stage)
    if app == RIDES:
        return _rides_additions(project, transport)
    if app == RECORD:
        return _record_additions(project)
    return _fleet_additions(project)


def write_merge_template(app: AppEntry, stage: str, path: str | pathlib.Path,
                         transport: str | None = None) -> pathlib.Path:
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(merge_template(app, stage, transport), indent=2) + '\n')
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or '').split('\n\n')[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument('--check', action='store_true',
                       help='fail when a committed policy file is out of date')
    group.add_argument('--write', action='store_true', help='rewrite the policy files')
    args = parser.parse_args(argv)
    stale = []
    for app, stage, function in policy_files():
        path = policy_file_path(app, stage, function)
        text = policy_file_text(app, stage, function)
        if args.write:
            path.write_text(text)
        elif not path.exists() or path.read_text() != text:
            stale.append(str(path.relative_to(ROOT)))
    if stale:
        print('out of date (run python -m deploy.templates --write): ' + ', '.join(stale),
              file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
