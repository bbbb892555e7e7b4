"""The deploy's CloudFormation additions and IAM policies, generated from
Python so they cannot drift from the code that uses them.

- Names come from the project model (`project.model`); the fleet table from
  `shared.adapters.fleet_schema.table_definition`, the same definition the tests,
  the local stack and `chalice deploy`'s provisioning create it from.
- Each app's IAM policy is written once here, as statements whose
  resources are small typed values. Each renders itself two ways:
  * `Style.FILE`: `policy-<stage>.json` for plain `chalice deploy` (region
    and account are `*` in the ARNs; names are exact),
  * `Style.TEMPLATE`: the merge template's `Policies` for `chalice package`,
    where every resource is the stack's own (`Fn::Sub` with region,
    account, `Ref`).
  Chalice gives each function its own role with the policy file in it;
  the merge template replaces that policy in every role.

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
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from project.model import (
    APP_ENTRIES,
    CATALOG_PATH,
    FLEET,
    FLEET_FUNCTION,
    RIDERS_AUTHORIZER,
    RIDES,
    ROOT,
    STAGES,
    AppEntry,
    Project,
)
from deploy import riders, web_acl
from shared.adapters import fleet_schema

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
WEB_ACL = 'RidersWebAcl'
WEB_ACL_ASSOCIATION = 'RidersWebAclAssociation'
# What Chalice's package calls the REST API (an AWS::Serverless::Api).
REST_API = 'RestAPI'

__all__ = ['APPS', 'ARN_PARAMETER', 'CATALOG', 'FLEET', 'LOADER', 'RIDES', 'ROOT', 'STAGES',
           'TABLE', 'TOPIC', 'USER_POOL', 'USER_POOL_CLIENT', 'WEB_ACL', 'WEB_ACL_ASSOCIATION',
           'Style', 'function_name', 'merge_template', 'policy_document',
           'policy_file_path', 'policy_file_text', 'write_merge_template']

Rendered = Any  # a string, or a CloudFormation intrinsic function (a dict)


class Style(str, enum.Enum):
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


# -- policy resources --------------------------------------------------------

class PolicyResource(Protocol):
    def render(self, project: Project, style: Style) -> Rendered: ...


@dataclass(frozen=True)
class LogGroups:
    """An app's CloudWatch Logs: `/aws/lambda/<app>-<stage>` plus `suffix`."""

    app: AppEntry
    suffix: str = ''

    def render(self, project: Project, style: Style) -> Rendered:
        prefix = f'/aws/lambda/{project.stack_name(self.app)}'
        return _arn('logs', f'log-group:{prefix}{self.suffix}', style)


@dataclass(frozen=True)
class FleetTable:
    """The fleet table, or one of its indexes."""

    index: str | None = None

    def render(self, project: Project, style: Style) -> Rendered:
        suffix = f'/index/{self.index}' if self.index else ''
        name = '${%s}' % TABLE if style is Style.TEMPLATE else project.table_name
        return _arn('dynamodb', f'table/{name}{suffix}', style)


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


@dataclass(frozen=True)
class Statement:
    sid: str
    actions: tuple[str, ...]
    resources: tuple[PolicyResource, ...]

    def render(self, project: Project, style: Style) -> dict[str, Any]:
        rendered = [resource.render(project, style) for resource in self.resources]
        return {'Sid': self.sid, 'Effect': 'Allow', 'Action': list(self.actions),
                'Resource': rendered if len(rendered) > 1 else rendered[0]}


def _logs(app: AppEntry) -> tuple[Statement, ...]:
    return (
        Statement('Logs', ('logs:CreateLogGroup',), (LogGroups(app), LogGroups(app, '-*'))),
        Statement('LogStreams', ('logs:CreateLogStream', 'logs:PutLogEvents'),
                  (LogGroups(app, ':*'), LogGroups(app, '-*:*'))),
    )


# Everything each app does at run time.
POLICIES: dict[AppEntry, tuple[Statement, ...]] = {
    FLEET: _logs(FLEET) + (
        Statement('FleetItems', ('dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem',
                                 'dynamodb:Scan', 'dynamodb:UpdateItem'), (FleetTable(),)),
        Statement('FleetIndexes', ('dynamodb:Query',),
                  (FleetTable(fleet_schema.SLOT_INDEX),
                   FleetTable(fleet_schema.AVAILABILITY_INDEX))),
    ),
    RIDES: _logs(RIDES) + (
        Statement('PublishRides', ('sns:Publish',), (RidesTopic(),)),
        Statement('InvokeFleet', ('lambda:InvokeFunction',), (FleetFunction(),)),
        # Only when REQUEST_UNICORN_ARN is empty (plain `chalice deploy`).
        Statement('FindFleet', ('ssm:GetParameter',), (Parameter(lambda project: project.fleet_arn_parameter),)),
        # Only when USER_POOL_ID / USER_POOL_CLIENT_ID are empty (GET /config
        # after plain `chalice deploy`; the package sets them by Ref).
        Statement('FindRidersPool', ('ssm:GetParameter',),
                  (Parameter(lambda project: project.user_pool_id_parameter),
                   Parameter(lambda project: project.user_pool_client_id_parameter))),
    ),
}


def policy_document(app: AppEntry, stage: str, style: Style | str = Style.FILE) -> dict[str, Any]:
    project, style = Project(stage), Style(style)
    return {'Version': '2012-10-17',
            'Statement': [statement.render(project, style) for statement in POLICIES[app]]}


def policy_file_path(app: AppEntry, stage: str) -> pathlib.Path:
    return app.directory / '.chalice' / f'policy-{stage}.json'


def policy_file_text(app: AppEntry, stage: str) -> str:
    return json.dumps(policy_document(app, stage, Style.FILE), indent=2) + '\n'


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
    return {'Type': 'AWS::DynamoDB::Table',
            'DeletionPolicy': 'Delete', 'UpdateReplacePolicy': 'Delete',
            'Properties': properties}


def catalog_digest() -> str:
    """Part of the custom resource's properties: a new catalog is an Update,
    so CloudFormation runs LoadTable again."""
    return hashlib.sha256(CATALOG.read_bytes()).hexdigest()


def _functions_and_roles(app: AppEntry, project: Project,
                         environment: dict[str, Any]) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    policy = [{'PolicyName': project.stack_name(app),
               'PolicyDocument': policy_document(app, project.stage, Style.TEMPLATE)}]
    for function in project.functions(app):
        resources[function.logical_id] = {'Properties': {
            'FunctionName': function.deployed_name,
            'Environment': {'Variables': dict(environment)},
        }}
        resources[function.role_logical_id] = {'Properties': {'Policies': policy}}
    return resources


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
    outputs = {
        'UnicornsTableName': {'Value': {'Ref': TABLE}},
        f'{fleet_function}Arn': {'Value': {'Fn::GetAtt': [fleet_function, 'Arn']}},
        ARN_PARAMETER: {'Value': {'Ref': ARN_PARAMETER}},
    }
    return {'Resources': resources, 'Outputs': outputs}


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
    throttle = project.rides_throttle
    authorizer = {'x-amazon-apigateway-authorizer': {
        'providerARNs': [{'Fn::GetAtt': [USER_POOL, 'Arn']}]}}
    return {'Properties': {
        'DefinitionBody': {'securityDefinitions': {RIDERS_AUTHORIZER: authorizer}},
        'MethodSettings': [{
            'ResourcePath': '/*', 'HttpMethod': '*',
            'ThrottlingRateLimit': throttle.rate_per_second,
            'ThrottlingBurstLimit': throttle.burst,
        }],
    }}


def _web_acl(project: Project) -> dict[str, Any]:
    """The web ACL of `deploy.web_acl`, associated with the rides API's
    stage. `${RestAPI.Stage}` is SAM's reference to the stage it makes for
    RestAPI, so the association waits for it."""
    return {
        WEB_ACL: {'Type': 'AWS::WAFv2::WebACL',
                  'Properties': web_acl.web_acl_settings(project)},
        WEB_ACL_ASSOCIATION: {'Type': 'AWS::WAFv2::WebACLAssociation', 'Properties': {
            'ResourceArn': {'Fn::Sub': 'arn:${AWS::Partition}:apigateway:${AWS::Region}::'
                                       '/restapis/${RestAPI}/stages/${RestAPI.Stage}'},
            'WebACLArn': {'Fn::GetAtt': [WEB_ACL, 'Arn']},
        }},
    }


def _rides_additions(project: Project) -> dict[str, Any]:
    resources = _functions_and_roles(RIDES, project, {
        'RIDES_SNS_TOPIC_ARN': {'Ref': TOPIC},
        'REQUEST_UNICORN_ARN': ssm_reference(project),
        # The packaged stack calls the fleet by direct invoke; the http
        # transport's URL in config.json is the local stack's.
        'UNICORN_TRANSPORT': 'invoke',
        'REQUEST_UNICORN_URL': '',
        'USER_POOL_ID': {'Ref': USER_POOL},
        'USER_POOL_CLIENT_ID': {'Ref': USER_POOL_CLIENT},
        # Empty on AWS: the page calls the regional cognito-idp endpoint.
        'COGNITO_ENDPOINT_URL': '',
    })
    resources[TOPIC] = {'Type': 'AWS::SNS::Topic',
                        'Properties': {'TopicName': project.topic_name}}
    resources.update(_riders_pool(project))
    resources[REST_API] = _rest_api(project)
    resources.update(_web_acl(project))
    outputs = {
        'RidesTopicArn': {'Value': {'Ref': TOPIC}},
        'UserPoolId': {'Value': {'Ref': USER_POOL}},
        'UserPoolClientId': {'Value': {'Ref': USER_POOL_CLIENT}},
        'UserPoolArn': {'Value': {'Fn::GetAtt': [USER_POOL, 'Arn']}},
        'WebAclArn': {'Value': {'Fn::GetAtt': [WEB_ACL, 'Arn']}},
    }
    return {'Resources': resources, 'Outputs': outputs}


# What each app's merge template adds to Chalice's package.
ADDITIONS: dict[AppEntry, Callable[[Project], dict[str, Any]]] = {
    FLEET: _fleet_additions,
    RIDES: _rides_additions,
}


def merge_template(app: AppEntry, stage: str) -> dict[str, Any]:
    return ADDITIONS[app](Project(stage))


def write_merge_template(app: AppEntry, stage: str, path: str | pathlib.Path) -> pathlib.Path:
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(merge_template(app, stage), indent=2) + '\n')
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or '').split('\n\n')[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument('--check', action='store_true',
                       help='fail when a committed policy file is out of date')
    group.add_argument('--write', action='store_true', help='rewrite the policy files')
    args = parser.parse_args(argv)
    stale = []
    for app in APPS:
        for stage in STAGES:
            path = policy_file_path(app, stage)
            text = policy_file_text(app, stage)
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
