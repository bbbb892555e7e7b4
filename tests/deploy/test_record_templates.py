"""ride-record's packaged stack, the third one, checked offline: it
subscribes to rides' topic found in SSM, sends what fails to a dead-letter
queue that pages someone, keeps its table in prod, publishes what rides
needs at run time, and each function may do only what it does. rides, for
its part, may invoke exactly ListRideRecords of it."""
import pytest

from deploy import templates
from project.model import API_HANDLER, FLEET_FUNCTION, HISTORY_FUNCTION, RECORDER_FUNCTION, Project
from shared.adapters import record_schema
from tests.deploy.packages import functions, role_policies

RECORD, RIDES = templates.RECORD, templates.RIDES
STAGES = templates.STAGES


def resources_of_type(template, kind):
    return {name: resource for name, resource in template['Resources'].items()
            if resource['Type'] == kind}


def statements(document):
    return {statement['Sid']: statement for statement in document['Statement']}


def role_of(template, function):
    [document] = role_policies(template)[function.role_logical_id]
    return document


# -- the subscription ----------------------------------------------------------

@pytest.mark.parametrize('stage', STAGES)
def test_the_recorder_subscribes_to_the_topic_rides_published_in_ssm_not_to_a_literal_arn(
        builds, stage):
    template = builds.template(RECORD, stage)
    recorder = template['Resources'][RECORDER_FUNCTION]['Properties']

    # One SNS event (Chalice's own, its topic replaced), resolved by
    # CloudFormation from the parameter rides' stack writes.
    assert recorder['Events'] == {'PutRideRecordSnsSnsSubscription': {
        'Type': 'SNS', 'Properties': {'Topic': f'{{{{resolve:ssm:/wild-rydes/{stage}/SnsTopicArn}}}}'}}}
    assert not [name for name, function in functions(template).items()
                if name != RECORDER_FUNCTION and 'Events' in function['Properties']]


def test_nothing_but_the_recorder_is_subscribed_and_no_sns_resource_is_declared_here(builds):
    template = builds.template(RECORD)

    assert resources_of_type(template, 'AWS::SNS::Topic') == {}
    assert resources_of_type(template, 'AWS::SNS::Subscription') == {}


# -- failures: retries, the dead-letter queue, its alarm --------------------------

@pytest.mark.parametrize('stage', STAGES)
def test_a_ride_event_that_fails_its_two_async_retries_goes_to_the_encrypted_dlq(builds, stage):
    template = builds.template(RECORD, stage)
    queue = template['Resources'][templates.RECORD_DLQ]
    [config] = resources_of_type(template, 'AWS::Lambda::EventInvokeConfig').values()
    recorder = template['Resources'][RECORDER_FUNCTION]['Properties']

    assert queue['Type'] == 'AWS::SQS::Queue'
    assert queue['Properties']['QueueName'] == f'wild-rydes-ride-record-{stage}-dlq'
    assert queue['Properties']['SqsManagedSseEnabled'] is True
    assert queue['Properties']['MessageRetentionPeriod'] == 14 * 24 * 3600  # SQS's longest
    # SAM's DeadLetterQueue becomes the function's DeadLetterConfig, the
    # one the local runtime imitates (local_stack/dead_letters.py).
    assert recorder['DeadLetterQueue'] == {
        'Type': 'SQS', 'TargetArn': {'Fn::GetAtt': [templates.RECORD_DLQ, 'Arn']}}
    assert config['Properties'] == {
        'FunctionName': {'Ref': RECORDER_FUNCTION},
        'Qualifier': '$LATEST',
        'MaximumRetryAttempts': 2,
    }
    assert Project(stage).dead_letter_queues == {
        f'wild-rydes-ride-record-{stage}-PutRideRecordSns': f'wild-rydes-ride-record-{stage}-dlq'}


def test_only_the_recorder_has_a_dlq_the_synchronous_functions_say_why_not(builds):
    template = builds.template(RECORD)

    for name, function in functions(template).items():
        skipped = [skip['id'] for skip in function['Metadata']['checkov']['skip']]
        has_dlq = 'DeadLetterQueue' in function['Properties']
        assert has_dlq == (name == RECORDER_FUNCTION), name
        assert ('CKV_AWS_116' in skipped) == (not has_dlq), name


@pytest.mark.parametrize('stage', STAGES)
def test_only_the_recorders_role_may_send_to_the_dlq_and_only_to_it(builds, stage):
    """Lambda sends to a dead-letter queue with the function's role."""
    template = builds.template(RECORD, stage)
    project = Project(stage)

    for function in project.functions(RECORD):
        sends = [statement for statement in role_of(template, function)['Statement']
                 if any(action.startswith('sqs:') for action in statement['Action'])]
        if function.name == RECORDER_FUNCTION:
            assert sends == [{'Sid': 'FailedRideEvents', 'Effect': 'Allow',
                              'Action': ['sqs:SendMessage'],
                              'Resource': {'Fn::GetAtt': [templates.RECORD_DLQ, 'Arn']}}]
        else:
            assert sends == [], function.name


def alarms(template):
    return {resource['Properties']['AlarmName']: resource['Properties']
            for resource in resources_of_type(template, 'AWS::CloudWatch::Alarm').values()}


def alarm_topic(stage):
    return [{'Fn::Sub': 'arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:'
                        f'wild-rydes-{stage}-alarms'}]


@pytest.mark.parametrize('stage', STAGES)
def test_a_single_message_in_the_dlq_raises_an_alarm_on_the_stages_alarm_topic(builds, stage):
    alarm = alarms(builds.template(RECORD, stage))[f'wild-rydes-{stage}-record-dlq']

    assert (alarm['Namespace'], alarm['MetricName']) == (
        'AWS/SQS', 'ApproximateNumberOfMessagesVisible')
    assert alarm['Dimensions'] == [{'Name': 'QueueName',
                                    'Value': f'wild-rydes-ride-record-{stage}-dlq'}]
    assert (alarm['ComparisonOperator'], alarm['Threshold']) == ('GreaterThanThreshold', 0)
    # The topic the fleet's stack (deployed first) makes, found by its name.
    assert alarm['AlarmActions'] == alarm['OKActions'] == alarm_topic(stage)
    assert Project(stage).alarm_topic_name == f'wild-rydes-{stage}-alarms'


@pytest.mark.parametrize('stage', STAGES)
def test_both_record_functions_alarm_on_their_errors_and_throttles(builds, stage):
    found = alarms(builds.template(RECORD, stage))
    project = Project(stage)

    for label, function in (('history', project.history_function),
                            ('recorder', project.recorder_function)):
        for metric in ('Errors', 'Throttles'):
            alarm = found[f'wild-rydes-{stage}-{label}-{metric.lower()}']
            assert (alarm['Namespace'], alarm['MetricName']) == ('AWS/Lambda', metric)
            assert alarm['Dimensions'] == [{'Name': 'FunctionName',
                                            'Value': function.deployed_name}]
            assert alarm['AlarmActions'] == alarm_topic(stage)


# -- the table -----------------------------------------------------------------

@pytest.mark.parametrize('stage', STAGES)
def test_the_record_table_is_the_schema_modules_with_pitr_and_retain_in_prod_only(builds, stage):
    template = builds.template(RECORD, stage)
    table = template['Resources'][templates.RECORD_TABLE]
    prod = stage == 'prod'

    expected = record_schema.table_definition(f'wild-rydes-ride-record-{stage}-rides')
    properties = dict(table['Properties'])
    pitr = properties.pop('PointInTimeRecoverySpecification', None)
    assert properties == expected
    assert pitr == ({'PointInTimeRecoveryEnabled': True} if prod else None)
    assert table['DeletionPolicy'] == table['UpdateReplacePolicy'] == ('Retain' if prod else 'Delete')


def test_every_record_function_finds_the_table_by_reference(builds):
    record_functions = functions(builds.template(RECORD))

    assert set(record_functions) == {'APIHandler', HISTORY_FUNCTION, RECORDER_FUNCTION}
    for function in record_functions.values():
        variables = function['Properties']['Environment']['Variables']
        assert variables['RIDE_RECORD_TABLE'] == {'Ref': templates.RECORD_TABLE}


# -- what it publishes -----------------------------------------------------------

def ssm_parameters(template):
    return {resource['Properties']['Name']: resource['Properties']['Value']
            for resource in resources_of_type(template, 'AWS::SSM::Parameter').values()}


@pytest.mark.parametrize('stage', STAGES)
def test_record_publishes_its_url_and_the_history_functions_arn_in_ssm(builds, stage):
    parameters = ssm_parameters(builds.template(RECORD, stage))

    assert parameters == {
        f'/wild-rydes-ride-record/{stage}/URL': {
            'Fn::Sub': 'https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api/'},
        f'/wild-rydes-ride-record/{stage}/ListRideRecordsInvokeArn': {
            'Fn::GetAtt': [HISTORY_FUNCTION, 'Arn']},
    }


def test_post_record_needs_a_sigv4_signed_caller_and_no_api_reaches_the_other_functions(builds):
    template = builds.template(RECORD)
    definition = template['Resources']['RestAPI']['Properties']['DefinitionBody']

    assert definition['securityDefinitions']['sigv4']['x-amazon-apigateway-authtype'] == 'awsSigv4'
    assert list(definition['paths']) == ['/record']
    assert list(definition['paths']['/record']) == ['post']
    assert definition['paths']['/record']['post']['security'] == [{'sigv4': []}]
    permissions = [resource['Properties'] for resource in template['Resources'].values()
                   if resource['Type'] == 'AWS::Lambda::Permission']
    assert [p['FunctionName'] for p in permissions] == [{'Ref': 'APIHandler'}]


# -- least privilege, per function -------------------------------------------------

def test_the_history_function_may_only_query_the_riders_index(builds):
    document = role_of(builds.template(RECORD), Project('dev').history_function)
    granted = {sid: s for sid, s in statements(document).items()
               if sid not in ('Logs', 'LogStreams')}

    assert granted == {'ListRides': {
        'Sid': 'ListRides', 'Effect': 'Allow', 'Action': ['dynamodb:Query'],
        'Resource': {'Fn::Sub': 'arn:${AWS::Partition}:dynamodb:${AWS::Region}:'
                                '${AWS::AccountId}:table/${RideRecordTable}/index/'
                                + record_schema.RIDER_INDEX}}}


def test_the_writers_may_only_write_rides_and_never_scan_query_or_delete(builds):
    template = builds.template(RECORD)
    project = Project('dev')

    for function in (project.record.api_handler, project.recorder_function):
        actions = {action for statement in role_of(template, function)['Statement']
                   for action in statement['Action'] if action.startswith('dynamodb:')}
        assert actions == set(templates.RECORD_WRITE_ACTIONS), function.name
        assert not actions & {'dynamodb:Scan', 'dynamodb:Query', 'dynamodb:DeleteItem'}


# -- rides' side of the hop ------------------------------------------------------

def test_rides_may_invoke_exactly_list_ride_records_of_ride_record_from_its_api_only(builds):
    template = builds.template(RIDES)
    project = Project('dev')

    for function in project.functions(RIDES):
        document = role_of(template, function)
        history = [statement for statement in document['Statement']
                   if statement['Sid'] in ('ListRideHistory', 'FindRideHistory')]
        if function.name != API_HANDLER:
            assert history == [], function.name
            continue
        assert history == [
            {'Sid': 'ListRideHistory', 'Effect': 'Allow', 'Action': ['lambda:InvokeFunction'],
             'Resource': {'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:'
                                     '${AWS::AccountId}:function:'
                                     'wild-rydes-ride-record-dev-ListRideRecords'}},
            {'Sid': 'FindRideHistory', 'Effect': 'Allow', 'Action': ['ssm:GetParameter'],
             'Resource': {'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:'
                                     '${AWS::AccountId}:parameter/wild-rydes-ride-record/dev/'
                                     'ListRideRecordsInvokeArn'}}]
        # Nothing else of ride-record: no other function, no wildcard.
        record_arns = [str(statement['Resource']) for statement in document['Statement']
                       if 'ride-record' in str(statement['Resource'])]
        assert len(record_arns) == 2 and not [arn for arn in record_arns if '*' in arn]


def test_rides_finds_list_ride_records_through_ssm_at_run_time(builds):
    """ride-record is deployed after rides, so CloudFormation cannot hand
    rides the ARN: the cycle is broken through the SSM parameter."""
    for function in functions(builds.template(RIDES)).values():
        variables = function['Properties']['Environment']['Variables']
        assert variables['LIST_RIDE_RECORDS_ARN'] == ''
        assert variables['LIST_RIDE_RECORDS_ARN_PARAMETER'] == (
            '/wild-rydes-ride-record/dev/ListRideRecordsInvokeArn')


def test_the_stacks_deploy_in_the_order_their_references_allow():
    """fleet -> rides (resolves the fleet's ARN at deploy time) -> ride-record
    (resolves rides' topic at deploy time); rides reads ride-record's ARN
    only at run time, so no stack needs a later one to exist."""
    order = [app.folder for app in templates.APPS]
    rides_text = str(templates.merge_template(RIDES, 'dev'))
    record_text = str(templates.merge_template(RECORD, 'dev'))
    project = Project('dev')

    assert order == ['ride_fleet', 'rides', 'ride_record']
    assert f'resolve:ssm:{project.fleet_arn_parameter}' in rides_text
    assert f'resolve:ssm:{project.topic_arn_parameter}' in record_text
    assert 'resolve:ssm:/wild-rydes-ride-record' not in rides_text
    assert FLEET_FUNCTION not in record_text

