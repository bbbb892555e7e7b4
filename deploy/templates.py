"""The deploy's CloudFormation additions and IAM policies, generated from
Python so they cannot drift from the code that uses them.

- The fleet table comes from `shared.adapters.fleet_schema.table_definition`, the
  same definition the tests and the local stack create their tables from.
- Each app's IAM policy is written once here, as statements of
  (actions, resources). Rendered two ways:
  * `policy-<stage>.json` for plain `chalice deploy` (region and account
    are `*` in the ARNs; names are exact),
  * the merge template's `Policies` for `chalice package`, where every
    resource is the stack's own (`Fn::Sub` with region, account, `Ref`).
  Chalice gives each function its own role with the policy file in it;
  the merge template replaces that policy in every role.

`python -m deploy.templates --check` fails when a committed policy file
differs from what this module generates; `--write` rewrites them.
"""
import argparse
import hashlib
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python deploy/templates.py` as well as `-m`
    sys.path.insert(0, str(ROOT))

from shared.adapters import fleet_schema  # noqa: E402

FLEET = 'ride_fleet'
RIDES = 'rides'
APPS = (FLEET, RIDES)
STAGES = ('dev', 'prod')

APP_NAMES = {FLEET: 'wild-rydes-ride-fleet', RIDES: 'wild-rydes'}
# Chalice's logical ids for each app's functions; the REST API handler is
# `APIHandler`, its role `ApiHandlerRole`.
FUNCTIONS = {
    FLEET: {'APIHandler': 'ApiHandlerRole',
            'RequestUnicornInvoke': 'RequestUnicornInvokeRole',
            'LoadTable': 'LoadTableRole'},
    RIDES: {'APIHandler': 'ApiHandlerRole',
            'RequestRideInvoke': 'RequestRideInvokeRole'},
}
TABLE = 'UnicornsTable'
TOPIC = 'RidesTopic'
ARN_PARAMETER = 'RequestUnicornInvokeArnParameter'
LOADER = 'FleetCatalog'
CATALOG = ROOT / 'ride_fleet' / 'chalicelib' / 'unicorns.json'


def app_dir(app):
    return ROOT / app


def stage_config(app, stage):
    config = json.loads((app_dir(app) / '.chalice' / 'config.json').read_text())
    return config['stages'][stage]


def function_name(app, stage, logical_id):
    """What `chalice deploy` calls a function; the package uses the same."""
    prefix = f'{APP_NAMES[app]}-{stage}'
    return prefix if logical_id == 'APIHandler' else f'{prefix}-{logical_id}'


def table_name(stage):
    return stage_config(FLEET, stage)['environment_variables']['DYNAMODB_TABLE']


def topic_name(stage):
    return f'wild-rydes-{stage}-rides'


def arn_parameter_name(stage):
    return f'/wild-rydes-ride-fleet/{stage}/RequestUnicornInvokeArn'


def ssm_reference(stage):
    """CloudFormation's dynamic reference to the fleet's published ARN."""
    return '{{resolve:ssm:%s}}' % arn_parameter_name(stage)


# -- policies --------------------------------------------------------------
#
# A resource is a tuple ('kind', ...) rendered by `_render_resource` for the
# policy file (`file`) or the template (`cfn`).

def policy_statements(app, stage):
    """(Sid, actions, resources) for everything `app` does at run time."""
    prefix = f'/aws/lambda/{APP_NAMES[app]}-{stage}'
    logs = [
        ('Logs', ['logs:CreateLogGroup'],
         [('logs', f'log-group:{prefix}'), ('logs', f'log-group:{prefix}-*')]),
        ('LogStreams', ['logs:CreateLogStream', 'logs:PutLogEvents'],
         [('logs', f'log-group:{prefix}:*'), ('logs', f'log-group:{prefix}-*:*')]),
    ]
    if app == FLEET:
        return logs + [
            ('FleetItems', ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem',
                            'dynamodb:Scan', 'dynamodb:UpdateItem'],
             [('table', stage, None)]),
            ('FleetIndexes', ['dynamodb:Query'],
             [('table', stage, fleet_schema.SLOT_INDEX),
              ('table', stage, fleet_schema.AVAILABILITY_INDEX)]),
        ]
    return logs + [
        ('PublishRides', ['sns:Publish'], [('topic', stage)]),
        ('InvokeFleet', ['lambda:InvokeFunction'], [('fleet_function', stage)]),
        # Only when REQUEST_UNICORN_ARN is empty (plain `chalice deploy`).
        ('FindFleet', ['ssm:GetParameter'], [('parameter', stage)]),
    ]


def _arn(service, rest, style):
    """An ARN in this account and region: `*` for the policy file (any
    account), `Fn::Sub` of the stack's own for the template."""
    if style == 'file':
        return f'arn:aws:{service}:*:*:{rest}'
    return {'Fn::Sub': 'arn:${AWS::Partition}:%s:${AWS::Region}:${AWS::AccountId}:%s'
            % (service, rest)}


def _render_resource(resource, style):
    kind, stage = resource[0], resource[1]
    cfn = style != 'file'
    if kind == 'logs':
        return _arn('logs', resource[1], style)
    if kind == 'table':
        index = resource[2]
        suffix = f'/index/{index}' if index else ''
        name = '${%s}' % TABLE if cfn else table_name(stage)
        return _arn('dynamodb', f'table/{name}{suffix}', style)
    if kind == 'topic':
        return {'Ref': TOPIC} if cfn else _arn('sns', topic_name(stage), style)
    if kind == 'fleet_function':
        if cfn:
            return ssm_reference(stage)
        return _arn('lambda', 'function:' + function_name(FLEET, stage, 'RequestUnicornInvoke'),
                    style)
    if kind == 'parameter':
        # The name starts with '/', which the ARN does not repeat.
        return _arn('ssm', 'parameter' + arn_parameter_name(stage), style)
    raise ValueError(f'unknown resource kind {kind!r}')


def policy_document(app, stage, style='file'):
    statements = []
    for sid, actions, resources in policy_statements(app, stage):
        rendered = [_render_resource(resource, style) for resource in resources]
        statements.append({'Sid': sid, 'Effect': 'Allow', 'Action': actions,
                           'Resource': rendered if len(rendered) > 1 else rendered[0]})
    return {'Version': '2012-10-17', 'Statement': statements}


def policy_file_path(app, stage):
    return app_dir(app) / '.chalice' / f'policy-{stage}.json'


def policy_file_text(app, stage):
    return json.dumps(policy_document(app, stage, 'file'), indent=2) + '\n'


# -- merge templates -------------------------------------------------------

def table_resource(stage):
    """`AWS::DynamoDB::Table` from the create_table kwargs the tests use:
    the property names are the same."""
    properties = dict(fleet_schema.table_definition(table_name(stage)))
    properties['TimeToLiveSpecification'] = fleet_schema.ttl_specification()
    return {'Type': 'AWS::DynamoDB::Table',
            'DeletionPolicy': 'Delete', 'UpdateReplacePolicy': 'Delete',
            'Properties': properties}


def catalog_digest():
    """Part of the custom resource's properties: a new catalog is an Update,
    so CloudFormation runs LoadTable again."""
    return hashlib.sha256(CATALOG.read_bytes()).hexdigest()


def _functions_and_roles(app, stage, environment):
    resources = {}
    policy = [{'PolicyName': f'{APP_NAMES[app]}-{stage}',
               'PolicyDocument': policy_document(app, stage, 'cfn')}]
    for logical_id, role in FUNCTIONS[app].items():
        resources[logical_id] = {'Properties': {
            'FunctionName': function_name(app, stage, logical_id),
            'Environment': {'Variables': dict(environment)},
        }}
        resources[role] = {'Properties': {'Policies': policy}}
    return resources


def merge_template(app, stage):
    if app == FLEET:
        resources = _functions_and_roles(app, stage, {'DYNAMODB_TABLE': {'Ref': TABLE}})
        resources[TABLE] = table_resource(stage)
        resources[ARN_PARAMETER] = {
            'Type': 'AWS::SSM::Parameter',
            'Properties': {
                'Name': arn_parameter_name(stage),
                'Type': 'String',
                'Value': {'Fn::GetAtt': ['RequestUnicornInvoke', 'Arn']},
                'Description': 'The fleet direct-invoke function, for wild-rydes to call',
            },
        }
        resources[LOADER] = {
            'Type': 'AWS::CloudFormation::CustomResource',
            'DependsOn': [TABLE],
            'Properties': {
                'ServiceToken': {'Fn::GetAtt': ['LoadTable', 'Arn']},
                'CatalogSha256': catalog_digest(),
            },
        }
        outputs = {
            'UnicornsTableName': {'Value': {'Ref': TABLE}},
            'RequestUnicornInvokeArn': {'Value': {'Fn::GetAtt': ['RequestUnicornInvoke', 'Arn']}},
            'RequestUnicornInvokeArnParameter': {'Value': {'Ref': ARN_PARAMETER}},
        }
    else:
        resources = _functions_and_roles(app, stage, {
            'RIDES_SNS_TOPIC_ARN': {'Ref': TOPIC},
            'REQUEST_UNICORN_ARN': ssm_reference(stage),
            # The packaged stack calls the fleet by direct invoke; the http
            # transport's URL in config.json is the local stack's.
            'UNICORN_TRANSPORT': 'invoke',
            'REQUEST_UNICORN_URL': '',
        })
        resources[TOPIC] = {'Type': 'AWS::SNS::Topic',
                            'Properties': {'TopicName': topic_name(stage)}}
        outputs = {'RidesTopicArn': {'Value': {'Ref': TOPIC}}}
    return {'Resources': resources, 'Outputs': outputs}


def write_merge_template(app, stage, path):
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(merge_template(app, stage), indent=2) + '\n')
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
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
