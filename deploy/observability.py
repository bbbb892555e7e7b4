"""What an operator sees of a deployed stage: log groups that expire, API
access logs, X-Ray on the API stages, and the alarms (README, "Alarms").

Each function here returns merge-template resources for one app; the
names come from the project model.
"""
from __future__ import annotations

import json
from typing import Any

from deploy import scan
from project.model import FLEET, RECORD, RIDES, AppEntry, Project

ALARM_TOPIC = 'AlarmTopic'
ALARM_EMAIL = 'AlarmEmail'
HAS_ALARM_EMAIL = 'HasAlarmEmail'
ALARM_SUBSCRIPTION = 'AlarmEmailSubscription'
ACCESS_LOGS = 'ApiAccessLogs'

# The metric the rides functions emit as CloudWatch EMF (README, "Operating it").
METRICS_NAMESPACE = 'WildRydes'
RIDE_REJECTED = 'RideRejected'
RIDE_REQUESTED = 'RideRequested'
NO_UNICORN = 'NoUnicornAvailable'

# One JSON object per request. REST API `$context` variables (API Gateway
# docs, "Variables for access logging"); the caller is the IAM caller for
# the fleet's AWS_IAM routes and the Cognito subject for rides'.
ACCESS_LOG_FORMAT = json.dumps({
    'requestId': '$context.requestId',
    'extendedRequestId': '$context.extendedRequestId',
    'sourceIp': '$context.identity.sourceIp',
    'caller': '$context.identity.caller',
    'user': '$context.identity.user',
    'rider': '$context.authorizer.claims.sub',
    'requestTime': '$context.requestTime',
    'httpMethod': '$context.httpMethod',
    'resourcePath': '$context.resourcePath',
    'status': '$context.status',
    'responseLength': '$context.responseLength',
    'latency': '$context.responseLatency',
    'integrationLatency': '$context.integrationLatency',
    'integrationStatus': '$context.integrationStatus',
    'errorType': '$context.error.responseType',
    'xrayTraceId': '$context.xrayTraceId',
}, separators=(',', ':'))
ACCESS_LOG_FIELDS = ('requestId', 'sourceIp', 'caller', 'resourcePath', 'status', 'latency',
                     'integrationLatency')


def function_log_groups(app: AppEntry, project: Project) -> dict[str, Any]:
    """Chalice names each log group `/aws/lambda/${<Function>}`, and for the
    REST API's handler `${ApiHandler}`, a resource that does not exist
    (cfn-lint E3031); every name here is the function's deployed one."""
    return {function.log_group_logical_id: {'Properties': {
        'LogGroupName': function.log_group_name,
        'RetentionInDays': project.log_retention_days}}
        for function in project.functions(app)}


def access_log_group(app: AppEntry, project: Project) -> dict[str, Any]:
    return {ACCESS_LOGS: {
        'Type': 'AWS::Logs::LogGroup',
        'Properties': {'LogGroupName': access_log_group_name(app, project),
                       'RetentionInDays': project.log_retention_days},
        **scan.skips(scan.LOGS_NO_KMS),
    }}


def access_log_group_name(app: AppEntry, project: Project) -> str:
    return f'/aws/apigateway/{project.stack_name(app)}-access'


def rest_api_stage() -> dict[str, Any]:
    """The REST API's stage: access logging to ACCESS_LOGS, X-Ray tracing."""
    return {
        'TracingEnabled': True,
        'AccessLogSetting': {'DestinationArn': {'Fn::GetAtt': [ACCESS_LOGS, 'Arn']},
                             'Format': ACCESS_LOG_FORMAT},
    }


# -- alarms ----------------------------------------------------------------

def alarm_topic(project: Project) -> dict[str, Any]:
    """The stage's alarm topic (the fleet's stack, deployed first), with an
    e-mail subscription when the AlarmEmail parameter is given."""
    return {
        'Parameters': {ALARM_EMAIL: {
            'Type': 'String', 'Default': '',
            'Description': 'An e-mail address for the stage\'s alarms (empty: none)'}},
        'Conditions': {HAS_ALARM_EMAIL: {'Fn::Not': [{'Fn::Equals': [{'Ref': ALARM_EMAIL}, '']}]}},
        'Resources': {
            ALARM_TOPIC: {
                'Type': 'AWS::SNS::Topic',
                'Properties': {'TopicName': project.alarm_topic_name},
                **scan.skips(('CKV_AWS_26', 'CloudWatch alarms cannot publish to a topic '
                                            'encrypted with the AWS-managed key; alarm states '
                                            'hold no secrets')),
            },
            ALARM_SUBSCRIPTION: {
                'Type': 'AWS::SNS::Subscription', 'Condition': HAS_ALARM_EMAIL,
                'Properties': {'TopicArn': {'Ref': ALARM_TOPIC}, 'Protocol': 'email',
                               'Endpoint': {'Ref': ALARM_EMAIL}},
            },
        },
    }


def _alarm(project: Project, name: str, description: str, **properties: Any) -> dict[str, Any]:
    actions = [{'Fn::Sub': 'arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:'
                           + project.alarm_topic_name}]
    return {'Type': 'AWS::CloudWatch::Alarm', 'Properties': dict({
        'AlarmName': f'{project.rides.app_name}-{project.stage}-{name}',
        'AlarmDescription': description,
        'AlarmActions': actions, 'OKActions': actions,
        'TreatMissingData': 'notBreaching',
    }, **properties)}


def _function_alarms(project: Project, resource: str, name: str, function: str,
                     failed_means: str, throttled_means: str) -> dict[str, Any]:
    """`Errors` and `Throttles` of one function: faults in 3 of the last 5
    minutes, throttles in 2 of them."""
    lambda_metric = {'Namespace': 'AWS/Lambda', 'Statistic': 'Sum', 'Period': 60,
                     'Dimensions': [{'Name': 'FunctionName', 'Value': function}]}
    return {
        f'{resource}ErrorsAlarm': _alarm(
            project, f'{name}-errors',
            f'{function} failed (a bug, a timeout, a crash) in 3 of the last 5 minutes. '
            f'{failed_means} README, "Alarms".',
            MetricName='Errors', ComparisonOperator='GreaterThanOrEqualToThreshold',
            Threshold=1, EvaluationPeriods=5, DatapointsToAlarm=3, **lambda_metric),
        f'{resource}ThrottlesAlarm': _alarm(
            project, f'{name}-throttles',
            f'Lambda throttled {function} (reserved or account concurrency used up) in 2 of the '
            f'last 5 minutes. {throttled_means} README, "Alarms".',
            MetricName='Throttles', ComparisonOperator='GreaterThanOrEqualToThreshold',
            Threshold=1, EvaluationPeriods=5, DatapointsToAlarm=2, **lambda_metric),
    }


def fleet_alarms(project: Project) -> dict[str, Any]:
    return _function_alarms(project, 'Fleet', 'fleet', project.fleet_function.deployed_name,
                            'Riders get 502/504.', 'Riders get 503 FleetBusy.')


def record_alarms(project: Project) -> dict[str, Any]:
    """ride-record's functions, and its dead-letter queue: any event in it
    is a ride the history lost until someone replays it."""
    queue = project.record_dlq_name
    return {
        **_function_alarms(
            project, 'History', 'history', project.history_function.deployed_name,
            'Riders get 502/504 on GET /rides.', 'Riders get 503 on GET /rides.'),
        **_function_alarms(
            project, 'Recorder', 'recorder', project.recorder_function.deployed_name,
            'Lambda retries each failed ride event twice, then sends it to the DLQ.',
            'Lambda keeps throttled ride events and retries them for up to 6 hours.'),
        'RecordDlqAlarm': _alarm(
            project, 'record-dlq',
            f'{queue} holds ride events that failed every attempt (poison or a fault): '
            'those rides are missing from riders\' histories. README, "Alarms".',
            Namespace='AWS/SQS', MetricName='ApproximateNumberOfMessagesVisible',
            Dimensions=[{'Name': 'QueueName', 'Value': queue}], Statistic='Maximum',
            Period=60, EvaluationPeriods=1, ComparisonOperator='GreaterThanThreshold',
            Threshold=0),
    }


# API Gateway's REST API metrics: ApiName is the API's name (Chalice: the
# app name), Stage the stage; per method with detailed metrics on.
P99_THRESHOLD_MS = 5000
API_5XX_RATE = 0.05
NO_UNICORN_RATE = 0.25


def rides_alarms(project: Project) -> dict[str, Any]:
    api = [{'Name': 'ApiName', 'Value': project.rides.app_name},
           {'Name': 'Stage', 'Value': project.rides.api_gateway_stage}]
    post_ride = api + [{'Name': 'Resource', 'Value': '/ride'}, {'Name': 'Method', 'Value': 'POST'}]
    stage = {'Name': 'stage', 'Value': project.stage}
    return {
        'RidesApi5xxAlarm': _alarm(
            project, 'rides-api-5xx',
            f'More than {API_5XX_RATE:.0%} of rides API requests answered 5XX for 5 minutes: '
            'the fleet failed, timed out or was busy, or rides itself failed. README, "Alarms".',
            Namespace='AWS/ApiGateway', MetricName='5XXError', Dimensions=api,
            Statistic='Average', Period=300, EvaluationPeriods=1,
            ComparisonOperator='GreaterThanThreshold', Threshold=API_5XX_RATE),
        'PostRideLatencyAlarm': _alarm(
            project, 'post-ride-p99',
            f'POST /ride p99 latency above {P99_THRESHOLD_MS} ms for 3 of 5 periods of 5 minutes: '
            'riders wait; look at FleetCallLatency and the traces. README, "Alarms".',
            Namespace='AWS/ApiGateway', MetricName='Latency', Dimensions=post_ride,
            ExtendedStatistic='p99', Period=300, EvaluationPeriods=5, DatapointsToAlarm=3,
            ComparisonOperator='GreaterThanThreshold', Threshold=P99_THRESHOLD_MS),
        'NoUnicornAvailableAlarm': _alarm(
            project, 'no-unicorn-rate',
            f'More than {NO_UNICORN_RATE:.0%} of ride requests found no unicorn for 15 minutes: '
            'the fleet is too small for demand, or leases are not released. README, "Alarms".',
            EvaluationPeriods=3, ComparisonOperator='GreaterThanThreshold',
            Threshold=NO_UNICORN_RATE, Metrics=[
                {'Id': 'rejected', 'ReturnData': False, 'MetricStat': {
                    'Metric': {'Namespace': METRICS_NAMESPACE, 'MetricName': RIDE_REJECTED,
                               'Dimensions': [stage, {'Name': 'reason', 'Value': NO_UNICORN}]},
                    'Period': 300, 'Stat': 'Sum'}},
                {'Id': 'requested', 'ReturnData': False, 'MetricStat': {
                    'Metric': {'Namespace': METRICS_NAMESPACE, 'MetricName': RIDE_REQUESTED,
                               'Dimensions': [stage]},
                    'Period': 300, 'Stat': 'Sum'}},
                {'Id': 'rate', 'Label': 'NoUnicornAvailable per ride requested',
                 'Expression': 'IF(requested > 0, rejected / requested, 0)', 'ReturnData': True},
            ]),
    }


ALARMS = {FLEET: fleet_alarms, RIDES: rides_alarms, RECORD: record_alarms}
