"""The riders' Cognito user pool and the page's app client, written once.

The settings are the arguments of Cognito's `CreateUserPool` and
`CreateUserPoolClient`, whose names `AWS::Cognito::UserPool` and
`AWS::Cognito::UserPoolClient` share (only the pool's name differs:
`PoolName` in the API, `UserPoolName` in CloudFormation). They render
twice, like the fleet table: as boto3 keyword arguments for the
provisioning sequence (`deploy.provision`: `chalice deploy`, the local
stack) and as resources of rides' merge template (`deploy.templates`).
"""
from __future__ import annotations

from typing import Any

from project.model import Project

# Why these lifetimes: ID and access tokens cannot be revoked once issued,
# so they live one hour (Cognito's default; the page refreshes them). A
# refresh token outlives the browser tab only if stolen: the page keeps it
# for the browser session, and one day bounds what a thief can do with it.
# Sign-out revokes it (EnableTokenRevocation).
ID_TOKEN_MINUTES = 60
ACCESS_TOKEN_MINUTES = 60
REFRESH_TOKEN_DAYS = 1
# Between sign-in steps (SRP's challenge, a new password): Cognito's minimum.
AUTH_SESSION_MINUTES = 3

AUTH_FLOWS = ('ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH')


def pool_settings() -> dict[str, Any]:
    """Everything of the pool but its name: e-mail is the username, riders
    sign themselves up and verify their address with a code."""
    return {
        'UsernameAttributes': ['email'],
        'UsernameConfiguration': {'CaseSensitive': False},
        'AutoVerifiedAttributes': ['email'],
        'VerificationMessageTemplate': {'DefaultEmailOption': 'CONFIRM_WITH_CODE'},
        'AdminCreateUserConfig': {'AllowAdminCreateUserOnly': False},
        'AccountRecoverySetting': {'RecoveryMechanisms': [
            {'Name': 'verified_email', 'Priority': 1}]},
        'Policies': {'PasswordPolicy': {
            'MinimumLength': 8,
            'RequireUppercase': True,
            'RequireLowercase': True,
            'RequireNumbers': True,
            'RequireSymbols': True,
            'TemporaryPasswordValidityDays': 7,
        }},
        'MfaConfiguration': 'OFF',
    }


def client_settings(project: Project) -> dict[str, Any]:
    """The page's app client, without its pool: no secret (a browser cannot
    keep one); an unknown e-mail answers as a wrong password does."""
    return {
        'ClientName': project.user_pool_client_name,
        'GenerateSecret': False,
        'ExplicitAuthFlows': list(AUTH_FLOWS),
        'PreventUserExistenceErrors': 'ENABLED',
        'EnableTokenRevocation': True,
        'IdTokenValidity': ID_TOKEN_MINUTES,
        'AccessTokenValidity': ACCESS_TOKEN_MINUTES,
        'RefreshTokenValidity': REFRESH_TOKEN_DAYS,
        'TokenValidityUnits': {'IdToken': 'minutes', 'AccessToken': 'minutes',
                               'RefreshToken': 'days'},
        'AuthSessionValidity': AUTH_SESSION_MINUTES,
    }


# -- the two renderings ------------------------------------------------------

def create_user_pool_kwargs(project: Project) -> dict[str, Any]:
    """`cognito-idp.create_user_pool(**...)`."""
    return {'PoolName': project.user_pool_name, **pool_settings()}


def create_client_kwargs(project: Project, user_pool_id: str) -> dict[str, Any]:
    """`cognito-idp.create_user_pool_client(**...)`."""
    return {'UserPoolId': user_pool_id, **client_settings(project)}


def user_pool_resource(project: Project) -> dict[str, Any]:
    """`AWS::Cognito::UserPool`."""
    return {'Type': 'AWS::Cognito::UserPool',
            'Properties': {'UserPoolName': project.user_pool_name, **pool_settings()}}


def client_resource(project: Project, pool_logical_id: str) -> dict[str, Any]:
    """`AWS::Cognito::UserPoolClient` of the pool with that logical id."""
    return {'Type': 'AWS::Cognito::UserPoolClient',
            'Properties': {'UserPoolId': {'Ref': pool_logical_id},
                           **client_settings(project)}}
