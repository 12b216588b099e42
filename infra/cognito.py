"""The operators' Cognito user pool and the panel's client (traffic stack)."""

from __future__ import annotations

from infra.cfn import ref, sub

# The same policy as the local stand-in's pool (infra/local/aws.py; a test compares).
PASSWORD_POLICY = {
    "MinimumLength": 10,
    "RequireLowercase": True,
    "RequireUppercase": False,
    "RequireNumbers": True,
    "RequireSymbols": False,
}

COGNITO_ACTIONS = [
    "cognito-idp:SignUp",
    "cognito-idp:ConfirmSignUp",
    "cognito-idp:InitiateAuth",
    "cognito-idp:GlobalSignOut",
    # Undo a sign-up whose project could not be written (accounts.sign_up).
    "cognito-idp:AdminDeleteUser",
    # Invitations (services/team.py): find an existing account or create one.
    "cognito-idp:AdminGetUser",
    "cognito-idp:AdminCreateUser",
    "cognito-idp:RespondToAuthChallenge",
]


def user_pool_resources() -> dict[str, dict]:
    return {
        "UserPool": {
            "Type": "AWS::Cognito::UserPool",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "UserPoolName": sub("${AWS::StackName}-operators"),
                # Operators sign up and log in with their e-mail address as username.
                "UsernameAttributes": ["email"],
                "UsernameConfiguration": {"CaseSensitive": False},
                "AutoVerifiedAttributes": ["email"],
                "Policies": {
                    "PasswordPolicy": {
                        **PASSWORD_POLICY,
                        "TemporaryPasswordValidityDays": 7,
                    }
                },
                "AccountRecoverySetting": {
                    "RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]
                },
                "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False},
                "MfaConfiguration": "OFF",
            },
        },
        "UserPoolClient": {
            "Type": "AWS::Cognito::UserPoolClient",
            "Properties": {
                "ClientName": "panel",
                "UserPoolId": ref("UserPool"),
                "GenerateSecret": False,
                "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                "PreventUserExistenceErrors": "ENABLED",
                "EnableTokenRevocation": True,
                "AccessTokenValidity": 1,
                "IdTokenValidity": 1,
                "RefreshTokenValidity": 30,
                "TokenValidityUnits": {
                    "AccessToken": "hours",
                    "IdToken": "hours",
                    "RefreshToken": "days",
                },
            },
        },
    }
