"""The WAF web ACL in front of the rides API's stage, written once.

Its settings are the arguments of WAFv2's `CreateWebACL`, which are also the
properties of `AWS::WAFv2::WebACL`: the merge template declares them
(`deploy.templates`), and the `chalice deploy` route creates the same ACL
with boto3 (`deploy.chalice_deploy`). One rate-based rule: past
`Project.rides_requests_per_ip` from one source IP, `429`.
"""
from __future__ import annotations

from typing import Any

from project.model import RIDES, Project

RULE_NAME = 'RequestsPerIp'
SCOPE = 'REGIONAL'  # API Gateway REST APIs take regional web ACLs


def _visibility(metric: str) -> dict[str, Any]:
    return {'SampledRequestsEnabled': True, 'CloudWatchMetricsEnabled': True,
            'MetricName': metric}


def web_acl_settings(project: Project) -> dict[str, Any]:
    """`wafv2.create_web_acl(**...)`, and the `AWS::WAFv2::WebACL` properties."""
    limit = project.rides_requests_per_ip
    return {
        'Name': project.web_acl_name,
        'Scope': SCOPE,
        'Description': f'Requests per source IP in front of {project.stack_name(RIDES)}',
        'DefaultAction': {'Allow': {}},
        'Rules': [{
            'Name': RULE_NAME,
            'Priority': 0,
            'Statement': {'RateBasedStatement': {
                'Limit': limit.requests, 'AggregateKeyType': 'IP',
                'EvaluationWindowSec': limit.window_seconds}},
            'Action': {'Block': {'CustomResponse': {'ResponseCode': 429}}},
            'VisibilityConfig': _visibility(RULE_NAME),
        }],
        'VisibilityConfig': _visibility(project.web_acl_name),
    }


def stage_arn(rest_api_id: str, stage: str, region: str, partition: str = 'aws') -> str:
    """What a web ACL is associated with: a REST API's stage."""
    return f'arn:{partition}:apigateway:{region}::/restapis/{rest_api_id}/stages/{stage}'
